package sigv4

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// verifyServer starts an HTTP server whose handler verifies each request
// with v and answers 200 with the decoded body, or 403 with the error and
// an X-Err header naming the sentinel.
func verifyServer(t *testing.T, v *Verifier) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fail := func(err error) {
			w.Header().Set("X-Err", sentinelName(err))
			w.WriteHeader(http.StatusForbidden)
			io.WriteString(w, err.Error())
		}
		rq, err := v.Verify(r)
		if err != nil {
			fail(err)
			return
		}
		body, err := rq.Body(r.Body)
		if err != nil {
			fail(err)
			return
		}
		data, err := io.ReadAll(body)
		if err != nil {
			fail(err)
			return
		}
		res, err := body.Result()
		if err != nil {
			fail(err)
			return
		}
		w.Header().Set("X-Mode", rq.PayloadMode.String())
		w.Header().Set("X-Checksum", string(res.Checksum.Algorithm)+"="+res.Checksum.Value)
		w.Write(data)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// sentinelName names the first sentinel of errors.go that err matches.
func sentinelName(err error) string {
	for name, s := range allSentinels {
		if errors.Is(err, s) {
			return name
		}
	}
	return "other"
}

var allSentinels = map[string]error{
	"ErrMissingAuth": ErrMissingAuth, "ErrUnsupportedAuth": ErrUnsupportedAuth, "ErrMultipleAuth": ErrMultipleAuth,
	"ErrAuthorizationHeaderMalformed": ErrAuthorizationHeaderMalformed, "ErrAuthorizationQueryParametersError": ErrAuthorizationQueryParametersError,
	"ErrMissingDate": ErrMissingDate, "ErrHeadersNotSigned": ErrHeadersNotSigned, "ErrInvalidAccessKeyID": ErrInvalidAccessKeyID,
	"ErrSignatureDoesNotMatch": ErrSignatureDoesNotMatch, "ErrRequestTimeTooSkewed": ErrRequestTimeTooSkewed, "ErrRequestExpired": ErrRequestExpired,
	"ErrMissingContentSHA256": ErrMissingContentSHA256, "ErrInvalidContentSHA256": ErrInvalidContentSHA256, "ErrUnsupportedPayload": ErrUnsupportedPayload,
	"ErrContentSHA256Mismatch": ErrContentSHA256Mismatch, "ErrMissingDecodedContentLength": ErrMissingDecodedContentLength,
	"ErrInvalidDecodedContentLength": ErrInvalidDecodedContentLength, "ErrIncompleteBody": ErrIncompleteBody, "ErrMalformedChunk": ErrMalformedChunk,
	"ErrInvalidDigest": ErrInvalidDigest, "ErrBadDigest": ErrBadDigest, "ErrInvalidChecksum": ErrInvalidChecksum,
	"ErrChecksumConflict": ErrChecksumConflict, "ErrInvalidTrailer": ErrInvalidTrailer, "ErrMissingTrailer": ErrMissingTrailer,
	"ErrNotFinished": ErrNotFinished,
}

func do(t *testing.T, r *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatalf("%s %s: %v", r.Method, r.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading response: %v", err)
	}
	return resp, string(b)
}

// awsEscape percent-encodes a key the way the AWS SDKs put it in the path.
func awsEscape(key string) string { return string(uriEncode(nil, key, true)) }

// TestSDKHeaderAuthOverHTTP signs requests with aws-sdk-go-v2's signer and
// sends them over a real connection, so the verifier sees exactly what Go's
// server makes of the wire bytes (RequestURI, Host, header casing).
func TestSDKHeaderAuthOverHTTP(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second)
	srv := verifyServer(t, newTestVerifier(now))
	tests := []struct {
		name     string
		method   string
		rawPath  string // as sent; the SDK signs it as is
		rawQuery string
		hdr      [][2]string
		body     string
	}{
		{name: "plain", method: "GET", rawPath: "/bucket/plain.txt"},
		{name: "bucket root", method: "GET", rawPath: "/bucket"},
		{name: "service root", method: "GET", rawPath: "/"},
		{name: "spaces", method: "PUT", rawPath: "/bucket/" + awsEscape("a b  c"), body: "x"},
		{name: "plus", method: "PUT", rawPath: "/bucket/" + awsEscape("a+b"), body: "x"},
		{name: "dot segments and double slash", method: "PUT", rawPath: "/bucket/" + awsEscape("dir//x/../y/./z/"), body: "x"},
		{name: "leading dotdot", method: "GET", rawPath: "/bucket/" + awsEscape("../../etc/passwd")},
		{name: "unicode", method: "PUT", rawPath: "/bucket/" + awsEscape("ünï©ødé/日本語 ☃"), body: "x"},
		{name: "sub-delims", method: "PUT", rawPath: "/bucket/" + awsEscape("!$&'()*,;=:@"), body: "x"},
		{name: "percent", method: "PUT", rawPath: "/bucket/" + awsEscape("100%/%2F%zz"), body: "x"},
		{name: "unreserved", method: "PUT", rawPath: "/bucket/" + awsEscape("tilde~dash-under_dot.AZaz09"), body: "x"},
		{name: "query-like key", method: "PUT", rawPath: "/bucket/" + awsEscape("key?with#chars&x=y"), body: "x"},
		{name: "encoded slash", method: "GET", rawPath: "/bucket/a%2Fb"},
		{name: "wire form unescaped sub-delims", method: "GET", rawPath: "/bucket/a!b$c'd(e)*f,g;h=i:j@k"},
		{name: "wire form lowercase hex", method: "GET", rawPath: "/bucket/%c3%bc%2f"},
		{name: "list v2 query", method: "GET", rawPath: "/bucket", rawQuery: "list-type=2&prefix=a%20b%2Fc&delimiter=%2F&encoding-type=url&continuation-token=ab%2Bc%3D%3D"},
		{name: "query plus is space", method: "GET", rawPath: "/bucket", rawQuery: "prefix=a+b"},
		{name: "bare subresource", method: "POST", rawPath: "/bucket/key", rawQuery: "uploads", body: ""},
		{name: "x-id and versionId", method: "PUT", rawPath: "/bucket/key", rawQuery: "retention&versionId=3%2F4&x-id=PutObjectRetention", body: "<Retention/>"},
		{name: "repeated query key", method: "GET", rawPath: "/bucket", rawQuery: "b=2&a=3&b=1&a=1"},
		{name: "query unicode and tilde", method: "GET", rawPath: "/bucket", rawQuery: "prefix=%E2%98%83~x&marker=a%26b"},
		{name: "headers", method: "PUT", rawPath: "/bucket/h", body: "hello", hdr: [][2]string{
			{"X-Amz-Meta-Spaces", "  a   b  c  "},
			{"X-Amz-Meta-Multi", "one"}, {"X-Amz-Meta-Multi", "two"},
			{"Content-Type", "text/plain;  charset=utf-8"},
			{"X-Amz-Object-Lock-Mode", "COMPLIANCE"},
			{"X-Amz-Object-Lock-Retain-Until-Date", "2030-01-01T00:00:00Z"},
			{"Content-Md5", "XUFAKrxLKna5cZ2REBfFkg=="},
		}},
	}
	for _, tc := range tests {
		for _, mode := range []string{"signed", "unsigned"} {
			t.Run(tc.name+"/"+mode, func(t *testing.T) {
				url := srv.URL + tc.rawPath
				if tc.rawQuery != "" {
					url += "?" + tc.rawQuery
				}
				var body io.Reader
				if tc.body != "" {
					body = strings.NewReader(tc.body)
				}
				r := newRequest(t, tc.method, url, body)
				for _, kv := range tc.hdr {
					r.Header.Add(kv[0], kv[1])
				}
				payload := unsignedPayload
				if mode == "signed" {
					payload = sha256Hex([]byte(tc.body))
				}
				r.Header.Set("X-Amz-Content-Sha256", payload)
				sdkSign(t, r, payload, now)
				resp, got := do(t, r)
				if resp.StatusCode != 200 {
					t.Fatalf("status %d: %s (%s)", resp.StatusCode, got, resp.Header.Get("X-Err"))
				}
				if got != tc.body {
					t.Fatalf("body: got %q, want %q", got, tc.body)
				}
			})
		}
	}
}

// TestSDKPresignOverHTTP presigns with aws-sdk-go-v2 and sends the URL.
func TestSDKPresignOverHTTP(t *testing.T) {
	signedAt := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		method  string
		path    string
		query   string
		expires string
		hdr     [][2]string
		now     time.Time
		wantErr string
	}{
		{name: "get", method: "GET", path: "/bucket/" + awsEscape("a b/ü+!.txt"), expires: "900", now: signedAt},
		{name: "put with signed headers", method: "PUT", path: "/bucket/k", expires: "3600", now: signedAt.Add(59 * time.Minute),
			hdr: [][2]string{{"Content-Type", "application/octet-stream"}, {"X-Amz-Meta-Owner", "me"}}},
		{name: "query params", method: "GET", path: "/bucket", query: "list-type=2&prefix=x%20y&versionId=a%2Fb", expires: "604800", now: signedAt.Add(6 * 24 * time.Hour)},
		{name: "expired", method: "GET", path: "/bucket/k", expires: "900", now: signedAt.Add(901 * time.Second), wantErr: "ErrRequestExpired"},
		{name: "not yet valid", method: "GET", path: "/bucket/k", expires: "900", now: signedAt.Add(-16 * time.Minute), wantErr: "ErrRequestTimeTooSkewed"},
		{name: "expires too long", method: "GET", path: "/bucket/k", expires: "604801", now: signedAt, wantErr: "ErrAuthorizationQueryParametersError"},
		{name: "expires zero", method: "GET", path: "/bucket/k", expires: "0", now: signedAt, wantErr: "ErrAuthorizationQueryParametersError"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := verifyServer(t, newTestVerifier(tc.now))
			q := "X-Amz-Expires=" + tc.expires
			if tc.query != "" {
				q = tc.query + "&" + q
			}
			r := newRequest(t, tc.method, srv.URL+tc.path+"?"+q, nil)
			for _, kv := range tc.hdr {
				r.Header.Add(kv[0], kv[1])
			}
			pr := sdkPresign(t, r, signedAt)
			resp, got := do(t, pr)
			if tc.wantErr != "" {
				if resp.StatusCode != 403 || resp.Header.Get("X-Err") != tc.wantErr {
					t.Fatalf("got %d %s (%s), want %s", resp.StatusCode, resp.Header.Get("X-Err"), got, tc.wantErr)
				}
				return
			}
			if resp.StatusCode != 200 {
				t.Fatalf("status %d: %s (%s)", resp.StatusCode, got, resp.Header.Get("X-Err"))
			}
			// Tampering with the query breaks the signature.
			pr2 := newRequest(t, pr.Method, pr.URL.String()+"&extra=1", nil)
			pr2.Header = pr.Header.Clone()
			if resp, _ := do(t, pr2); resp.Header.Get("X-Err") != "ErrSignatureDoesNotMatch" {
				t.Fatalf("tampered query: got %s, want ErrSignatureDoesNotMatch", resp.Header.Get("X-Err"))
			}
		})
	}
}

// sdkChunkedBody builds an aws-chunked body whose chunk signatures come
// from aws-sdk-go-v2's StreamSigner (the event-stream signer computes the
// same string-to-sign with empty headers), and, when trailer is set, a
// trailer signed by the test encoder.
func sdkChunkedBody(t *testing.T, seed string, at time.Time, payload []byte, chunk int, trailerKV []string) string {
	t.Helper()
	seedb, _ := hex.DecodeString(seed)
	ss := v4.NewStreamSigner(exampleCreds, "s3", exampleRegion, seedb)
	var b strings.Builder
	var last []byte
	for {
		c := payload[:min(chunk, len(payload))]
		payload = payload[len(c):]
		sig, err := ss.GetSignature(context.Background(), nil, c, at)
		if err != nil {
			t.Fatal(err)
		}
		last = sig
		fmt.Fprintf(&b, "%x;chunk-signature=%x\r\n", len(c), sig)
		if len(c) == 0 {
			break
		}
		b.Write(c)
		b.WriteString("\r\n")
	}
	if trailerKV == nil {
		b.WriteString("\r\n")
		return b.String()
	}
	e := newTestEncoder(exampleSecret, at, exampleRegion, hex.EncodeToString(last))
	b.WriteString(e.trailers(trailerKV...))
	return b.String()
}

func crc32b64(b []byte) string {
	var s [4]byte
	v := crc32.ChecksumIEEE(b)
	s[0], s[1], s[2], s[3] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
	return base64.StdEncoding.EncodeToString(s[:])
}

// TestSDKStreamingOverHTTP sends aws-chunked bodies in every streaming mode,
// with Content-Length and with Transfer-Encoding: chunked.
func TestSDKStreamingOverHTTP(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second)
	srv := verifyServer(t, newTestVerifier(now))
	payload := make([]byte, 200_000)
	for i := range payload {
		payload[i] = byte(i * 7)
	}
	sum := crc32b64(payload)
	tests := []struct {
		name       string
		mode       string
		chunk      int
		trailer    bool
		unknownLen bool
		tamper     func(string) string
		wantErr    string
		wantSum    string
	}{
		{name: "signed 64KiB", mode: streamingSignedPayload, chunk: 64 << 10},
		{name: "signed 8KiB unknown length", mode: streamingSignedPayload, chunk: 8 << 10, unknownLen: true},
		{name: "signed one chunk", mode: streamingSignedPayload, chunk: len(payload)},
		{name: "signed trailer", mode: streamingSignedPayloadTrailer, chunk: 64 << 10, trailer: true, wantSum: "CRC32=" + sum},
		{name: "unsigned trailer single chunk", mode: streamingUnsignedPayloadTrailer, chunk: len(payload), trailer: true, wantSum: "CRC32=" + sum},
		{name: "unsigned trailer small chunks unknown length", mode: streamingUnsignedPayloadTrailer, chunk: 1000, trailer: true, unknownLen: true, wantSum: "CRC32=" + sum},
		{name: "unsigned trailer bad checksum", mode: streamingUnsignedPayloadTrailer, chunk: 4096, trailer: true,
			tamper: func(s string) string { return strings.Replace(s, sum, crc32b64([]byte("x")), 1) }, wantErr: "ErrBadDigest"},
		{name: "signed trailer bad checksum", mode: streamingSignedPayloadTrailer, chunk: 4096, trailer: true,
			tamper: func(s string) string { return strings.Replace(s, sum, crc32b64([]byte("x")), 1) }, wantErr: "ErrSignatureDoesNotMatch"},
		{name: "signed truncated", mode: streamingSignedPayload, chunk: 4096, unknownLen: true,
			tamper: func(s string) string { return s[:len(s)/2] }, wantErr: "ErrIncompleteBody"},
		{name: "signed byte flipped", mode: streamingSignedPayload, chunk: 4096,
			tamper: func(s string) string { b := []byte(s); b[len(b)/2] ^= 1; return string(b) }, wantErr: "any"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRequest(t, "PUT", srv.URL+"/bucket/streamed", nil)
			r.Header.Set("Content-Encoding", "aws-chunked")
			r.Header.Set("X-Amz-Content-Sha256", tc.mode)
			r.Header.Set("X-Amz-Decoded-Content-Length", fmt.Sprint(len(payload)))
			if tc.trailer {
				r.Header.Set("X-Amz-Trailer", "x-amz-checksum-crc32")
				r.Header.Set("X-Amz-Sdk-Checksum-Algorithm", "CRC32")
			}
			// The encoded length must be known (and signed) before the
			// seed exists: encode once with a dummy seed to measure.
			var body string
			encode := func(seed string) string {
				var kv []string
				if tc.trailer {
					kv = []string{"x-amz-checksum-crc32", sum}
				}
				if tc.mode == streamingUnsignedPayloadTrailer {
					e := &testEncoder{unsigned: true}
					return e.encode(payload, tc.chunk, kv...)
				}
				return sdkChunkedBody(t, seed, now, payload, tc.chunk, kv)
			}
			if !tc.unknownLen {
				r.ContentLength = int64(len(encode(strings.Repeat("0", 64))))
			} else {
				r.ContentLength = -1
			}
			sdkSign(t, r, tc.mode, now)
			body = encode(seedOf(t, r))
			if tc.tamper != nil {
				body = tc.tamper(body)
			}
			if tc.unknownLen {
				r.Body = io.NopCloser(struct{ io.Reader }{strings.NewReader(body)})
			} else {
				if int64(len(body)) != r.ContentLength {
					t.Fatalf("body length %d, signed content-length %d", len(body), r.ContentLength)
				}
				r.Body = io.NopCloser(strings.NewReader(body))
			}
			resp, got := do(t, r)
			if tc.wantErr != "" {
				if resp.StatusCode != 403 || (tc.wantErr != "any" && resp.Header.Get("X-Err") != tc.wantErr) {
					t.Fatalf("got %d %s (%s), want %s", resp.StatusCode, resp.Header.Get("X-Err"), got, tc.wantErr)
				}
				return
			}
			if resp.StatusCode != 200 {
				t.Fatalf("status %d: %s (%s)", resp.StatusCode, got, resp.Header.Get("X-Err"))
			}
			if !bytes.Equal([]byte(got), payload) {
				t.Fatalf("decoded body differs (%d bytes, want %d)", len(got), len(payload))
			}
			if tc.wantSum != "" && resp.Header.Get("X-Checksum") != tc.wantSum {
				t.Fatalf("checksum: got %s, want %s", resp.Header.Get("X-Checksum"), tc.wantSum)
			}
			if tc.wantSum == "" && !strings.HasPrefix(resp.Header.Get("X-Checksum"), "CRC64NVME=") {
				t.Fatalf("checksum: got %s, want the default CRC64NVME", resp.Header.Get("X-Checksum"))
			}
		})
	}
}
