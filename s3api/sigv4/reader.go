package sigv4

import (
	"bufio"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"strings"
)

// Limits of the aws-chunked decoder. They bound what hostile input can make
// it buffer; chunk data itself is streamed, never buffered.
const (
	// maxChunkLine is the longest chunk-header or trailer line accepted.
	maxChunkLine = 4096
	// maxTrailerLines bounds the lines (trailers and blank lines) after the
	// final chunk.
	maxTrailerLines = 32
	// readBufSize is the decoder's read buffer.
	readBufSize = 32 << 10
	// maxChunkSizeDigits bounds the hex chunk size (16 digits = 2^64-1).
	maxChunkSizeDigits = 16
)

const (
	chunkSignatureExt = "chunk-signature="
	trailerSignature  = "x-amz-trailer-signature"
)

// Body wraps body so that reading the returned Reader yields the decoded
// payload. At EOF the Reader has verified everything the request promised:
// the hex SHA-256 of a signed payload, every chunk signature, the trailer
// signature, x-amz-decoded-content-length, Content-MD5 and the header or
// trailing x-amz-checksum-*. Until Read returns io.EOF the bytes must not
// be trusted: a caller that stores them must discard the write if the
// Reader ends in any other error. When the client sends no checksum, the
// Reader computes CRC64NVME (see Reader.Result).
//
// Body itself reads nothing; it fails only on malformed checksum headers
// (ErrInvalidDigest, ErrInvalidChecksum, ErrInvalidTrailer,
// ErrChecksumConflict). A nil body reads as empty. Body does not modify rq
// and may be called more than once (each call starts a fresh Reader).
func (rq *Request) Body(body io.Reader) (*Reader, error) {
	return rq.BodyWithDefault(body, "")
}

// BodyWithDefault is Body with the algorithm to compute when the client
// sends no checksum; "" means CRC64NVME. A multipart upload created with
// x-amz-checksum-algorithm uses it for parts sent without a checksum.
func (rq *Request) BodyWithDefault(body io.Reader, def Algorithm) (*Reader, error) {
	cr, err := rq.ChecksumRequest()
	if err != nil {
		return nil, err
	}
	if def != "" && def.Size() == 0 {
		return nil, fmt.Errorf("%w: unknown default algorithm %q", ErrInvalidChecksum, string(def))
	}
	cr.Default = def
	if body == nil {
		body = http.NoBody
	}
	r := &Reader{rq: rq, sums: NewChecksums(cr)}
	switch rq.PayloadMode {
	case Unsigned:
		r.src = body
	case SignedSHA256:
		r.src = body
		r.payloadSHA = sha256.New()
	case StreamingSigned, StreamingSignedTrailer, StreamingUnsignedTrailer:
		r.br = bufio.NewReaderSize(body, readBufSize)
		if rq.PayloadMode != StreamingUnsignedTrailer {
			r.chunkSHA = sha256.New()
			r.prevSig = append([]byte(nil), rq.seed...)
		}
	default:
		return nil, fmt.Errorf("%w: %v", ErrUnsupportedPayload, rq.PayloadMode)
	}
	return r, nil
}

// Reader is the decoded, verified request body returned by Request.Body.
// It is not safe for concurrent use. Errors are sticky.
type Reader struct {
	rq   *Request
	sums *Checksums

	// Plain (non-chunked) modes.
	src        io.Reader
	payloadSHA hash.Hash // SignedSHA256 only

	// aws-chunked modes.
	br        *bufio.Reader
	inData    bool  // inside chunk data (else expecting a chunk header)
	remaining int64 // data bytes left in the current chunk
	decoded   int64 // payload bytes so far
	chunks    int   // chunks seen, for error messages
	chunkSHA  hash.Hash
	chunkSig  [sha256.Size]byte // signature claimed for the current chunk
	prevSig   []byte            // signature of the previous chunk (seed first)

	res  Result
	err  error
	done bool
}

// Read reads decoded payload bytes. It returns io.EOF only after every
// check has passed; any other error means the body must be discarded.
func (r *Reader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	if r.done {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	var n int
	var err error
	if r.br == nil {
		n, err = r.readPlain(p)
	} else {
		n, err = r.readChunked(p)
	}
	if err != nil && err != io.EOF {
		r.err = err
	}
	return n, err
}

// Result returns the size, MD5 and checksum of the payload once Read has
// returned io.EOF; before that it returns ErrNotFinished, or the error that
// ended the Reader.
func (r *Reader) Result() (Result, error) {
	if r.err != nil {
		return Result{}, r.err
	}
	if !r.done {
		return Result{}, ErrNotFinished
	}
	return r.res, nil
}

func (r *Reader) readPlain(p []byte) (int, error) {
	n, err := r.src.Read(p)
	if n > 0 {
		r.sums.Write(p[:n])
		if r.payloadSHA != nil {
			r.payloadSHA.Write(p[:n])
		}
	}
	if err == io.EOF {
		if ferr := r.finish(); ferr != nil {
			return n, ferr
		}
	}
	return n, err
}

func (r *Reader) readChunked(p []byte) (int, error) {
	for {
		if !r.inData {
			if err := r.readChunkHeader(); err != nil {
				return 0, err
			}
			if r.done {
				return 0, io.EOF
			}
			continue
		}
		if r.remaining == 0 {
			if err := r.endChunk(); err != nil {
				return 0, err
			}
			r.inData = false
			continue
		}
		if int64(len(p)) > r.remaining {
			p = p[:r.remaining]
		}
		n, err := r.br.Read(p)
		if n > 0 {
			r.remaining -= int64(n)
			r.decoded += int64(n)
			r.sums.Write(p[:n])
			if r.chunkSHA != nil {
				r.chunkSHA.Write(p[:n])
			}
		}
		if err != nil {
			if n > 0 && err == io.EOF {
				// Report the bytes now, the truncation on the next call.
				return n, nil
			}
			return n, incomplete(err, "in the data of chunk %d", r.chunks)
		}
		return n, nil
	}
}

// incomplete wraps an error of the underlying body met inside the
// aws-chunked framing: EOF means the body was truncated.
func incomplete(err error, format string, args ...any) error {
	where := fmt.Sprintf(format, args...)
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return fmt.Errorf("%w: body ended %s", ErrIncompleteBody, where)
	}
	return fmt.Errorf("sigv4: reading body %s: %w", where, err)
}

// readLine reads one line, without its "\n" or "\r\n", refusing lines over
// maxChunkLine. At EOF it returns what it read (possibly "") with io.EOF.
func (r *Reader) readLine() (string, error) {
	line, err := r.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull || len(line) > maxChunkLine+2 {
		return "", fmt.Errorf("%w: line longer than %d bytes", ErrMalformedChunk, maxChunkLine)
	}
	if err != nil {
		return string(line), err
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	if len(line) > maxChunkLine {
		return "", fmt.Errorf("%w: line longer than %d bytes", ErrMalformedChunk, maxChunkLine)
	}
	return string(line), nil
}

func (r *Reader) signed() bool { return r.chunkSHA != nil }

// readChunkHeader reads "hex-size[;chunk-signature=sig]". A zero size is
// the final chunk: it then reads the trailers and finishes.
func (r *Reader) readChunkHeader() error {
	line, err := r.readLine()
	if err != nil {
		if errors.Is(err, ErrMalformedChunk) {
			return err
		}
		return incomplete(err, "before the final chunk")
	}
	r.chunks++
	size, sig, err := parseChunkHeader(line, r.signed())
	if err != nil {
		return fmt.Errorf("%w: chunk %d: %v", ErrMalformedChunk, r.chunks, err)
	}
	if left := r.rq.DecodedContentLength - r.decoded; r.rq.DecodedContentLength >= 0 && size > uint64(left) {
		return fmt.Errorf("%w: chunk %d of %d bytes exceeds x-amz-decoded-content-length %d", ErrIncompleteBody, r.chunks, size, r.rq.DecodedContentLength)
	}
	if r.signed() {
		r.chunkSig = sig
		r.chunkSHA.Reset()
	}
	if size == 0 {
		if r.signed() {
			if err := r.verifyChunk(); err != nil {
				return err
			}
		}
		return r.readTrailers()
	}
	r.remaining = int64(size)
	r.inData = true
	return nil
}

// parseChunkHeader parses a chunk-header line. Signed chunks must carry
// exactly ";chunk-signature=<64 hex>"; unsigned ones may carry extensions,
// which are ignored.
func parseChunkHeader(line string, signed bool) (uint64, [sha256.Size]byte, error) {
	var sig [sha256.Size]byte
	sizeStr, ext, hasExt := strings.Cut(line, ";")
	if len(sizeStr) == 0 || len(sizeStr) > maxChunkSizeDigits {
		return 0, sig, fmt.Errorf("bad chunk size %.32q", sizeStr)
	}
	var size uint64
	for i := 0; i < len(sizeStr); i++ {
		d, ok := unhex(sizeStr[i])
		if !ok {
			return 0, sig, fmt.Errorf("bad chunk size %.32q", sizeStr)
		}
		size = size<<4 | uint64(d)
	}
	if size > 1<<62 {
		return 0, sig, fmt.Errorf("chunk size %d too large", size)
	}
	if !signed {
		return size, sig, nil
	}
	if !hasExt {
		return 0, sig, fmt.Errorf("missing chunk-signature")
	}
	hexSig, ok := strings.CutPrefix(ext, chunkSignatureExt)
	if !ok || len(hexSig) != 2*sha256.Size {
		return 0, sig, fmt.Errorf("bad chunk extension %.100q", ext)
	}
	if _, err := hex.Decode(sig[:], []byte(hexSig)); err != nil {
		return 0, sig, fmt.Errorf("chunk-signature is not hex")
	}
	return size, sig, nil
}

// endChunk consumes the CRLF after chunk data and verifies a signed
// chunk's signature.
func (r *Reader) endChunk() error {
	b, err := r.br.ReadByte()
	if err == nil && b == '\r' {
		b, err = r.br.ReadByte()
	}
	if err != nil {
		return incomplete(err, "after the data of chunk %d", r.chunks)
	}
	if b != '\n' {
		return fmt.Errorf("%w: chunk %d: data not followed by CRLF", ErrMalformedChunk, r.chunks)
	}
	if r.signed() {
		return r.verifyChunk()
	}
	return nil
}

// verifyChunk checks the current chunk's signature:
//
//	AWS4-HMAC-SHA256-PAYLOAD\n<date>\n<scope>\n<prev-sig>\n<sha256("")>\n<sha256(data)>
func (r *Reader) verifyChunk() error {
	var sum [sha256.Size]byte
	r.chunkSHA.Sum(sum[:0])
	sts := chunkAlgorithm + "\n" + r.rq.amzDate + "\n" + r.rq.scope + "\n" +
		hex.EncodeToString(r.prevSig) + "\n" + emptySHA256Hex + "\n" + hex.EncodeToString(sum[:])
	got := hmacSHA256(r.rq.signingKey, sts)
	if !hmac.Equal(got, r.chunkSig[:]) {
		return fmt.Errorf("%w: chunk %d", ErrSignatureDoesNotMatch, r.chunks)
	}
	r.prevSig = got
	return nil
}

// readTrailers reads everything after the final chunk header up to EOF:
// blank lines, and in the trailer modes "name:value" trailers, for signed
// trailers ending with "x-amz-trailer-signature:<sig>", verified as
//
//	AWS4-HMAC-SHA256-TRAILER\n<date>\n<scope>\n<final-chunk-sig>\n<sha256(trailers)>
//
// where trailers is each "name:value\n" in order. Blank lines are accepted
// anywhere (clients differ on the CRLF after the zero chunk), and a missing
// final CRLF is tolerated.
func (r *Reader) readTrailers() error {
	mode := r.rq.PayloadMode
	var canonical strings.Builder
	var sig string
	sawSig := false
	for lines := 0; ; lines++ {
		if lines >= maxTrailerLines {
			return fmt.Errorf("%w: more than %d lines after the final chunk", ErrMalformedChunk, maxTrailerLines)
		}
		line, err := r.readLine()
		if err != nil && err != io.EOF {
			if errors.Is(err, ErrMalformedChunk) {
				return err
			}
			return incomplete(err, "in the trailers")
		}
		if line = strings.TrimRight(line, "\r"); line != "" {
			if !mode.Trailers() {
				return fmt.Errorf("%w: data after the final chunk", ErrMalformedChunk)
			}
			if sawSig {
				return fmt.Errorf("%w: trailer after %s", ErrInvalidTrailer, trailerSignature)
			}
			name, value, ok := strings.Cut(line, ":")
			if !ok {
				return fmt.Errorf("%w: malformed trailer line %.64q", ErrInvalidTrailer, line)
			}
			name = strings.ToLower(strings.TrimSpace(name))
			value = strings.TrimSpace(value)
			if name == trailerSignature {
				if mode != StreamingSignedTrailer {
					return fmt.Errorf("%w: %s in an unsigned trailer", ErrInvalidTrailer, trailerSignature)
				}
				sawSig, sig = true, value
			} else {
				canonical.WriteString(name)
				canonical.WriteByte(':')
				canonical.WriteString(value)
				canonical.WriteByte('\n')
				if err := r.sums.setTrailer(name, value); err != nil {
					return err
				}
			}
		}
		if err == io.EOF {
			break
		}
	}
	if mode == StreamingSignedTrailer && (sawSig || canonical.Len() > 0) {
		if !sawSig {
			return fmt.Errorf("%w: missing %s", ErrSignatureDoesNotMatch, trailerSignature)
		}
		want, err := hex.DecodeString(sig)
		if err != nil || len(want) != sha256.Size {
			return fmt.Errorf("%w: malformed %s", ErrSignatureDoesNotMatch, trailerSignature)
		}
		h := sha256.Sum256([]byte(canonical.String()))
		sts := trailerAlgorithm + "\n" + r.rq.amzDate + "\n" + r.rq.scope + "\n" +
			hex.EncodeToString(r.prevSig) + "\n" + hex.EncodeToString(h[:])
		if !hmac.Equal(hmacSHA256(r.rq.signingKey, sts), want) {
			return fmt.Errorf("%w: trailer", ErrSignatureDoesNotMatch)
		}
	}
	return r.finish()
}

// finish runs the end-of-body checks and records the result.
func (r *Reader) finish() error {
	if r.br != nil && r.rq.DecodedContentLength >= 0 && r.decoded != r.rq.DecodedContentLength {
		return fmt.Errorf("%w: decoded %d bytes, x-amz-decoded-content-length is %d", ErrIncompleteBody, r.decoded, r.rq.DecodedContentLength)
	}
	if r.payloadSHA != nil {
		got := hex.EncodeToString(r.payloadSHA.Sum(nil))
		if got != r.rq.ContentSHA256 {
			return fmt.Errorf("%w: computed %s", ErrContentSHA256Mismatch, got)
		}
	}
	res, err := r.sums.Verify()
	if err != nil {
		return err
	}
	r.res = res
	r.done = true
	return nil
}

// StripAWSChunked removes the "aws-chunked" coding from a Content-Encoding
// value, as S3 does before storing it: "aws-chunked,gzip" → "gzip",
// "aws-chunked" → "".
func StripAWSChunked(contentEncoding string) string {
	var kept []string
	for c := range strings.SplitSeq(contentEncoding, ",") {
		c = strings.TrimSpace(c)
		if c != "" && !strings.EqualFold(c, "aws-chunked") {
			kept = append(kept, c)
		}
	}
	return strings.Join(kept, ",")
}
