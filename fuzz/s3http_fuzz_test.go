package fuzz

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"golang.org/x/net/http/httpguts"

	"github.com/wormstore/wormstore/engine"
	"github.com/wormstore/wormstore/s3api"
	"github.com/wormstore/wormstore/s3api/sigv4"
)

// s3HTTP is the s3api handler over an in-memory engine, driven in-process
// with httptest, with a plain bucket "plain" and an Object Lock bucket
// "vault" holding "obj". SigV4 is judged at sigv4Time.
type s3HTTP struct {
	h http.Handler
}

func newS3HTTP(tb testing.TB) *s3HTTP {
	tb.Helper()
	eng, err := engine.Open(context.Background(), engine.Options{
		FS: vfs.NewMem(), Dir: "/data", SegmentSize: 4 << 20, BlockSize: 64 << 10, WALSegmentSize: 1 << 20,
		CompactionInterval: -1, ClockPersistInterval: time.Hour,
	})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { eng.Close() })
	h, err := s3api.New(s3api.Config{
		Engine: eng, Region: sigv4Region, Clock: func() time.Time { return sigv4Time },
		Credentials: sigv4.StaticCredentials{sigv4AccessKey: sigv4Secret},
	})
	if err != nil {
		tb.Fatal(err)
	}
	s := &s3HTTP{h: h}
	for _, setup := range []struct {
		target string
		hdr    http.Header
		body   string
	}{
		{"/plain", nil, ""},
		{"/vault", http.Header{"X-Amz-Bucket-Object-Lock-Enabled": {"true"}}, ""},
		{"/vault/obj", nil, "locked data"},
	} {
		if rec := s.signed(tb, http.MethodPut, setup.target, setup.hdr, []byte(setup.body)); rec.Code != http.StatusOK {
			tb.Fatalf("setup PUT %s: %d %s", setup.target, rec.Code, rec.Body)
		}
	}
	return s
}

// signed sends a request with a signed SHA-256 payload and Content-MD5.
func (s *s3HTTP) signed(tb testing.TB, method, target string, hdr http.Header, body []byte) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, "http://s3.example.com"+target, bytes.NewReader(body))
	for k, vs := range hdr {
		r.Header[k] = vs
	}
	sum := md5.Sum(body)
	r.Header.Set("Content-Md5", base64.StdEncoding.EncodeToString(sum[:]))
	h := sha256.Sum256(body)
	payload := hex.EncodeToString(h[:])
	r.Header.Set("X-Amz-Content-Sha256", payload)
	sigv4Sign(tb, r, payload)
	return s.serve(tb, r)
}

// serve runs r through the handler; a panic or a 5xx answer fails tb.
func (s *s3HTTP) serve(tb testing.TB, r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	s.h.ServeHTTP(rec, r)
	if rec.Code >= 500 {
		tb.Fatalf("%s %s: status %d for client input; body %s", r.Method, r.URL, rec.Code, rec.Body)
	}
	return rec
}

// FuzzRetainUntilHTTP sends arbitrary Object Lock modes and retain-until
// dates where S3 takes them: the PutObjectRetention body, and the
// x-amz-object-lock-* headers of PutObject and CreateMultipartUpload. The
// handler must never panic nor answer 5xx: a date it cannot hold (year
// 10000 in UTC) is the client's error.
func FuzzRetainUntilHTTP(f *testing.F) {
	s := newS3HTTP(f)
	for where := range uint8(3) {
		for _, d := range []string{
			"2099-01-02T03:04:05Z", "2099-01-02T03:04:05.123Z", "2099-01-02T03:04:05+02:00",
			"9999-12-31T23:59:59Z", "9999-12-31T23:00:00-05:00", "9999-12-31T23:59:59.999999999-00:01",
			"10000-01-01T00:00:00Z", "0000-01-01T00:00:00+01:00", "2020-01-01T00:00:00Z", "2099-13-45T99:99:99Z", "",
		} {
			f.Add(where, "GOVERNANCE", d)
			f.Add(where, "COMPLIANCE", d)
		}
		f.Add(where, "", "")
		f.Add(where, "governance", "2099-01-01T00:00:00Z")
	}
	f.Fuzz(func(t *testing.T, where uint8, mode, until string) {
		switch where % 3 {
		case 0:
			var b bytes.Buffer
			b.WriteString(`<Retention xmlns="http://s3.amazonaws.com/doc/2006-03-01/">`)
			if mode != "" {
				b.WriteString("<Mode>")
				xml.EscapeText(&b, []byte(mode))
				b.WriteString("</Mode>")
			}
			if until != "" {
				b.WriteString("<RetainUntilDate>")
				xml.EscapeText(&b, []byte(until))
				b.WriteString("</RetainUntilDate>")
			}
			b.WriteString("</Retention>")
			s.signed(t, http.MethodPut, "/vault/obj?retention", nil, b.Bytes())
		default:
			// A real server refuses such header values before any
			// handler runs.
			if !httpguts.ValidHeaderFieldValue(mode) || !httpguts.ValidHeaderFieldValue(until) {
				return
			}
			hdr := http.Header{}
			if mode != "" {
				hdr.Set("X-Amz-Object-Lock-Mode", mode)
			}
			if until != "" {
				hdr.Set("X-Amz-Object-Lock-Retain-Until-Date", until)
			}
			if where%3 == 1 {
				s.signed(t, http.MethodPut, "/vault/new", hdr, []byte("payload"))
			} else {
				s.signed(t, http.MethodPost, "/vault/mpu?uploads", hdr, nil)
			}
		}
	})
}

// httpChunkedCase is a signed streaming PUT whose body the fuzzer picks.
type httpChunkedCase struct {
	chunkedCase
	header http.Header // signed request headers
}

// httpChunkedCases are the aws-chunked modes × decoded lengths, signed at
// sigv4Time for PUT /plain/k.
func httpChunkedCases(tb testing.TB) []httpChunkedCase {
	var cs []httpChunkedCase
	for _, m := range []struct {
		mode    string
		trailer bool
	}{
		{"STREAMING-AWS4-HMAC-SHA256-PAYLOAD", false},
		{"STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER", true},
		{"STREAMING-UNSIGNED-PAYLOAD-TRAILER", true},
	} {
		for _, n := range []int{0, 5, 1000} {
			r := httptest.NewRequest(http.MethodPut, "http://s3.example.com/plain/k", nil)
			r.Header.Set("Content-Encoding", "aws-chunked")
			r.Header.Set("X-Amz-Content-Sha256", m.mode)
			r.Header.Set("X-Amz-Decoded-Content-Length", fmt.Sprint(n))
			if m.trailer {
				r.Header.Set("X-Amz-Trailer", "x-amz-checksum-crc32")
			}
			sigv4Sign(tb, r, m.mode)
			a, err := sigv4.ParseAuthorization(r.Header.Get("Authorization"))
			if err != nil {
				tb.Fatal(err)
			}
			cs = append(cs, httpChunkedCase{chunkedCase{mode: m.mode, decoded: n, trailer: m.trailer, seed: a.Signature}, r.Header})
		}
	}
	return cs
}

// errTransport stands for what net/http's body reader returns on a broken
// chunked transfer coding or a reset connection.
var errTransport = errors.New("http: invalid byte in chunk length")

// brokenReader returns its data, then errTransport.
type brokenReader struct{ r io.Reader }

func (b brokenReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err == io.EOF {
		err = errTransport
	}
	return n, err
}

// FuzzChunkedPutHTTP sends arbitrary aws-chunked bodies in signed and
// unsigned streaming PUTs through the s3api handler, optionally ending in
// a transport error instead of EOF. The handler must never panic nor
// answer 5xx: framing and transport failures are the client's (400).
func FuzzChunkedPutHTTP(f *testing.F) {
	s := newS3HTTP(f)
	cases := httpChunkedCases(f)
	for i, c := range cases {
		payload := bytes.Repeat([]byte("z"), c.decoded)
		for _, chunk := range []int{7, 1000} {
			body := encodeChunked(c.chunkedCase, payload, chunk)
			r := httptest.NewRequest(http.MethodPut, "http://s3.example.com/plain/k", bytes.NewReader(body))
			r.Header = c.header.Clone()
			if rec := s.serve(f, r); rec.Code != http.StatusOK {
				f.Fatalf("seed %s/%d: %d %s", c.mode, c.decoded, rec.Code, rec.Body)
			}
			f.Add(uint8(i), body)
			f.Add(uint8(i+len(cases)), body)
			f.Add(uint8(i), bytes.Replace(body, []byte(fmt.Sprintf("%x;", min(chunk, c.decoded))), []byte("zz;"), 1))
			f.Add(uint8(i), body[:len(body)/2])
		}
	}
	f.Fuzz(func(t *testing.T, sel uint8, body []byte) {
		c := cases[int(sel)%len(cases)]
		var src io.Reader = bytes.NewReader(body)
		if int(sel)/len(cases)%2 == 1 {
			src = brokenReader{src}
		}
		r := httptest.NewRequest(http.MethodPut, "http://s3.example.com/plain/k", src)
		r.Header = c.header.Clone()
		s.serve(t, r)
	})
}
