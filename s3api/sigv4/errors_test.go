package sigv4

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

var signTime = time.Date(2026, 4, 2, 10, 30, 0, 0, time.UTC)

// signedReq builds a PUT of body to /bucket/key with hdr, signed by the SDK
// at signTime with payload hash payload (sha256 of body when ""), then
// applies after (tampering).
func signedReq(t *testing.T, body string, hdr map[string]string, payload string, after func(*http.Request)) *http.Request {
	t.Helper()
	r := newRequest(t, "PUT", "http://s3.example.com/bucket/key", strings.NewReader(body))
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	if payload == "" {
		payload = sha256Hex([]byte(body))
	}
	if payload != "-" {
		r.Header.Set("X-Amz-Content-Sha256", payload)
	} else {
		payload = unsignedPayload
	}
	sdkSign(t, r, payload, signTime)
	if after != nil {
		after(r)
	}
	return r
}

// streamReq builds a streaming PUT in mode declaring decodedLen, signed
// without content-length, whose body encode builds from the seed.
func streamReq(t *testing.T, mode string, decodedLen string, hdr map[string]string, encode func(e *testEncoder) string) *http.Request {
	t.Helper()
	r := newRequest(t, "PUT", "http://s3.example.com/bucket/key", nil)
	r.ContentLength = -1
	r.Header.Set("Content-Encoding", "aws-chunked")
	r.Header.Set("X-Amz-Content-Sha256", mode)
	if decodedLen != "" {
		r.Header.Set("X-Amz-Decoded-Content-Length", decodedLen)
	}
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	sdkSign(t, r, mode, signTime)
	e := newTestEncoder(exampleSecret, signTime, exampleRegion, seedOf(t, r))
	e.unsigned = mode == streamingUnsignedPayloadTrailer
	r.Body = io.NopCloser(strings.NewReader(encode(e)))
	return r
}

// presignedReq presigns a GET of /bucket/key with query q.
func presignedReq(t *testing.T, q string, after func(*http.Request)) *http.Request {
	t.Helper()
	r := newRequest(t, "GET", "http://s3.example.com/bucket/key?"+q, nil)
	r = sdkPresign(t, r, signTime)
	if after != nil {
		after(r)
	}
	return r
}

// setQuery replaces (or with v == "" deletes) a query parameter.
func setQuery(k, v string) func(*http.Request) {
	return func(r *http.Request) {
		q := r.URL.Query()
		if v == "" {
			q.Del(k)
		} else {
			q.Set(k, v)
		}
		r.URL.RawQuery = q.Encode()
	}
}

// run verifies r, wraps and reads its body, and returns the stage that
// failed ("verify", "body", "read", or "" on success) and the error.
func run(v *Verifier, r *http.Request) (string, error) {
	rq, err := v.Verify(r)
	if err != nil {
		return "verify", err
	}
	body, err := rq.Body(r.Body)
	if err != nil {
		return "body", err
	}
	if _, err := readAllSmall(body, 1000); err != nil {
		if _, rerr := body.Result(); !errors.Is(rerr, err) {
			return "result", fmt.Errorf("Result returned %v after read error %v", rerr, err)
		}
		return "read", err
	}
	if _, err := body.Result(); err != nil {
		return "result", err
	}
	return "", nil
}

func TestErrors(t *testing.T) {
	const crc32Hello = "NhCmhg==" // crc32("hello")
	other := func(ak string) func(*http.Request) {
		return func(r *http.Request) {
			r.Header.Del("Authorization")
			s := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
			s.SignHTTP(context.Background(), aws.Credentials{AccessKeyID: ak, SecretAccessKey: "x"}, r, sha256Hex([]byte("hello")), "s3", exampleRegion, signTime)
		}
	}
	authWith := func(old, new string) func(*http.Request) {
		return func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), old, new, 1))
		}
	}
	tests := []struct {
		name      string
		req       func(t *testing.T) *http.Request
		now       time.Time // default signTime
		wantStage string
		wantErr   error
	}{
		{"valid", func(t *testing.T) *http.Request { return signedReq(t, "hello", nil, "", nil) }, time.Time{}, "", nil},

		// Verify: mechanism.
		{"anonymous", func(t *testing.T) *http.Request {
			return newRequest(t, "GET", "http://s3.example.com/bucket/key", nil)
		}, time.Time{}, "verify", ErrMissingAuth},
		{"sigv2 header", func(t *testing.T) *http.Request {
			r := newRequest(t, "GET", "http://s3.example.com/bucket/key", nil)
			r.Header.Set("Authorization", "AWS AKIAIOSFODNN7EXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=")
			return r
		}, time.Time{}, "verify", ErrUnsupportedAuth},
		{"sigv4a header", func(t *testing.T) *http.Request {
			return signedReq(t, "hello", nil, "", authWith("AWS4-HMAC-SHA256 ", "AWS4-ECDSA-P256-SHA256 "))
		}, time.Time{}, "verify", ErrUnsupportedAuth},
		{"sigv2 query", func(t *testing.T) *http.Request {
			return newRequest(t, "GET", "http://s3.example.com/bucket/key?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1141889120&Signature=vjbyPxybdZaNmGa%2ByT272YEAiv4%3D", nil)
		}, time.Time{}, "verify", ErrUnsupportedAuth},
		{"header and query", func(t *testing.T) *http.Request {
			return presignedReq(t, "X-Amz-Expires=60", func(r *http.Request) { r.Header.Set("Authorization", "AWS4-HMAC-SHA256 x") })
		}, time.Time{}, "verify", ErrMultipleAuth},

		// Verify: Authorization header shape and scope.
		{"two authorization headers", func(t *testing.T) *http.Request {
			return signedReq(t, "hello", nil, "", func(r *http.Request) { r.Header.Add("Authorization", r.Header.Get("Authorization")) })
		}, time.Time{}, "verify", ErrAuthorizationHeaderMalformed},
		{"missing signature", func(t *testing.T) *http.Request {
			return signedReq(t, "hello", nil, "", func(r *http.Request) {
				a := r.Header.Get("Authorization")
				r.Header.Set("Authorization", a[:strings.Index(a, ", Signature=")])
			})
		}, time.Time{}, "verify", ErrAuthorizationHeaderMalformed},
		{"signature not hex", func(t *testing.T) *http.Request {
			return signedReq(t, "hello", nil, "", func(r *http.Request) {
				a := r.Header.Get("Authorization")
				r.Header.Set("Authorization", a[:len(a)-1]+"g")
			})
		}, time.Time{}, "verify", ErrAuthorizationHeaderMalformed},
		{"credential without terminator", func(t *testing.T) *http.Request {
			return signedReq(t, "hello", nil, "", authWith("/aws4_request", "/aws5_request"))
		}, time.Time{}, "verify", ErrAuthorizationHeaderMalformed},
		{"credential too short", func(t *testing.T) *http.Request {
			return signedReq(t, "hello", nil, "", authWith("/us-east-1/s3/aws4_request", "/s3/aws4_request"))
		}, time.Time{}, "verify", ErrAuthorizationHeaderMalformed},
		{"credential date not a date", func(t *testing.T) *http.Request {
			return signedReq(t, "hello", nil, "", authWith("/20260402/", "/20261302/"))
		}, time.Time{}, "verify", ErrAuthorizationHeaderMalformed},
		{"scope date is not the request day", func(t *testing.T) *http.Request {
			return signedReq(t, "hello", nil, "", authWith("/20260402/", "/20260401/"))
		}, time.Time{}, "verify", ErrAuthorizationHeaderMalformed},
		{"wrong region", func(t *testing.T) *http.Request {
			return signedReq(t, "hello", nil, "", authWith("/us-east-1/", "/eu-west-1/"))
		}, time.Time{}, "verify", ErrAuthorizationHeaderMalformed},
		{"wrong service", func(t *testing.T) *http.Request {
			return signedReq(t, "hello", nil, "", authWith("/s3/", "/iam/"))
		}, time.Time{}, "verify", ErrAuthorizationHeaderMalformed},
		{"host not signed", func(t *testing.T) *http.Request {
			return signedReq(t, "hello", nil, "", authWith("SignedHeaders=content-length;host;", "SignedHeaders=content-length;"))
		}, time.Time{}, "verify", ErrAuthorizationHeaderMalformed},
		{"unknown component", func(t *testing.T) *http.Request {
			return signedReq(t, "hello", nil, "", authWith(", Signature=", ", Foo=bar, Signature="))
		}, time.Time{}, "verify", ErrAuthorizationHeaderMalformed},

		// Verify: principal and signature.
		{"unknown access key", func(t *testing.T) *http.Request {
			return signedReq(t, "hello", nil, "", other("AKIDUNKNOWN"))
		}, time.Time{}, "verify", ErrInvalidAccessKeyID},
		{"wrong secret", func(t *testing.T) *http.Request {
			return signedReq(t, "hello", nil, "", other(exampleAccessKey))
		}, time.Time{}, "verify", ErrSignatureDoesNotMatch},
		{"signed header changed", func(t *testing.T) *http.Request {
			return signedReq(t, "hello", map[string]string{"X-Amz-Meta-A": "1"}, "", func(r *http.Request) { r.Header.Set("X-Amz-Meta-A", "2") })
		}, time.Time{}, "verify", ErrSignatureDoesNotMatch},
		{"method changed", func(t *testing.T) *http.Request {
			return signedReq(t, "hello", nil, "", func(r *http.Request) { r.Method = "POST" })
		}, time.Time{}, "verify", ErrSignatureDoesNotMatch},
		{"path changed", func(t *testing.T) *http.Request {
			return signedReq(t, "hello", nil, "", func(r *http.Request) { r.URL.Path = "/bucket/key2" })
		}, time.Time{}, "verify", ErrSignatureDoesNotMatch},
		{"query added", func(t *testing.T) *http.Request {
			return signedReq(t, "hello", nil, "", func(r *http.Request) { r.URL.RawQuery = "acl" })
		}, time.Time{}, "verify", ErrSignatureDoesNotMatch},
		{"host changed", func(t *testing.T) *http.Request {
			return signedReq(t, "hello", nil, "", func(r *http.Request) { r.Host = "evil.example.com" })
		}, time.Time{}, "verify", ErrSignatureDoesNotMatch},

		// Verify: time.
		{"clock 14m ahead", func(t *testing.T) *http.Request { return signedReq(t, "hello", nil, "", nil) }, signTime.Add(14 * time.Minute), "", nil},
		{"clock 14m behind", func(t *testing.T) *http.Request { return signedReq(t, "hello", nil, "", nil) }, signTime.Add(-14 * time.Minute), "", nil},
		{"clock 16m ahead", func(t *testing.T) *http.Request { return signedReq(t, "hello", nil, "", nil) }, signTime.Add(16 * time.Minute), "verify", ErrRequestTimeTooSkewed},
		{"clock 16m behind", func(t *testing.T) *http.Request { return signedReq(t, "hello", nil, "", nil) }, signTime.Add(-16 * time.Minute), "verify", ErrRequestTimeTooSkewed},
		{"no date", func(t *testing.T) *http.Request {
			return signedReq(t, "hello", nil, "", func(r *http.Request) { r.Header.Del("X-Amz-Date") })
		}, time.Time{}, "verify", ErrMissingDate},
		{"malformed x-amz-date", func(t *testing.T) *http.Request {
			return signedReq(t, "hello", nil, "", func(r *http.Request) { r.Header.Set("X-Amz-Date", "2026-04-02T10:30:00Z") })
		}, time.Time{}, "verify", ErrMissingDate},
		{"unsigned Date header used", func(t *testing.T) *http.Request {
			return signedReq(t, "hello", nil, "", func(r *http.Request) {
				r.Header.Del("X-Amz-Date")
				r.Header.Set("Date", signTime.Format(http.TimeFormat))
			})
		}, time.Time{}, "verify", ErrHeadersNotSigned},

		// Verify: headers and payload mode.
		{"unsigned x-amz header", func(t *testing.T) *http.Request {
			return signedReq(t, "hello", nil, "", func(r *http.Request) { r.Header.Set("X-Amz-Object-Lock-Mode", "GOVERNANCE") })
		}, time.Time{}, "verify", ErrHeadersNotSigned},
		{"missing x-amz-content-sha256", func(t *testing.T) *http.Request { return signedReq(t, "hello", nil, "-", nil) }, time.Time{}, "verify", ErrMissingContentSHA256},
		{"invalid x-amz-content-sha256", func(t *testing.T) *http.Request { return signedReq(t, "hello", nil, "SIGNED-PAYLOAD", nil) }, time.Time{}, "verify", ErrInvalidContentSHA256},
		{"sha256 of wrong length", func(t *testing.T) *http.Request { return signedReq(t, "hello", nil, sha256Hex(nil)[:63], nil) }, time.Time{}, "verify", ErrInvalidContentSHA256},
		{"sigv4a streaming", func(t *testing.T) *http.Request {
			return signedReq(t, "hello", map[string]string{"X-Amz-Decoded-Content-Length": "5"}, "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD", nil)
		}, time.Time{}, "verify", ErrUnsupportedPayload},
		{"streaming without decoded length", func(t *testing.T) *http.Request {
			return streamReq(t, streamingSignedPayload, "", nil, func(e *testEncoder) string { return e.encode([]byte("hello"), 2) })
		}, time.Time{}, "verify", ErrMissingDecodedContentLength},
		{"streaming with negative decoded length", func(t *testing.T) *http.Request {
			return streamReq(t, streamingUnsignedPayloadTrailer, "-1", nil, func(e *testEncoder) string { return e.encode([]byte("hello"), 2) })
		}, time.Time{}, "verify", ErrInvalidDecodedContentLength},
		{"streaming with junk decoded length", func(t *testing.T) *http.Request {
			return streamReq(t, streamingUnsignedPayloadTrailer, "5 bytes", nil, func(e *testEncoder) string { return e.encode([]byte("hello"), 2) })
		}, time.Time{}, "verify", ErrInvalidDecodedContentLength},

		// Verify: presigned.
		{"presigned valid", func(t *testing.T) *http.Request { return presignedReq(t, "X-Amz-Expires=60", nil) }, time.Time{}, "", nil},
		{"presigned expired", func(t *testing.T) *http.Request { return presignedReq(t, "X-Amz-Expires=60", nil) }, signTime.Add(61 * time.Second), "verify", ErrRequestExpired},
		{"presigned from the future", func(t *testing.T) *http.Request { return presignedReq(t, "X-Amz-Expires=60", nil) }, signTime.Add(-16 * time.Minute), "verify", ErrRequestTimeTooSkewed},
		{"presigned without expires", func(t *testing.T) *http.Request { return presignedReq(t, "", nil) }, time.Time{}, "verify", ErrAuthorizationQueryParametersError},
		{"presigned expires too long", func(t *testing.T) *http.Request { return presignedReq(t, "X-Amz-Expires=604801", nil) }, time.Time{}, "verify", ErrAuthorizationQueryParametersError},
		{"presigned expires zero", func(t *testing.T) *http.Request { return presignedReq(t, "X-Amz-Expires=0", nil) }, time.Time{}, "verify", ErrAuthorizationQueryParametersError},
		{"presigned expires negative", func(t *testing.T) *http.Request { return presignedReq(t, "X-Amz-Expires=-5", nil) }, time.Time{}, "verify", ErrAuthorizationQueryParametersError},
		{"presigned expires not a number", func(t *testing.T) *http.Request { return presignedReq(t, "X-Amz-Expires=1h", nil) }, time.Time{}, "verify", ErrAuthorizationQueryParametersError},
		{"presigned bad algorithm", func(t *testing.T) *http.Request {
			return presignedReq(t, "X-Amz-Expires=60", setQuery("X-Amz-Algorithm", "AWS4-HMAC-SHA512"))
		}, time.Time{}, "verify", ErrAuthorizationQueryParametersError},
		{"presigned without date", func(t *testing.T) *http.Request {
			return presignedReq(t, "X-Amz-Expires=60", setQuery("X-Amz-Date", ""))
		}, time.Time{}, "verify", ErrAuthorizationQueryParametersError},
		{"presigned malformed date", func(t *testing.T) *http.Request {
			return presignedReq(t, "X-Amz-Expires=60", setQuery("X-Amz-Date", "20260402"))
		}, time.Time{}, "verify", ErrAuthorizationQueryParametersError},
		{"presigned malformed credential", func(t *testing.T) *http.Request {
			return presignedReq(t, "X-Amz-Expires=60", setQuery("X-Amz-Credential", "AKIAIOSFODNN7EXAMPLE/20260402/us-east-1/s3"))
		}, time.Time{}, "verify", ErrAuthorizationQueryParametersError},
		{"presigned wrong region", func(t *testing.T) *http.Request {
			return presignedReq(t, "X-Amz-Expires=60", setQuery("X-Amz-Credential", "AKIAIOSFODNN7EXAMPLE/20260402/eu-west-1/s3/aws4_request"))
		}, time.Time{}, "verify", ErrAuthorizationQueryParametersError},
		{"presigned without signed headers", func(t *testing.T) *http.Request {
			return presignedReq(t, "X-Amz-Expires=60", setQuery("X-Amz-SignedHeaders", ""))
		}, time.Time{}, "verify", ErrAuthorizationQueryParametersError},
		{"presigned signature changed", func(t *testing.T) *http.Request {
			return presignedReq(t, "X-Amz-Expires=60", setQuery("X-Amz-Signature", strings.Repeat("ab", 32)))
		}, time.Time{}, "verify", ErrSignatureDoesNotMatch},
		{"presigned unknown key", func(t *testing.T) *http.Request {
			return presignedReq(t, "X-Amz-Expires=60", setQuery("X-Amz-Credential", "AKIDUNKNOWN/20260402/us-east-1/s3/aws4_request"))
		}, time.Time{}, "verify", ErrInvalidAccessKeyID},
		{"presigned streaming payload", func(t *testing.T) *http.Request {
			return presignedReq(t, "X-Amz-Expires=60&X-Amz-Content-Sha256="+streamingSignedPayload, nil)
		}, time.Time{}, "verify", ErrUnsupportedPayload},
		{"presigned unsigned x-amz header", func(t *testing.T) *http.Request {
			return presignedReq(t, "X-Amz-Expires=60", func(r *http.Request) { r.Header.Set("X-Amz-Acl", "public-read") })
		}, time.Time{}, "verify", ErrHeadersNotSigned},

		// Body: checksum headers.
		{"content-md5 malformed", func(t *testing.T) *http.Request {
			return signedReq(t, "hello", map[string]string{"Content-Md5": "XUFAKrxLKna5cZ2REBfFkg"}, "", nil)
		}, time.Time{}, "body", ErrInvalidDigest},
		{"content-md5 wrong size", func(t *testing.T) *http.Request {
			return signedReq(t, "hello", map[string]string{"Content-Md5": "AAAA"}, "", nil)
		}, time.Time{}, "body", ErrInvalidDigest},
		{"checksum value malformed", func(t *testing.T) *http.Request {
			return signedReq(t, "hello", map[string]string{"X-Amz-Checksum-Crc32": "NhCmhg=!"}, "", nil)
		}, time.Time{}, "body", ErrInvalidChecksum},
		{"checksum value wrong size", func(t *testing.T) *http.Request {
			return signedReq(t, "hello", map[string]string{"X-Amz-Checksum-Crc64nvme": crc32Hello}, "", nil)
		}, time.Time{}, "body", ErrInvalidChecksum},
		{"checksum algorithm unknown", func(t *testing.T) *http.Request {
			return signedReq(t, "hello", map[string]string{"X-Amz-Checksum-Crc16": "AAA="}, "", nil)
		}, time.Time{}, "body", ErrInvalidChecksum},
		{"two checksum headers", func(t *testing.T) *http.Request {
			return signedReq(t, "hello", map[string]string{"X-Amz-Checksum-Crc32": crc32Hello, "X-Amz-Checksum-Sha1": "qvTGHdzF6KLavt4PO0gs2a6pQ00="}, "", nil)
		}, time.Time{}, "body", ErrInvalidChecksum},
		{"sdk algorithm without checksum", func(t *testing.T) *http.Request {
			return signedReq(t, "hello", map[string]string{"X-Amz-Sdk-Checksum-Algorithm": "CRC32"}, "", nil)
		}, time.Time{}, "body", ErrChecksumConflict},
		{"sdk algorithm disagrees with header", func(t *testing.T) *http.Request {
			return signedReq(t, "hello", map[string]string{"X-Amz-Sdk-Checksum-Algorithm": "CRC32C", "X-Amz-Checksum-Crc32": crc32Hello}, "", nil)
		}, time.Time{}, "body", ErrChecksumConflict},
		{"sdk algorithm unknown", func(t *testing.T) *http.Request {
			return signedReq(t, "hello", map[string]string{"X-Amz-Sdk-Checksum-Algorithm": "MD4", "X-Amz-Checksum-Crc32": crc32Hello}, "", nil)
		}, time.Time{}, "body", ErrInvalidChecksum},
		{"trailer on a plain body", func(t *testing.T) *http.Request {
			return signedReq(t, "hello", map[string]string{"X-Amz-Trailer": "x-amz-checksum-crc32"}, "", nil)
		}, time.Time{}, "body", ErrInvalidTrailer},
		{"trailer and checksum header", func(t *testing.T) *http.Request {
			return streamReq(t, streamingUnsignedPayloadTrailer, "5", map[string]string{"X-Amz-Trailer": "x-amz-checksum-crc32", "X-Amz-Checksum-Crc32": crc32Hello},
				func(e *testEncoder) string { return e.encode([]byte("hello"), 2, "x-amz-checksum-crc32", crc32Hello) })
		}, time.Time{}, "body", ErrChecksumConflict},
		{"sdk algorithm disagrees with trailer", func(t *testing.T) *http.Request {
			return streamReq(t, streamingUnsignedPayloadTrailer, "5", map[string]string{"X-Amz-Trailer": "x-amz-checksum-crc32", "X-Amz-Sdk-Checksum-Algorithm": "SHA256"},
				func(e *testEncoder) string { return e.encode([]byte("hello"), 2, "x-amz-checksum-crc32", crc32Hello) })
		}, time.Time{}, "body", ErrChecksumConflict},
		{"unsupported trailer name", func(t *testing.T) *http.Request {
			return streamReq(t, streamingUnsignedPayloadTrailer, "5", map[string]string{"X-Amz-Trailer": "x-amz-meta-foo"},
				func(e *testEncoder) string { return e.encode([]byte("hello"), 2, "x-amz-meta-foo", "bar") })
		}, time.Time{}, "body", ErrInvalidTrailer},
		{"two trailers declared", func(t *testing.T) *http.Request {
			return streamReq(t, streamingUnsignedPayloadTrailer, "5", map[string]string{"X-Amz-Trailer": "x-amz-checksum-crc32, x-amz-checksum-sha1"},
				func(e *testEncoder) string { return e.encode([]byte("hello"), 2, "x-amz-checksum-crc32", crc32Hello) })
		}, time.Time{}, "body", ErrInvalidTrailer},

		// Read: payload verification.
		{"sha256 mismatch", func(t *testing.T) *http.Request {
			return signedReq(t, "hello", nil, sha256Hex([]byte("hellp")), nil)
		}, time.Time{}, "read", ErrContentSHA256Mismatch},
		{"content-md5 mismatch", func(t *testing.T) *http.Request {
			return signedReq(t, "hello", map[string]string{"Content-Md5": "XUFAKrxLKna5cZ2REBfFkA=="}, unsignedPayload, nil)
		}, time.Time{}, "read", ErrBadDigest},
		{"content-md5 match", func(t *testing.T) *http.Request {
			return signedReq(t, "hello", map[string]string{"Content-Md5": "XUFAKrxLKna5cZ2REBfFkg=="}, unsignedPayload, nil)
		}, time.Time{}, "", nil},
		{"checksum header mismatch", func(t *testing.T) *http.Request {
			return signedReq(t, "hellp", map[string]string{"X-Amz-Checksum-Crc32": crc32Hello}, unsignedPayload, nil)
		}, time.Time{}, "read", ErrBadDigest},
		{"checksum header match", func(t *testing.T) *http.Request {
			return signedReq(t, "hello", map[string]string{"X-Amz-Checksum-Crc32": crc32Hello, "X-Amz-Sdk-Checksum-Algorithm": "crc32"}, unsignedPayload, nil)
		}, time.Time{}, "", nil},
		{"decoded length too large", func(t *testing.T) *http.Request {
			return streamReq(t, streamingSignedPayload, "6", nil, func(e *testEncoder) string { return e.encode([]byte("hello"), 2) })
		}, time.Time{}, "read", ErrIncompleteBody},
		{"decoded length too small", func(t *testing.T) *http.Request {
			return streamReq(t, streamingSignedPayload, "4", nil, func(e *testEncoder) string { return e.encode([]byte("hello"), 2) })
		}, time.Time{}, "read", ErrIncompleteBody},
		{"body truncated", func(t *testing.T) *http.Request {
			return streamReq(t, streamingSignedPayload, "5", nil, func(e *testEncoder) string { return e.encode([]byte("hello"), 2)[:100] })
		}, time.Time{}, "read", ErrIncompleteBody},
		{"no final chunk", func(t *testing.T) *http.Request {
			return streamReq(t, streamingUnsignedPayloadTrailer, "5", nil, func(e *testEncoder) string { return "5\r\nhello\r\n" })
		}, time.Time{}, "read", ErrIncompleteBody},
		{"malformed chunk size", func(t *testing.T) *http.Request {
			return streamReq(t, streamingUnsignedPayloadTrailer, "5", nil, func(e *testEncoder) string { return "0x5\r\nhello\r\n0\r\n\r\n" })
		}, time.Time{}, "read", ErrMalformedChunk},
		{"chunk data without CRLF", func(t *testing.T) *http.Request {
			return streamReq(t, streamingUnsignedPayloadTrailer, "5", nil, func(e *testEncoder) string { return "5\r\nhelloX0\r\n\r\n" })
		}, time.Time{}, "read", ErrMalformedChunk},
		{"signed chunk without signature", func(t *testing.T) *http.Request {
			return streamReq(t, streamingSignedPayload, "5", nil, func(e *testEncoder) string { return "5\r\nhello\r\n0\r\n\r\n" })
		}, time.Time{}, "read", ErrMalformedChunk},
		{"chunk signature wrong", func(t *testing.T) *http.Request {
			return streamReq(t, streamingSignedPayload, "5", nil, func(e *testEncoder) string {
				zeros := strings.Repeat("0", 64)
				return "5;chunk-signature=" + zeros + "\r\nhello\r\n0;chunk-signature=" + zeros + "\r\n\r\n"
			})
		}, time.Time{}, "read", ErrSignatureDoesNotMatch},
		{"data after final chunk", func(t *testing.T) *http.Request {
			return streamReq(t, streamingSignedPayload, "5", nil, func(e *testEncoder) string { return e.encode([]byte("hello"), 5) + "junk\r\n" })
		}, time.Time{}, "read", ErrMalformedChunk},
		{"declared trailer missing", func(t *testing.T) *http.Request {
			return streamReq(t, streamingUnsignedPayloadTrailer, "5", map[string]string{"X-Amz-Trailer": "x-amz-checksum-crc32"},
				func(e *testEncoder) string { return e.encode([]byte("hello"), 2) })
		}, time.Time{}, "read", ErrMissingTrailer},
		{"undeclared trailer", func(t *testing.T) *http.Request {
			return streamReq(t, streamingUnsignedPayloadTrailer, "5", nil,
				func(e *testEncoder) string { return e.encode([]byte("hello"), 2, "x-amz-checksum-crc32", crc32Hello) })
		}, time.Time{}, "read", ErrInvalidTrailer},
		{"other trailer than declared", func(t *testing.T) *http.Request {
			return streamReq(t, streamingUnsignedPayloadTrailer, "5", map[string]string{"X-Amz-Trailer": "x-amz-checksum-crc32c"},
				func(e *testEncoder) string { return e.encode([]byte("hello"), 2, "x-amz-checksum-crc32", crc32Hello) })
		}, time.Time{}, "read", ErrInvalidTrailer},
		{"duplicate trailer", func(t *testing.T) *http.Request {
			return streamReq(t, streamingUnsignedPayloadTrailer, "5", map[string]string{"X-Amz-Trailer": "x-amz-checksum-crc32"},
				func(e *testEncoder) string {
					return e.encode([]byte("hello"), 2, "x-amz-checksum-crc32", crc32Hello, "x-amz-checksum-crc32", crc32Hello)
				})
		}, time.Time{}, "read", ErrInvalidTrailer},
		{"malformed trailer line", func(t *testing.T) *http.Request {
			return streamReq(t, streamingUnsignedPayloadTrailer, "5", map[string]string{"X-Amz-Trailer": "x-amz-checksum-crc32"},
				func(e *testEncoder) string {
					return "5\r\nhello\r\n0\r\nx-amz-checksum-crc32 " + crc32Hello + "\r\n\r\n"
				})
		}, time.Time{}, "read", ErrInvalidTrailer},
		{"signature in unsigned trailer", func(t *testing.T) *http.Request {
			return streamReq(t, streamingUnsignedPayloadTrailer, "5", map[string]string{"X-Amz-Trailer": "x-amz-checksum-crc32"},
				func(e *testEncoder) string {
					return e.encode([]byte("hello"), 2, "x-amz-checksum-crc32", crc32Hello, "x-amz-trailer-signature", strings.Repeat("0", 64))
				})
		}, time.Time{}, "read", ErrInvalidTrailer},
		{"trailer value malformed", func(t *testing.T) *http.Request {
			return streamReq(t, streamingUnsignedPayloadTrailer, "5", map[string]string{"X-Amz-Trailer": "x-amz-checksum-crc32"},
				func(e *testEncoder) string { return e.encode([]byte("hello"), 2, "x-amz-checksum-crc32", "nope") })
		}, time.Time{}, "read", ErrInvalidChecksum},
		{"trailer mismatch", func(t *testing.T) *http.Request {
			return streamReq(t, streamingUnsignedPayloadTrailer, "5", map[string]string{"X-Amz-Trailer": "x-amz-checksum-crc32"},
				func(e *testEncoder) string { return e.encode([]byte("hellp"), 2, "x-amz-checksum-crc32", crc32Hello) })
		}, time.Time{}, "read", ErrBadDigest},
		{"trailer match, sdk algorithm agrees", func(t *testing.T) *http.Request {
			return streamReq(t, streamingUnsignedPayloadTrailer, "5", map[string]string{"X-Amz-Trailer": "x-amz-checksum-crc32", "X-Amz-Sdk-Checksum-Algorithm": "CRC32"},
				func(e *testEncoder) string { return e.encode([]byte("hello"), 2, "x-amz-checksum-crc32", crc32Hello) })
		}, time.Time{}, "", nil},
		{"signed trailer signature wrong", func(t *testing.T) *http.Request {
			return streamReq(t, streamingSignedPayloadTrailer, "5", map[string]string{"X-Amz-Trailer": "x-amz-checksum-crc32"},
				func(e *testEncoder) string {
					s := e.encode([]byte("hello"), 2, "x-amz-checksum-crc32", crc32Hello)
					i := strings.Index(s, "x-amz-trailer-signature:") + len("x-amz-trailer-signature:")
					return s[:i] + strings.Repeat("0", 64) + s[i+64:]
				})
		}, time.Time{}, "read", ErrSignatureDoesNotMatch},
		{"signed trailer ok", func(t *testing.T) *http.Request {
			return streamReq(t, streamingSignedPayloadTrailer, "5", map[string]string{"X-Amz-Trailer": "x-amz-checksum-crc32"},
				func(e *testEncoder) string { return e.encode([]byte("hello"), 2, "x-amz-checksum-crc32", crc32Hello) })
		}, time.Time{}, "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			now := tc.now
			if now.IsZero() {
				now = signTime
			}
			stage, err := run(newTestVerifier(now), tc.req(t))
			if stage != tc.wantStage || !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
				t.Fatalf("got %s error %v, want %s error %v", stage, err, tc.wantStage, tc.wantErr)
			}
		})
	}
}

func TestSignatureErrorDetails(t *testing.T) {
	r := signedReq(t, "hello", nil, "", func(r *http.Request) { r.URL.Path = "/bucket/other" })
	_, err := newTestVerifier(signTime).Verify(r)
	var se *SignatureError
	if !errors.As(err, &se) {
		t.Fatalf("got %v, want *SignatureError", err)
	}
	if se.AccessKey != exampleAccessKey || !strings.HasPrefix(se.CanonicalRequest, "PUT\n/bucket/other\n\n") ||
		!strings.HasPrefix(se.StringToSign, "AWS4-HMAC-SHA256\n20260402T103000Z\n20260402/us-east-1/s3/aws4_request\n") ||
		len(se.SignatureProvided) != 64 {
		t.Fatalf("got %+v", se)
	}
}

func TestResultBeforeEOF(t *testing.T) {
	r := signedReq(t, "hello", nil, "", nil)
	rq, err := newTestVerifier(signTime).Verify(r)
	if err != nil {
		t.Fatal(err)
	}
	body, err := rq.Body(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 2)
	if _, err := body.Read(buf); err != nil {
		t.Fatal(err)
	}
	if _, err := body.Result(); !errors.Is(err, ErrNotFinished) {
		t.Fatalf("Result: got %v, want ErrNotFinished", err)
	}
}

func TestVerifierNeedsConfig(t *testing.T) {
	r := signedReq(t, "hello", nil, "", nil)
	for _, v := range []*Verifier{{Creds: StaticCredentials{}}, {Region: "x"}} {
		if _, err := v.Verify(r); err == nil {
			t.Fatalf("Verify with %+v: got nil error", v)
		}
	}
}
