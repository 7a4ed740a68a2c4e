package sigv4

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"
)

// chunkedRequest returns a Request as Verify would for a streaming request
// signed at signTime with the example credentials, with seed as the request
// signature.
func chunkedRequest(mode PayloadMode, decodedLen int64, hdr http.Header, seed string) *Request {
	if hdr == nil {
		hdr = http.Header{}
	}
	want := make([]byte, 32)
	fmt.Sscanf(seed, "%x", &want)
	rq := &Request{
		AccessKey:            exampleAccessKey,
		PayloadMode:          mode,
		Time:                 signTime,
		DecodedContentLength: decodedLen,
		signingKey:           deriveSigningKey(exampleSecret, "20260402", exampleRegion, "s3"),
		seed:                 want,
		amzDate:              "20260402T103000Z",
		scope:                "20260402/us-east-1/s3/aws4_request",
	}
	rq.setChecksumHeaders(hdr)
	return rq
}

const testSeed = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

func decode(rq *Request, body string, readSize int) ([]byte, Result, error) {
	r, err := rq.Body(strings.NewReader(body))
	if err != nil {
		return nil, Result{}, err
	}
	out, err := readAllSmall(r, readSize)
	if err != nil {
		return out, Result{}, err
	}
	res, err := r.Result()
	return out, res, err
}

func TestChunkedFraming(t *testing.T) {
	trailerHdr := http.Header{"X-Amz-Trailer": {"x-amz-checksum-crc32"}}
	const crc = "NhCmhg==" // crc32("hello")
	tests := []struct {
		name    string
		mode    PayloadMode
		declare int64
		hdr     http.Header
		body    string
		want    string
		wantErr error
	}{
		{"unsigned, one chunk", StreamingUnsignedTrailer, 5, nil, "5\r\nhello\r\n0\r\n\r\n", "hello", nil},
		{"unsigned, bare LF lines", StreamingUnsignedTrailer, 5, nil, "5\nhello\n0\n\n", "hello", nil},
		{"unsigned, uppercase hex, leading zeros", StreamingUnsignedTrailer, 10, nil, "000A\r\n0123456789\r\n0\r\n\r\n", "0123456789", nil},
		{"unsigned, extensions ignored", StreamingUnsignedTrailer, 5, nil, "5;foo=bar\r\nhello\r\n0;x\r\n\r\n", "hello", nil},
		{"unsigned, no final CRLF", StreamingUnsignedTrailer, 5, nil, "5\r\nhello\r\n0\r\n", "hello", nil},
		{"unsigned, empty payload", StreamingUnsignedTrailer, 0, nil, "0\r\n\r\n", "", nil},
		{"unsigned, data contains CRLF", StreamingUnsignedTrailer, 4, nil, "4\r\na\r\nb\r\n0\r\n\r\n", "a\r\nb", nil},
		{"unsigned, trailer", StreamingUnsignedTrailer, 5, trailerHdr, "5\r\nhello\r\n0\r\nx-amz-checksum-crc32:" + crc + "\r\n\r\n", "hello", nil},
		{"unsigned, trailer name uppercase, spaces", StreamingUnsignedTrailer, 5, trailerHdr, "5\r\nhello\r\n0\r\nX-Amz-Checksum-CRC32 : " + crc + " \r\n\r\n", "hello", nil},
		{"unsigned, trailer without final CRLF", StreamingUnsignedTrailer, 5, trailerHdr, "5\r\nhello\r\n0\r\nx-amz-checksum-crc32:" + crc, "hello", nil},
		{"unsigned, CRLF before trailer", StreamingUnsignedTrailer, 5, trailerHdr, "5\r\nhello\r\n0\r\n\r\nx-amz-checksum-crc32:" + crc + "\r\n\r\n", "hello", nil},
		{"empty body", StreamingUnsignedTrailer, 5, nil, "", "", ErrIncompleteBody},
		{"empty chunk size", StreamingUnsignedTrailer, 5, nil, "\r\nhello\r\n0\r\n\r\n", "", ErrMalformedChunk},
		{"signed size", StreamingUnsignedTrailer, 5, nil, "-5\r\nhello\r\n0\r\n\r\n", "", ErrMalformedChunk},
		{"17 hex digits", StreamingUnsignedTrailer, 5, nil, "00000000000000005\r\nhello\r\n0\r\n\r\n", "", ErrMalformedChunk},
		{"chunk beyond decoded length", StreamingUnsignedTrailer, 5, nil, "6\r\nhello!\r\n0\r\n\r\n", "", ErrIncompleteBody},
		{"huge chunk", StreamingUnsignedTrailer, 5, nil, "ffffffffffffffff\r\n", "", ErrMalformedChunk},
		{"long line", StreamingUnsignedTrailer, 5, nil, "5;" + strings.Repeat("x", 5000) + "\r\nhello\r\n0\r\n\r\n", "", ErrMalformedChunk},
		{"line without end", StreamingUnsignedTrailer, 5, nil, strings.Repeat("1", 100000), "", ErrMalformedChunk},
		{"truncated in data", StreamingUnsignedTrailer, 5, nil, "5\r\nhel", "hel", ErrIncompleteBody},
		{"truncated before CRLF", StreamingUnsignedTrailer, 5, nil, "5\r\nhello", "hello", ErrIncompleteBody},
		{"truncated in header", StreamingUnsignedTrailer, 5, nil, "5\r\nhello\r\n0", "hello", ErrIncompleteBody},
		{"CR without LF after data", StreamingUnsignedTrailer, 5, nil, "5\r\nhello\rX0\r\n\r\n", "hello", ErrMalformedChunk},
		{"too many blank lines", StreamingUnsignedTrailer, 0, nil, "0\r\n" + strings.Repeat("\r\n", 40), "", ErrMalformedChunk},
		{"too many trailers", StreamingUnsignedTrailer, 0, nil, "0\r\n" + strings.Repeat("x-amz-meta-a:b\r\n", 40), "", ErrInvalidTrailer},
		{"data after end, no trailer mode", StreamingSigned, 0, nil, "", "", ErrMalformedChunk}, // body filled below
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := tc.body
			if tc.mode == StreamingSigned {
				e := newTestEncoder(exampleSecret, signTime, exampleRegion, testSeed)
				body = e.chunk(nil) + "\r\nx\r\n"
			}
			for _, rs := range []int{1, 3, 4096} {
				rq := chunkedRequest(tc.mode, tc.declare, tc.hdr, testSeed)
				got, _, err := decode(rq, body, rs)
				if !errors.Is(err, tc.wantErr) || (err == nil) != (tc.wantErr == nil) {
					t.Fatalf("read size %d: got error %v, want %v", rs, err, tc.wantErr)
				}
				if string(got) != tc.want {
					t.Fatalf("read size %d: got %q, want %q", rs, got, tc.want)
				}
			}
		})
	}
}

// TestChunkedReadSizes decodes the AWS signed-trailer example with every
// read size from 1 to 70 and some large ones: the decoder must not depend
// on how the caller slices its reads.
func TestChunkedReadSizes(t *testing.T) {
	const trailer = "x-amz-checksum-crc32c:sOO8/Q==\r\nx-amz-trailer-signature:" +
		"d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r\n"
	body := awsChunkedBody(awsTrailerSigs, trailer)
	sizes := []int{65535, 65536, 65537, 1 << 20}
	for i := 1; i <= 70; i++ {
		sizes = append(sizes, i)
	}
	for _, n := range sizes {
		r := awsTrailerRequest(body)
		rq, err := newTestVerifier(exampleTime).Verify(r)
		if err != nil {
			t.Fatal(err)
		}
		br, err := rq.Body(iotestHalf{r.Body})
		if err != nil {
			t.Fatal(err)
		}
		got, err := readAllSmall(br, n)
		if err != nil || !bytes.Equal(got, awsChunkedPayload) {
			t.Fatalf("read size %d: %d bytes, %v", n, len(got), err)
		}
	}
}

// iotestHalf returns at most half of each requested read (at least one
// byte), like a slow network.
type iotestHalf struct{ r io.Reader }

func (h iotestHalf) Read(p []byte) (int, error) {
	if len(p) > 1 {
		p = p[:len(p)/2]
	}
	return h.r.Read(p)
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

func TestUnderlyingErrorPassesThrough(t *testing.T) {
	boom := errors.New("connection reset")
	for _, mode := range []PayloadMode{Unsigned, SignedSHA256, StreamingSigned, StreamingUnsignedTrailer} {
		rq := chunkedRequest(mode, 5, nil, testSeed)
		rq.ContentSHA256 = sha256Hex(nil)
		prefix := "5\r\nhe"
		if mode == StreamingSigned {
			prefix = "5;chunk-signature=" + strings.Repeat("0", 64) + "\r\nhe"
		}
		r, err := rq.Body(io.MultiReader(strings.NewReader(prefix), errReader{boom}))
		if err != nil {
			t.Fatal(err)
		}
		_, err = io.ReadAll(r)
		if !errors.Is(err, boom) {
			t.Fatalf("%v: got %v, want the underlying error", mode, err)
		}
		if _, err := r.Read(make([]byte, 1)); !errors.Is(err, boom) {
			t.Fatalf("%v: error not sticky: %v", mode, err)
		}
	}
}

// byteReader is an endless stream of one byte.
type byteReader byte

func (b byteReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(b)
	}
	return len(p), nil
}

// TestHostileInputBoundedMemory streams 64 MiB through a chunk that claims
// 2^62 bytes, and feeds an endless line, checking that the decoder's
// allocations stay small: chunk data is never buffered and lines are capped.
func TestHostileInputBoundedMemory(t *testing.T) {
	measure := func(f func()) uint64 {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		f()
		runtime.ReadMemStats(&after)
		return after.TotalAlloc - before.TotalAlloc
	}
	const streamed = 64 << 20
	alloc := measure(func() {
		rq := chunkedRequest(StreamingUnsignedTrailer, 1<<62, nil, testSeed)
		r, err := rq.Body(io.MultiReader(strings.NewReader("4000000000000000\r\n"), byteReader('x')))
		if err != nil {
			t.Fatal(err)
		}
		n, err := io.CopyN(io.Discard, r, streamed)
		if n != streamed || err != nil {
			t.Fatalf("copied %d, %v", n, err)
		}
	})
	if alloc > 1<<20 {
		t.Fatalf("streaming %d bytes allocated %d bytes", streamed, alloc)
	}
	alloc = measure(func() {
		rq := chunkedRequest(StreamingSigned, 1<<62, nil, testSeed)
		r, err := rq.Body(byteReader('1'))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, r); !errors.Is(err, ErrMalformedChunk) {
			t.Fatalf("endless line: got %v, want ErrMalformedChunk", err)
		}
	})
	if alloc > 1<<20 {
		t.Fatalf("endless line allocated %d bytes", alloc)
	}
}

func TestStripAWSChunked(t *testing.T) {
	for in, want := range map[string]string{
		"aws-chunked":              "",
		"aws-chunked,gzip":         "gzip",
		"gzip, aws-chunked, br":    "gzip,br",
		"AWS-CHUNKED":              "",
		"":                         "",
		"identity":                 "identity",
		"aws-chunked,,aws-chunked": "",
	} {
		if got := StripAWSChunked(in); got != want {
			t.Errorf("StripAWSChunked(%q): got %q, want %q", in, got, want)
		}
	}
}

func BenchmarkBody(b *testing.B) {
	payload := bytes.Repeat([]byte("0123456789abcdef"), 1<<19) // 8 MiB
	for _, tc := range []struct {
		name string
		mode PayloadMode
		body string
	}{
		{"unsigned", Unsigned, string(payload)},
		{"signed-sha256", SignedSHA256, string(payload)},
		{"streaming-signed-64KiB", StreamingSigned, newTestEncoder(exampleSecret, signTime, exampleRegion, testSeed).encode(payload, 64<<10)},
		{"streaming-unsigned-trailer-1chunk", StreamingUnsignedTrailer, (&testEncoder{unsigned: true}).encode(payload, len(payload))},
	} {
		b.Run(tc.name, func(b *testing.B) {
			rq := chunkedRequest(tc.mode, int64(len(payload)), nil, testSeed)
			if tc.mode == SignedSHA256 {
				rq.ContentSHA256 = sha256Hex(payload)
			}
			if !tc.mode.Streaming() {
				rq.DecodedContentLength = -1
			}
			b.SetBytes(int64(len(payload)))
			for b.Loop() {
				r, err := rq.Body(strings.NewReader(tc.body))
				if err != nil {
					b.Fatal(err)
				}
				if _, err := io.Copy(io.Discard, r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
