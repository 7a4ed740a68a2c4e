package s3api_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/require"
)

// signed builds a request signed for host (default: the listener).
func (e *testEnv) signed(method, pathQuery, host string, hdr http.Header, body io.Reader, payload string) *http.Request {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+pathQuery, body)
	require.NoError(e.t, err)
	if host != "" {
		req.Host = host
	}
	for k, vs := range hdr {
		req.Header[k] = vs
	}
	req.Header.Set("x-amz-content-sha256", payload)
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	require.NoError(e.t, signer.SignHTTP(context.Background(), aws.Credentials{AccessKeyID: testAccessKey, SecretAccessKey: testSecret},
		req, payload, "s3", testRegion, time.Now()))
	return req
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// TestRouting checks the dispatcher: keys ServeMux would redirect,
// ignored query parameters, sub-resources, unsupported operations and
// methods.
func TestRouting(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.mustCreateBucket("route", false)
	for _, key := range []string{"a//b", "./x", "../y", "a/./b/../c", "/lead", "trail/", "q?mark", "sp ace", "%41"} {
		t.Run("key "+key, func(t *testing.T) {
			r := e.do("PUT", "/route/"+escapeKey(key)+"?x-id=PutObject&unknown=1", nil, []byte(key))
			require.Equal(t, 200, r.status, "%s", r.body)
			r = e.do("GET", "/route/"+escapeKey(key)+"?x-id=GetObject", nil, nil)
			require.Equal(t, 200, r.status, "%s", r.body)
			require.Equal(t, key, string(r.body))
			out, err := e.s3.GetObject(ctx(), &s3.GetObjectInput{Bucket: aws.String("route"), Key: aws.String(key)})
			require.NoError(t, err)
			b, _ := io.ReadAll(out.Body)
			out.Body.Close()
			require.Equal(t, key, string(b))
		})
	}

	tests := []struct {
		name, method, path string
		status             int
		code               string
	}{
		{"conflicting sub-resources", "GET", "/route/a//b?retention&legal-hold", 400, "InvalidRequest"},
		{"bucket lifecycle without Content-MD5", "PUT", "/route?lifecycle", 400, "InvalidRequest"},
		{"bucket logging", "PUT", "/route?logging", 501, "NotImplemented"},
		{"bucket website", "GET", "/route?website", 501, "NotImplemented"},
		{"bucket encryption", "DELETE", "/route?encryption", 501, "NotImplemented"},
		{"object acl post", "POST", "/route/a//b?acl", 501, "NotImplemented"},
		{"post object tagging", "POST", "/route/a//b?tagging", 501, "NotImplemented"},
		{"select", "POST", "/route/a//b?select&select-type=2", 501, "NotImplemented"},
		{"patch", "PATCH", "/route/a//b", 405, "MethodNotAllowed"},
		{"post object", "POST", "/route/a//b", 405, "MethodNotAllowed"},
		{"put on service", "PUT", "/", 405, "MethodNotAllowed"},
		{"no such bucket", "GET", "/nobucket?list-type=2", 404, "NoSuchBucket"},
		{"bad list-type", "GET", "/route?list-type=3", 400, "InvalidArgument"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(tc.method, tc.path, nil, nil)
			require.Equal(t, tc.status, r.status, "%s", r.body)
			d := r.errorDoc(t)
			require.Equal(t, tc.code, d.Code)
			require.Equal(t, r.header.Get("x-amz-request-id"), d.RequestID)
			require.NotEmpty(t, d.Resource)
		})
	}

	r := e.do("GET", "/route/a//b?tagging", nil, nil)
	require.Equal(t, 200, r.status, "GetObjectTagging answers an empty tag set: %s", r.body)
	require.Contains(t, string(r.body), "<TagSet></TagSet>")

	r = e.do("HEAD", "/route/missing", nil, nil)
	require.Equal(t, 404, r.status)
	require.Empty(t, r.body)
}

// TestAuthentication checks anonymous and badly signed requests, clock
// skew and Expect: 100-continue (auth before the body is read).
func TestAuthentication(t *testing.T) {
	now := time.Now()
	var offset atomic.Int64
	e := newEnv(t, envOptions{clock: func() time.Time { return now.Add(time.Duration(offset.Load())) }})
	e.mustCreateBucket("auth", false)

	anon, err := http.NewRequest("GET", e.srv.URL+"/auth/k", nil)
	require.NoError(t, err)
	r := e.send(anon)
	require.Equal(t, 403, r.status)
	require.Equal(t, "AccessDenied", r.errorDoc(t).Code)
	require.NotEmpty(t, r.header.Get("x-amz-request-id"))

	req := e.signed("GET", "/auth?list-type=2", "", nil, nil, sha256Hex(""))
	corruptSignature(req)
	r = e.send(req)
	require.Equal(t, 403, r.status)
	require.Equal(t, "SignatureDoesNotMatch", r.errorDoc(t).Code)

	offset.Store(int64(20 * time.Minute))
	r = e.do("GET", "/auth?list-type=2", nil, nil)
	require.Equal(t, 403, r.status)
	require.Equal(t, "RequestTimeTooSkewed", r.errorDoc(t).Code)
	offset.Store(0)

	// Expect: 100-continue with a bad signature: the body is never sent.
	var read atomic.Bool
	body := readerFunc(func(p []byte) (int, error) {
		read.Store(true)
		return 0, io.EOF
	})
	req = e.signed("PUT", "/auth/k", "", http.Header{"Expect": {"100-continue"}}, body, "UNSIGNED-PAYLOAD")
	req.ContentLength = 5
	corruptSignature(req)
	tr := e.srv.Client().Transport.(*http.Transport).Clone()
	tr.ExpectContinueTimeout = time.Minute
	resp, err := (&http.Client{Transport: tr}).Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, 403, resp.StatusCode)
	require.False(t, read.Load(), "the body was read although authentication failed")

	// And with a good signature the upload goes through.
	req = e.signed("PUT", "/auth/k", "", http.Header{"Expect": {"100-continue"}}, strings.NewReader("hello"), "UNSIGNED-PAYLOAD")
	resp, err = (&http.Client{Transport: tr}).Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	require.Equal(t, "hello", e.mustGet("auth", "k"))
}

// corruptSignature flips the last hex digit of the request signature.
func corruptSignature(req *http.Request) {
	a := req.Header.Get("Authorization")
	last := a[len(a)-1]
	flipped := byte('0')
	if last == '0' {
		flipped = '1'
	}
	req.Header.Set("Authorization", a[:len(a)-1]+string(flipped))
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

// TestVirtualHost checks virtual-hosted-style addressing next to
// path-style.
func TestVirtualHost(t *testing.T) {
	e := newEnv(t, envOptions{domain: "s3.wormstore.test"})
	e.mustCreateBucket("vhost", false)
	host := "vhost.s3.wormstore.test"
	r := e.send(e.signed("PUT", "/dir//file", host, nil, strings.NewReader("vh"), sha256Hex("vh")))
	require.Equal(t, 200, r.status, "%s", r.body)
	require.Equal(t, "vh", e.mustGet("vhost", "dir//file"))
	r = e.send(e.signed("GET", "/?list-type=2", host+":9000", nil, nil, sha256Hex("")))
	require.Equal(t, 200, r.status, "%s", r.body)
	require.Contains(t, string(r.body), "<Key>dir//file</Key>")
	// The bare domain is path-style.
	r = e.send(e.signed("GET", "/vhost/dir//file", "s3.wormstore.test", nil, nil, sha256Hex("")))
	require.Equal(t, 200, r.status, "%s", r.body)
	require.Equal(t, "vh", string(r.body))

	vc := e.sdkClient(func(o *s3.Options) {
		o.UsePathStyle = false
		o.BaseEndpoint = aws.String("http://s3.wormstore.test")
		base := e.srv.Client().Transport.(*http.Transport).Clone()
		addr := strings.TrimPrefix(e.srv.URL, "http://")
		base.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		}
		o.HTTPClient = &http.Client{Transport: base}
	})
	_, err := vc.PutObject(ctx(), &s3.PutObjectInput{Bucket: aws.String("vhost"), Key: aws.String("sdk"), Body: strings.NewReader("x")})
	require.NoError(t, err)
	require.Equal(t, "x", e.mustGet("vhost", "sdk"))
}
