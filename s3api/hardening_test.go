package s3api_test

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/stretchr/testify/require"
)

// chunkSigner signs aws-chunked bodies (STREAMING-AWS4-HMAC-SHA256-PAYLOAD)
// the way the SDKs do, continuing from the request signature.
type chunkSigner struct {
	key   []byte
	date  string // 20060102T150405Z
	scope string
	prev  string
}

func hmacSHA(k []byte, s string) []byte {
	m := hmac.New(sha256.New, k)
	m.Write([]byte(s))
	return m.Sum(nil)
}

func shaHex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// chunk returns one framed, signed chunk of data.
func (c *chunkSigner) chunk(data []byte) string {
	sts := "AWS4-HMAC-SHA256-PAYLOAD\n" + c.date + "\n" + c.scope + "\n" + c.prev + "\n" + shaHex(nil) + "\n" + shaHex(data)
	c.prev = hex.EncodeToString(hmacSHA(c.key, sts))
	return fmt.Sprintf("%x;chunk-signature=%s\r\n%s\r\n", len(data), c.prev, data)
}

// signedChunkedRequest returns a PUT signed for a signed aws-chunked body
// of decoded bytes, and the signer to frame the body with. The body is set
// by the caller.
func (e *testEnv) signedChunkedRequest(path string, decoded int, hdr http.Header) (*http.Request, *chunkSigner) {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPut, e.srv.URL+path, nil)
	require.NoError(e.t, err)
	for k, vs := range hdr {
		req.Header[k] = vs
	}
	const mode = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	req.Header.Set("Content-Encoding", "aws-chunked")
	req.Header.Set("x-amz-content-sha256", mode)
	req.Header.Set("x-amz-decoded-content-length", fmt.Sprint(decoded))
	now := time.Now().UTC()
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	require.NoError(e.t, signer.SignHTTP(context.Background(), aws.Credentials{AccessKeyID: testAccessKey, SecretAccessKey: testSecret},
		req, mode, "s3", testRegion, now))
	authz := req.Header.Get("Authorization")
	i := strings.Index(authz, "Signature=")
	require.Positive(e.t, i, authz)
	day := now.Format("20060102")
	key := hmacSHA(hmacSHA(hmacSHA(hmacSHA([]byte("AWS4"+testSecret), day), testRegion), "s3"), "aws4_request")
	return req, &chunkSigner{key: key, date: req.Header.Get("X-Amz-Date"), scope: day + "/" + testRegion + "/s3/aws4_request", prev: authz[i+len("Signature="):]}
}

// setBody sets a fixed body on req.
func setBody(req *http.Request, body string) {
	req.Body = http.NoBody
	if body != "" {
		req.Body = io.NopCloser(strings.NewReader(body))
	}
	req.ContentLength = int64(len(body))
}

// TestChunkedFramingIs400 checks that a signed aws-chunked PUT whose
// framing is broken (a bad chunk-size line, and friends) is answered with a
// 4xx S3 error, never a 500.
func TestChunkedFramingIs400(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.mustCreateBucket("chunky", false)
	payload := []byte("hello, chunks")
	cases := []struct {
		name     string
		body     func(c *chunkSigner) string
		wantCode string
	}{
		{"valid", func(c *chunkSigner) string { return c.chunk(payload) + c.chunk(nil) }, ""},
		{"non-hex size", func(c *chunkSigner) string {
			return strings.Replace(c.chunk(payload), "d;", "zz;", 1) + c.chunk(nil)
		}, "InvalidRequest"},
		{"empty size", func(c *chunkSigner) string { return ";chunk-signature=" + strings.Repeat("0", 64) + "\r\n" }, "InvalidRequest"},
		{"size too long", func(c *chunkSigner) string {
			return strings.Repeat("f", 17) + ";chunk-signature=" + strings.Repeat("0", 64) + "\r\n"
		}, "InvalidRequest"},
		{"huge size", func(c *chunkSigner) string {
			return strings.Repeat("f", 16) + ";chunk-signature=" + strings.Repeat("0", 64) + "\r\n"
		}, "InvalidRequest"},
		{"size beyond decoded length", func(c *chunkSigner) string { return "4000;chunk-signature=" + strings.Repeat("0", 64) + "\r\n" }, "IncompleteBody"},
		{"negative size", func(c *chunkSigner) string { return "-1;chunk-signature=" + strings.Repeat("0", 64) + "\r\n" }, "InvalidRequest"},
		{"no line end", func(c *chunkSigner) string { return "d;chunk-signature=" }, "IncompleteBody"},
		{"over-long line", func(c *chunkSigner) string { return "d;" + strings.Repeat("x", 9000) + "\r\n" }, "InvalidRequest"},
		{"missing signature", func(c *chunkSigner) string { return "d\r\n" + string(payload) + "\r\n0\r\n\r\n" }, "InvalidRequest"},
		{"bad signature", func(c *chunkSigner) string {
			return "d;chunk-signature=" + strings.Repeat("0", 64) + "\r\n" + string(payload) + "\r\n"
		}, "SignatureDoesNotMatch"},
		{"data not followed by CRLF", func(c *chunkSigner) string { return strings.Replace(c.chunk(payload), "chunks\r\n", "chunksXY", 1) }, "InvalidRequest"},
		{"truncated data", func(c *chunkSigner) string { s := c.chunk(payload); return s[:len(s)-6] }, "IncompleteBody"},
		{"no final chunk", func(c *chunkSigner) string { return c.chunk(payload) }, "IncompleteBody"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, cs := e.signedChunkedRequest("/chunky/k", len(payload), nil)
			setBody(req, tc.body(cs))
			resp := e.send(req)
			if tc.wantCode == "" {
				require.Equal(t, http.StatusOK, resp.status, "body %s", resp.body)
				return
			}
			want := http.StatusBadRequest
			if tc.wantCode == "SignatureDoesNotMatch" {
				want = http.StatusForbidden
			}
			require.Equal(t, want, resp.status, "got status %d, want %d; body %s", resp.status, want, resp.body)
			require.Equal(t, tc.wantCode, resp.errorDoc(t).Code, "body %s", resp.body)
		})
	}
}

// retentionXML is a PutObjectRetention body with its Content-MD5.
func retentionXML(mode, until string) ([]byte, http.Header) {
	body := []byte(`<Retention xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Mode>` + mode + `</Mode><RetainUntilDate>` + until + `</RetainUntilDate></Retention>`)
	sum := md5.Sum(body)
	return body, http.Header{"Content-Md5": {base64.StdEncoding.EncodeToString(sum[:])}}
}

// TestRetainUntilYear10000 checks that a retain-until date beyond year
// 9999 in UTC, in the PutObjectRetention body, the PutObject header and
// the CreateMultipartUpload header, is a 400 InvalidArgument, not a 500.
func TestRetainUntilYear10000(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.mustCreateBucket("lockbkt", true)
	e.mustPut("lockbkt", "obj", "data")
	for _, until := range []string{
		"9999-12-31T23:00:00-05:00", // year 10000 in UTC
		"9999-12-31T23:59:59.999-00:01",
		"10000-01-01T00:00:00Z",
		"+10000-01-01T00:00:00Z",
	} {
		t.Run(until, func(t *testing.T) {
			body, hdr := retentionXML("GOVERNANCE", until)
			resp := e.do(http.MethodPut, "/lockbkt/obj?retention", hdr, body)
			require.Equal(t, http.StatusBadRequest, resp.status, "PutObjectRetention: body %s", resp.body)
			require.Equal(t, "InvalidArgument", resp.errorDoc(t).Code)

			lock := http.Header{
				"X-Amz-Object-Lock-Mode":              {"GOVERNANCE"},
				"X-Amz-Object-Lock-Retain-Until-Date": {until},
			}
			data := []byte("payload")
			sum := md5.Sum(data)
			ph := lock.Clone()
			ph.Set("Content-Md5", base64.StdEncoding.EncodeToString(sum[:]))
			resp = e.do(http.MethodPut, "/lockbkt/obj2", ph, data)
			require.Equal(t, http.StatusBadRequest, resp.status, "PutObject: body %s", resp.body)
			require.Equal(t, "InvalidArgument", resp.errorDoc(t).Code)

			resp = e.do(http.MethodPost, "/lockbkt/obj3?uploads", lock, nil)
			require.Equal(t, http.StatusBadRequest, resp.status, "CreateMultipartUpload: body %s", resp.body)
			require.Equal(t, "InvalidArgument", resp.errorDoc(t).Code)
		})
	}
}

// rawExchange writes req's request line and headers as they are (no
// Content-Length or Transfer-Encoding added unless in req.Header), then
// body bytes verbatim, on a fresh connection, and reads one response.
func (e *testEnv) rawExchange(req *http.Request, body string) *rawResponse {
	e.t.Helper()
	conn, err := net.Dial("tcp", e.srv.Listener.Addr().String())
	require.NoError(e.t, err)
	defer conn.Close()
	require.NoError(e.t, conn.SetDeadline(time.Now().Add(20*time.Second)))
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\n", req.Method, req.URL.RequestURI(), req.Host)
	for k, vs := range req.Header {
		for _, v := range vs {
			fmt.Fprintf(&b, "%s: %s\r\n", k, v)
		}
	}
	b.WriteString("\r\n")
	b.WriteString(body)
	_, err = io.WriteString(conn, b.String())
	require.NoError(e.t, err)
	resp, err := http.ReadResponse(bufio.NewReader(conn), req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	rb, err := io.ReadAll(resp.Body)
	require.NoError(e.t, err)
	return &rawResponse{status: resp.StatusCode, header: resp.Header, body: rb}
}

// TestTransferChunkedFramingIs400 checks that a broken HTTP/1.1 chunked
// transfer coding under a signed aws-chunked body (what minio-go sends for
// streams of unknown size) is a 400 IncompleteBody, not a 500: errors
// reading the request body are the client's.
func TestTransferChunkedFramingIs400(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.mustCreateBucket("chunky", false)
	payload := []byte("hello, chunks")
	for _, tc := range []struct {
		name string
		wire func(aws string) string
	}{
		{"bad transfer chunk size", func(a string) string { return "zz\r\n" + a + "\r\n0\r\n\r\n" }},
		{"transfer chunk size overflow", func(a string) string { return "fffffffffffffffffff\r\n" + a }},
		{"transfer chunk not followed by CRLF", func(a string) string { return fmt.Sprintf("%x\r\n%sXX0\r\n\r\n", len(a), a) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, cs := e.signedChunkedRequest("/chunky/k", len(payload), nil)
			req.Header.Set("Transfer-Encoding", "chunked")
			resp := e.rawExchange(req, tc.wire(cs.chunk(payload)+cs.chunk(nil)))
			require.Equal(t, http.StatusBadRequest, resp.status, "body %s", resp.body)
			require.Equal(t, "IncompleteBody", resp.errorDoc(t).Code, "body %s", resp.body)
		})
	}
}

// exchange is one request on a raw connection, read response by response.
type exchange struct {
	t    testing.TB
	conn net.Conn
	br   *bufio.Reader
	req  *http.Request
}

// startExchange writes req's request line and headers (and nothing else)
// on a new connection to addr. Every read fails after timeout.
func startExchange(t testing.TB, addr string, req *http.Request, timeout time.Duration) *exchange {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	require.NoError(t, conn.SetDeadline(time.Now().Add(timeout)))
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\n", req.Method, req.URL.RequestURI(), req.Host)
	for k, vs := range req.Header {
		for _, v := range vs {
			fmt.Fprintf(&b, "%s: %s\r\n", k, v)
		}
	}
	b.WriteString("\r\n")
	_, err = io.WriteString(conn, b.String())
	require.NoError(t, err)
	return &exchange{t: t, conn: conn, br: bufio.NewReader(conn), req: req}
}

// exResponse is a response and whether it announced the connection's
// close.
type exResponse struct {
	*rawResponse
	close bool
}

// next reads the next response (an interim 100 Continue included).
func (x *exchange) next() exResponse {
	x.t.Helper()
	resp, err := http.ReadResponse(x.br, x.req)
	require.NoError(x.t, err, "no response before the deadline")
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(x.t, err)
	return exResponse{&rawResponse{status: resp.StatusCode, header: resp.Header, body: b}, resp.Close}
}

// TestAnsweredBeforeBody checks that a request refused before its handler
// runs (anonymous, badly signed, key too long) is answered at once, without
// waiting for a declared body the client never sends, with
// "Connection: close", and that a client waiting for "100 Continue" gets
// the error instead of 100.
func TestAnsweredBeforeBody(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.mustCreateBucket("early", false)
	addr := e.srv.Listener.Addr().String()
	badSig := func(req *http.Request) {
		req.Header.Set("x-amz-content-sha256", "UNSIGNED-PAYLOAD")
		s := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
		require.NoError(t, s.SignHTTP(context.Background(), aws.Credentials{AccessKeyID: testAccessKey, SecretAccessKey: "not-the-secret"},
			req, "UNSIGNED-PAYLOAD", "s3", testRegion, time.Now()))
	}
	for _, tc := range []struct {
		name     string
		key      string
		sign     func(*http.Request)
		expect   bool
		wantCode string
		want     int
	}{
		{"anonymous", "k", nil, false, "AccessDenied", 403},
		{"anonymous expect", "k", nil, true, "AccessDenied", 403},
		{"bad signature", "k", badSig, false, "SignatureDoesNotMatch", 403},
		{"bad signature expect", "k", badSig, true, "SignatureDoesNotMatch", 403},
		{"key too long, anonymous", strings.Repeat("k", 1025), nil, false, "KeyTooLongError", 400},
		{"key too long, expect", strings.Repeat("k", 4096), nil, true, "KeyTooLongError", 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPut, e.srv.URL+"/early/"+tc.key, nil)
			require.NoError(t, err)
			req.Header.Set("Content-Length", "1000") // declared, never sent
			if tc.expect {
				req.Header.Set("Expect", "100-continue")
			}
			if tc.sign != nil {
				tc.sign(req)
			}
			x := startExchange(t, addr, req, 5*time.Second)
			resp := x.next()
			require.Equal(t, tc.want, resp.status, "got status %d, want %d (no 100 Continue before auth); body %s", resp.status, tc.want, resp.body)
			require.Equal(t, tc.wantCode, resp.errorDoc(t).Code)
			// The server closes the connection once the (unread) body's
			// read deadline passes; cmd/wormstore sets it and tests it.
			require.True(t, resp.close, "Connection: close announced")
		})
	}
}

// TestExpectContinueAfterAuth checks that a signed request with
// Expect: 100-continue gets "100 Continue", and then, once the body is
// sent, its answer.
func TestExpectContinueAfterAuth(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.mustCreateBucket("early", false)
	body := "the body, sent after 100 Continue"
	req, err := http.NewRequest(http.MethodPut, e.srv.URL+"/early/k", nil)
	require.NoError(t, err)
	req.Header.Set("Content-Length", fmt.Sprint(len(body)))
	req.Header.Set("Expect", "100-continue")
	req.Header.Set("x-amz-content-sha256", shaHex([]byte(body)))
	s := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	require.NoError(t, s.SignHTTP(context.Background(), aws.Credentials{AccessKeyID: testAccessKey, SecretAccessKey: testSecret},
		req, shaHex([]byte(body)), "s3", testRegion, time.Now()))
	x := startExchange(t, e.srv.Listener.Addr().String(), req, 5*time.Second)
	resp := x.next()
	require.Equal(t, http.StatusContinue, resp.status, "got status %d, want 100; body %s", resp.status, resp.body)
	_, err = io.WriteString(x.conn, body)
	require.NoError(t, err)
	resp = x.next()
	require.Equal(t, http.StatusOK, resp.status, "body %s", resp.body)
	require.Equal(t, body, e.mustGet("early", "k"))
}
