package sigv4

import (
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"hash"
	"hash/crc32"
	"net/http"
	"strings"

	"github.com/minio/crc64nvme"
)

// Algorithm is an S3 additional-checksum algorithm, spelled as in
// x-amz-sdk-checksum-algorithm and the ChecksumAlgorithm API field.
type Algorithm string

// The checksum algorithms S3 accepts in x-amz-checksum-*.
const (
	CRC32     Algorithm = "CRC32"
	CRC32C    Algorithm = "CRC32C"
	CRC64NVME Algorithm = "CRC64NVME"
	SHA1      Algorithm = "SHA1"
	SHA256    Algorithm = "SHA256"
)

// Algorithms returns the supported algorithms, in a new slice.
func Algorithms() []Algorithm {
	return []Algorithm{CRC32, CRC32C, CRC64NVME, SHA1, SHA256}
}

// ParseAlgorithm parses an algorithm name case-insensitively ("crc32c",
// "CRC32C"). It returns false for an unknown name.
func ParseAlgorithm(s string) (Algorithm, bool) {
	for _, a := range Algorithms() {
		if strings.EqualFold(s, string(a)) {
			return a, true
		}
	}
	return "", false
}

// HeaderName returns the lowercase header (and trailer) name carrying a
// value of the algorithm, e.g. "x-amz-checksum-crc32".
func (a Algorithm) HeaderName() string {
	return "x-amz-checksum-" + strings.ToLower(string(a))
}

// Size returns the digest size in bytes, 0 for an unknown algorithm.
func (a Algorithm) Size() int {
	switch a {
	case CRC32, CRC32C:
		return 4
	case CRC64NVME:
		return 8
	case SHA1:
		return sha1.Size
	case SHA256:
		return sha256.Size
	}
	return 0
}

// New returns a new hash computing the algorithm; its Sum is the
// big-endian digest that S3 base64-encodes. It panics on an unknown
// algorithm (a caller bug: parse names with ParseAlgorithm).
func (a Algorithm) New() hash.Hash {
	switch a {
	case CRC32:
		return crc32.NewIEEE()
	case CRC32C:
		return crc32.New(crc32.MakeTable(crc32.Castagnoli))
	case CRC64NVME:
		return crc64nvme.New()
	case SHA1:
		return sha1.New()
	case SHA256:
		return sha256.New()
	}
	panic(fmt.Sprintf("sigv4: unknown checksum algorithm %q", string(a)))
}

// decodeValue decodes a base64 checksum value and checks its length.
func (a Algorithm) decodeValue(v string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(v)
	if err != nil || len(b) != a.Size() {
		return nil, fmt.Errorf("%w: value for %s is not base64 of %d bytes", ErrInvalidChecksum, a.HeaderName(), a.Size())
	}
	return b, nil
}

// Checksum is one additional checksum: its algorithm and base64 value.
type Checksum struct {
	Algorithm Algorithm
	Value     string
}

// ChecksumRequest describes the integrity checks a client asked for in its
// headers. The zero value asks for none.
type ChecksumRequest struct {
	// ContentMD5 is the decoded Content-MD5 header, nil when absent.
	ContentMD5 []byte
	// Algorithm is the algorithm of the x-amz-checksum-* header or of the
	// declared trailer, "" when the client sends neither.
	Algorithm Algorithm
	// Value is the base64 x-amz-checksum-* header value; empty when the
	// value comes in a trailer or not at all.
	Value string
	// Trailer reports that the value arrives in the trailer named by
	// x-amz-trailer.
	Trailer bool
	// Default is the algorithm computed when Algorithm is "" so the caller
	// can store a checksum anyway, as S3 does. "" means CRC64NVME.
	Default Algorithm
}

// isChecksumNonValueHeader reports the lowercase headers that share the
// x-amz-checksum- prefix but carry no checksum value.
func isChecksumNonValueHeader(h string) bool {
	switch h {
	case "x-amz-checksum-type", "x-amz-checksum-mode", "x-amz-checksum-algorithm":
		return true
	}
	return false
}

// ParseChecksumHeaders reads Content-MD5, x-amz-checksum-*, x-amz-trailer
// and x-amz-sdk-checksum-algorithm. trailers reports whether the payload
// mode can carry trailers (the STREAMING-*-TRAILER modes). Errors:
// ErrInvalidDigest (bad Content-MD5), ErrInvalidChecksum (unknown
// algorithm, bad value, several checksum headers), ErrInvalidTrailer
// (x-amz-trailer without a trailer mode, unsupported or several trailer
// names), ErrChecksumConflict (trailer and header both present, or
// x-amz-sdk-checksum-algorithm disagreeing or alone).
func ParseChecksumHeaders(h http.Header, trailers bool) (ChecksumRequest, error) {
	var cr ChecksumRequest
	if vs, ok := h["Content-Md5"]; ok {
		if len(vs) != 1 {
			return cr, fmt.Errorf("%w: %d Content-MD5 headers", ErrInvalidDigest, len(vs))
		}
		b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(vs[0]))
		if err != nil || len(b) != md5.Size {
			return cr, fmt.Errorf("%w: not base64 of 16 bytes", ErrInvalidDigest)
		}
		cr.ContentMD5 = b
	}
	for k, vs := range h {
		lk := strings.ToLower(k)
		name, ok := strings.CutPrefix(lk, "x-amz-checksum-")
		if !ok || isChecksumNonValueHeader(lk) {
			continue
		}
		alg, ok := ParseAlgorithm(name)
		if !ok {
			return cr, fmt.Errorf("%w: unsupported checksum header %.64q", ErrInvalidChecksum, lk)
		}
		if cr.Algorithm != "" || len(vs) != 1 {
			return cr, fmt.Errorf("%w: expecting a single x-amz-checksum- header", ErrInvalidChecksum)
		}
		v := strings.TrimSpace(vs[0])
		if _, err := alg.decodeValue(v); err != nil {
			return cr, err
		}
		cr.Algorithm, cr.Value = alg, v
	}
	var declared []string
	for _, v := range h.Values("X-Amz-Trailer") {
		for name := range strings.SplitSeq(v, ",") {
			if name = strings.TrimSpace(name); name != "" {
				declared = append(declared, strings.ToLower(name))
			}
		}
	}
	if len(declared) > 0 {
		if !trailers {
			return cr, fmt.Errorf("%w: x-amz-trailer needs a STREAMING-*-TRAILER payload", ErrInvalidTrailer)
		}
		if len(declared) > 1 {
			return cr, fmt.Errorf("%w: only one trailing checksum is supported, got %d trailers", ErrInvalidTrailer, len(declared))
		}
		name, ok := strings.CutPrefix(declared[0], "x-amz-checksum-")
		alg, known := ParseAlgorithm(name)
		if !ok || !known || isChecksumNonValueHeader(declared[0]) {
			return cr, fmt.Errorf("%w: unsupported trailer %.64q", ErrInvalidTrailer, declared[0])
		}
		if cr.Algorithm != "" {
			return cr, fmt.Errorf("%w: both x-amz-trailer and %s are present", ErrChecksumConflict, cr.Algorithm.HeaderName())
		}
		cr.Algorithm, cr.Trailer = alg, true
	}
	if v := h.Get("X-Amz-Sdk-Checksum-Algorithm"); v != "" {
		alg, ok := ParseAlgorithm(strings.TrimSpace(v))
		switch {
		case !ok:
			return cr, fmt.Errorf("%w: unsupported x-amz-sdk-checksum-algorithm %.32q", ErrInvalidChecksum, v)
		case cr.Algorithm == "":
			return cr, fmt.Errorf("%w: x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* or x-amz-trailer headers were found", ErrChecksumConflict)
		case alg != cr.Algorithm:
			return cr, fmt.Errorf("%w: x-amz-sdk-checksum-algorithm %s, but checksum is %s", ErrChecksumConflict, alg, cr.Algorithm)
		}
	}
	return cr, nil
}

// Checksums computes, while a body streams through Write, its MD5 and one
// additional checksum: the requested algorithm, or ChecksumRequest.Default
// (CRC64NVME) when the client sent none. Verify then checks them against
// the request. A Checksums is not safe for concurrent use.
type Checksums struct {
	req        ChecksumRequest
	alg        Algorithm
	md5        hash.Hash
	sum        hash.Hash
	n          int64
	trailer    string // trailer value, when received
	gotTrailer bool
}

// NewChecksums returns a Checksums for req. It panics if req names an
// unknown algorithm (ParseChecksumHeaders never does).
func NewChecksums(req ChecksumRequest) *Checksums {
	alg := req.Algorithm
	if alg == "" {
		alg = req.Default
	}
	if alg == "" {
		alg = CRC64NVME
	}
	return &Checksums{req: req, alg: alg, md5: md5.New(), sum: alg.New()}
}

// Write adds p to the digests. It never fails.
func (c *Checksums) Write(p []byte) (int, error) {
	c.md5.Write(p)
	c.sum.Write(p)
	c.n += int64(len(p))
	return len(p), nil
}

// setTrailer records a received checksum trailer. name is lowercase.
func (c *Checksums) setTrailer(name, value string) error {
	if !c.req.Trailer || name != c.req.Algorithm.HeaderName() {
		return fmt.Errorf("%w: undeclared trailer %.64q", ErrInvalidTrailer, name)
	}
	if c.gotTrailer {
		return fmt.Errorf("%w: duplicate trailer %q", ErrInvalidTrailer, name)
	}
	if _, err := c.req.Algorithm.decodeValue(value); err != nil {
		return err
	}
	c.trailer, c.gotTrailer = value, true
	return nil
}

// Result is what a fully read and verified body yields.
type Result struct {
	// Size is the number of payload bytes.
	Size int64
	// MD5 is the payload's MD5 (the ETag of a single-part object is its
	// lowercase hex).
	MD5 [md5.Size]byte
	// Checksum is the client's additional checksum, verified, or the
	// default algorithm's value computed when the client sent none.
	Checksum Checksum
	// ChecksumProvided reports that Checksum came from the client (header
	// or trailer) rather than being computed by default.
	ChecksumProvided bool
}

// Verify checks the digests against the request and returns the result:
// ErrBadDigest when Content-MD5 or the checksum does not match,
// ErrMissingTrailer when a declared trailer never arrived. Call it once,
// after the last Write.
func (c *Checksums) Verify() (Result, error) {
	var res Result
	res.Size = c.n
	c.md5.Sum(res.MD5[:0])
	got := c.sum.Sum(nil)
	res.Checksum = Checksum{Algorithm: c.alg, Value: base64.StdEncoding.EncodeToString(got)}
	if c.req.ContentMD5 != nil && !bytes.Equal(c.req.ContentMD5, res.MD5[:]) {
		return res, fmt.Errorf("%w: Content-MD5", ErrBadDigest)
	}
	if c.req.Algorithm == "" {
		return res, nil
	}
	want := c.req.Value
	if c.req.Trailer {
		if !c.gotTrailer {
			return res, fmt.Errorf("%w: %s", ErrMissingTrailer, c.req.Algorithm.HeaderName())
		}
		want = c.trailer
	}
	wantb, err := c.req.Algorithm.decodeValue(want)
	if err != nil {
		return res, err
	}
	if !bytes.Equal(wantb, got) {
		return res, fmt.Errorf("%w: the %s you specified did not match the calculated checksum", ErrBadDigest, c.req.Algorithm)
	}
	res.ChecksumProvided = true
	return res, nil
}
