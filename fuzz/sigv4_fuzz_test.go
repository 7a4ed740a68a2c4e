package fuzz

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/wormstore/wormstore/s3api/sigv4"
)

const (
	sigv4AccessKey = "AKIAIOSFODNN7EXAMPLE"
	sigv4Secret    = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	sigv4Region    = "us-east-1"
)

// sigv4Time is the fixed signing time: signatures in the seed corpus stay
// valid because signing is deterministic.
var sigv4Time = time.Date(2026, 4, 2, 10, 30, 0, 0, time.UTC)

func sigv4Verifier() *sigv4.Verifier {
	return &sigv4.Verifier{
		Region: sigv4Region,
		Creds:  sigv4.StaticCredentials{sigv4AccessKey: sigv4Secret},
		Clock:  func() time.Time { return sigv4Time },
	}
}

func sigv4Sign(tb testing.TB, r *http.Request, payload string) {
	s := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	creds := aws.Credentials{AccessKeyID: sigv4AccessKey, SecretAccessKey: sigv4Secret}
	if err := s.SignHTTP(context.Background(), creds, r, payload, "s3", sigv4Region, sigv4Time); err != nil {
		tb.Fatal(err)
	}
}

// chunkedCase is one verified streaming request the fuzzer feeds bodies to.
type chunkedCase struct {
	mode    string
	decoded int
	trailer bool
	seed    string // request signature (hex)
	rq      *sigv4.Request
}

// chunkedCases are the streaming modes × decoded lengths the fuzzer picks
// from with its selector byte.
func chunkedCases(tb testing.TB) []chunkedCase {
	var cs []chunkedCase
	for _, m := range []struct {
		mode    string
		trailer bool
	}{
		{"STREAMING-AWS4-HMAC-SHA256-PAYLOAD", false},
		{"STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER", true},
		{"STREAMING-UNSIGNED-PAYLOAD-TRAILER", true},
		{"STREAMING-UNSIGNED-PAYLOAD-TRAILER", false},
	} {
		for _, n := range []int{0, 5, 64, 1000} {
			r, err := http.NewRequest("PUT", "http://s3.example.com/bucket/key", nil)
			if err != nil {
				tb.Fatal(err)
			}
			r.ContentLength = -1
			r.Header.Set("Content-Encoding", "aws-chunked")
			r.Header.Set("X-Amz-Content-Sha256", m.mode)
			r.Header.Set("X-Amz-Decoded-Content-Length", fmt.Sprint(n))
			if m.trailer {
				r.Header.Set("X-Amz-Trailer", "x-amz-checksum-crc32")
			}
			sigv4Sign(tb, r, m.mode)
			rq, err := sigv4Verifier().Verify(r)
			if err != nil {
				tb.Fatalf("Verify: %v", err)
			}
			a, _ := sigv4.ParseAuthorization(r.Header.Get("Authorization"))
			cs = append(cs, chunkedCase{m.mode, n, m.trailer, a.Signature, rq})
		}
	}
	return cs
}

// encodeChunked builds a valid body for c: payload in chunks of size
// chunk, then the CRC32 trailer when c declares one.
func encodeChunked(c chunkedCase, payload []byte, chunk int) []byte {
	mac := func(k []byte, s string) []byte { m := hmac.New(sha256.New, k); m.Write([]byte(s)); return m.Sum(nil) }
	shaHex := func(b []byte) string { h := sha256.Sum256(b); return hex.EncodeToString(h[:]) }
	key := mac(mac(mac(mac([]byte("AWS4"+sigv4Secret), "20260402"), sigv4Region), "s3"), "aws4_request")
	const head = "\n20260402T103000Z\n20260402/us-east-1/s3/aws4_request\n"
	signed := !strings.Contains(c.mode, "UNSIGNED")
	prev := c.seed
	var b bytes.Buffer
	for {
		n := min(chunk, len(payload))
		data := payload[:n]
		payload = payload[n:]
		fmt.Fprintf(&b, "%x", n)
		if signed {
			prev = hex.EncodeToString(mac(key, "AWS4-HMAC-SHA256-PAYLOAD"+head+prev+"\n"+shaHex(nil)+"\n"+shaHex(data)))
			b.WriteString(";chunk-signature=" + prev)
		}
		b.WriteString("\r\n")
		if n == 0 {
			break
		}
		b.Write(data)
		b.WriteString("\r\n")
	}
	if c.trailer {
		h := sigv4.CRC32.New()
		h.Write(bytes.Repeat([]byte("z"), c.decoded))
		line := "x-amz-checksum-crc32:" + base64Std(h.Sum(nil))
		b.WriteString(line + "\r\n")
		if signed {
			sig := mac(key, "AWS4-HMAC-SHA256-TRAILER"+head+prev+"\n"+shaHex([]byte(line+"\n")))
			b.WriteString("x-amz-trailer-signature:" + hex.EncodeToString(sig) + "\r\n")
		}
	}
	b.WriteString("\r\n")
	return b.Bytes()
}

func base64Std(b []byte) string {
	const enc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	var s strings.Builder
	for i := 0; i < len(b); i += 3 {
		var v uint32
		n := min(3, len(b)-i)
		for j := 0; j < 3; j++ {
			v <<= 8
			if j < n {
				v |= uint32(b[i+j])
			}
		}
		for j := 0; j < 4; j++ {
			if j <= n {
				s.WriteByte(enc[v>>(18-6*j)&63])
			} else {
				s.WriteByte('=')
			}
		}
	}
	return s.String()
}

var sigv4Sentinels = []error{
	sigv4.ErrMissingAuth, sigv4.ErrUnsupportedAuth, sigv4.ErrMultipleAuth, sigv4.ErrAuthorizationHeaderMalformed,
	sigv4.ErrAuthorizationQueryParametersError, sigv4.ErrMissingDate, sigv4.ErrHeadersNotSigned, sigv4.ErrInvalidAccessKeyID,
	sigv4.ErrSignatureDoesNotMatch, sigv4.ErrRequestTimeTooSkewed, sigv4.ErrRequestExpired, sigv4.ErrMissingContentSHA256,
	sigv4.ErrInvalidContentSHA256, sigv4.ErrUnsupportedPayload, sigv4.ErrContentSHA256Mismatch, sigv4.ErrMissingDecodedContentLength,
	sigv4.ErrInvalidDecodedContentLength, sigv4.ErrIncompleteBody, sigv4.ErrMalformedChunk, sigv4.ErrInvalidDigest,
	sigv4.ErrBadDigest, sigv4.ErrInvalidChecksum, sigv4.ErrChecksumConflict, sigv4.ErrInvalidTrailer, sigv4.ErrMissingTrailer,
}

func isSigv4Error(err error) bool {
	for _, s := range sigv4Sentinels {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

// FuzzChunkedReader feeds arbitrary bodies to the aws-chunked decoders
// (signed, signed trailer, unsigned trailer). The selector picks the
// request and the read size. It must never panic, never yield more bytes
// than it was given, end only in a typed error or in io.EOF after exactly
// x-amz-decoded-content-length bytes.
func FuzzChunkedReader(f *testing.F) {
	cases := chunkedCases(f)
	for i, c := range cases {
		payload := bytes.Repeat([]byte("z"), c.decoded)
		for j, chunk := range []int{7, 1000} {
			body := encodeChunked(c, payload, chunk)
			r, err := c.rq.Body(bytes.NewReader(body))
			if err != nil {
				f.Fatal(err)
			}
			if got, err := io.ReadAll(r); err != nil || !bytes.Equal(got, payload) {
				f.Fatalf("seed %s/%d is not valid: %v", c.mode, c.decoded, err)
			}
			f.Add(uint8(i+j*len(cases)), body)
		}
	}
	f.Fuzz(func(t *testing.T, sel uint8, body []byte) {
		c := cases[int(sel)%len(cases)]
		readSize := 1 + int(sel)/len(cases)*37
		r, err := c.rq.Body(bytes.NewReader(body))
		if err != nil {
			t.Fatalf("Body: %v", err)
		}
		buf := make([]byte, readSize)
		total := 0
		for {
			n, err := r.Read(buf)
			if n < 0 || n > len(buf) {
				t.Fatalf("Read returned %d for a %d-byte buffer", n, len(buf))
			}
			total += n
			if total > len(body) {
				t.Fatalf("decoded %d bytes from a %d-byte body", total, len(body))
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				if !isSigv4Error(err) {
					t.Fatalf("untyped error: %v", err)
				}
				if _, rerr := r.Result(); rerr == nil {
					t.Fatalf("Result succeeded after read error %v", err)
				}
				return
			}
		}
		if total != c.decoded {
			t.Fatalf("EOF after %d bytes, x-amz-decoded-content-length is %d", total, c.decoded)
		}
		res, err := r.Result()
		if err != nil || res.Size != int64(total) {
			t.Fatalf("Result: %+v, %v", res, err)
		}
	})
}

// FuzzAuthHeader parses arbitrary Authorization headers and presigned
// query strings. ParseAuthorization's successes must be well formed, and
// Verify must never panic and fail only with a typed error.
func FuzzAuthHeader(f *testing.F) {
	const target = "http://s3.example.com/bucket/key"
	r, _ := http.NewRequest("GET", target, nil)
	r.Header.Set("X-Amz-Content-Sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
	sigv4Sign(f, r, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
	valid := r.Header.Get("Authorization")
	f.Add(valid, "")
	f.Add(strings.ReplaceAll(valid, ", ", ","), "")
	f.Add(strings.Replace(valid, "us-east-1", "eu-west-1", 1), "")
	f.Add("AWS AKIAIOSFODNN7EXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=", "")
	f.Add("AWS4-HMAC-SHA256 Credential=a/b/c/d/e/f, SignedHeaders=host;;x, Signature=zz", "")
	f.Add("AWS4-HMAC-SHA256 ,,,=,Credential==", "a=%zz&b;c")

	pr, _ := http.NewRequest("GET", target+"?X-Amz-Expires=900", nil)
	s := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	u, _, err := s.PresignHTTP(context.Background(), aws.Credentials{AccessKeyID: sigv4AccessKey, SecretAccessKey: sigv4Secret},
		pr, "UNSIGNED-PAYLOAD", "s3", sigv4Region, sigv4Time)
	if err != nil {
		f.Fatal(err)
	}
	presigned := u[strings.IndexByte(u, '?')+1:]
	f.Add("", presigned)
	f.Add("", strings.Replace(presigned, "X-Amz-Expires=900", "X-Amz-Expires=604801", 1))
	f.Add(valid, presigned)
	f.Add("", "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=%2F%2F%2F%2F&X-Amz-Signature=")
	f.Add("", "AWSAccessKeyId=x&Signature=y&Expires=1")

	v := sigv4Verifier()
	f.Fuzz(func(t *testing.T, authz, rawQuery string) {
		if a, err := sigv4.ParseAuthorization(authz); err == nil {
			if len(a.Signature) != 64 || strings.ToLower(a.Signature) != a.Signature || len(a.Date) != 8 ||
				a.AccessKey == "" || a.Region == "" || a.Service == "" {
				t.Fatalf("ParseAuthorization(%q) accepted %+v", authz, a)
			}
			hasHost := false
			for _, h := range a.SignedHeaders {
				hasHost = hasHost || h == "host"
			}
			if !hasHost {
				t.Fatalf("ParseAuthorization(%q): SignedHeaders without host", authz)
			}
		} else if !isSigv4Error(err) {
			t.Fatalf("ParseAuthorization: untyped error %v", err)
		}
		req, _ := http.NewRequest("GET", target, nil)
		req.URL.RawQuery = rawQuery
		req.Header.Set("X-Amz-Date", "20260402T103000Z")
		req.Header.Set("X-Amz-Content-Sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
		if authz != "" {
			req.Header.Set("Authorization", authz)
		}
		if _, err := v.Verify(req); err != nil && !isSigv4Error(err) {
			t.Fatalf("Verify: untyped error %v", err)
		}
	})
}

// TestChunkedReaderValidSeeds checks that the committed "valid-*" seeds of
// FuzzChunkedReader still decode, so the corpus keeps reaching the
// end-of-body checks rather than failing at the first signature.
func TestChunkedReaderValidSeeds(t *testing.T) {
	cases := chunkedCases(t)
	files, err := filepath.Glob("testdata/fuzz/FuzzChunkedReader/valid-*")
	if err != nil || len(files) == 0 {
		t.Fatalf("no valid seeds: %v", err)
	}
	for _, name := range files {
		raw, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.SplitN(string(raw), "\n", 4)
		var sel int
		if len(lines) < 3 || !strings.HasPrefix(lines[2], "[]byte(") {
			t.Fatalf("%s: unexpected corpus format", name)
		}
		if _, err := fmt.Sscanf(lines[1], "uint8(%d)", &sel); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		body, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[2], "[]byte("), ")"))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		c := cases[sel%len(cases)]
		r, err := c.rq.Body(strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if got, err := io.ReadAll(r); err != nil || len(got) != c.decoded {
			t.Fatalf("%s: decoded %d bytes, %v; want %d bytes", name, len(got), err, c.decoded)
		}
	}
}
