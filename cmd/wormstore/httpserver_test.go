package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/require"
)

// hardServer is a `wormstore server --dev` with its S3 and console
// addresses and root credentials.
type hardServer struct {
	s3, console string
	ak, sk      string
}

// startHardServer runs `wormstore server --dev` with args on loopback
// ports, the console included.
func startHardServer(t *testing.T, args ...string) *hardServer {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "data")
	ctx, cancel := context.WithCancel(context.Background())
	ready, consolec := make(chan string, 1), make(chan string, 1)
	env := &runEnv{ctx: ctx, stdout: io.Discard, stderr: io.Discard,
		ready: func(a string) { ready <- a }, consoleReady: func(a string) { consolec <- a }}
	errc := make(chan error, 1)
	go func() {
		errc <- runWith(env, append([]string{"server", "--dev", "--data", dir, "--address", "127.0.0.1:0",
			"--admin-address", "", "--console-address", "127.0.0.1:0"}, args...))
	}()
	hs := &hardServer{}
	for hs.s3 == "" || hs.console == "" {
		select {
		case hs.s3 = <-ready:
		case hs.console = <-consolec:
		case err := <-errc:
			cancel()
			t.Fatalf("server exited: %v", err)
		case <-time.After(30 * time.Second):
			cancel()
			t.Fatal("server not ready")
		}
	}
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-errc, "server shutdown")
	})
	hs.ak, hs.sk = devCredentials(t, dir)
	return hs
}

// rawConn is a client connection driven byte by byte.
type rawConn struct {
	t    *testing.T
	conn net.Conn
	br   *bufio.Reader
}

// dialRaw connects to addr; every operation fails after 15 s.
func dialRaw(t *testing.T, addr string) *rawConn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	require.NoError(t, c.SetDeadline(time.Now().Add(15*time.Second)))
	return &rawConn{t: t, conn: c, br: bufio.NewReader(c)}
}

// writeHead writes req's request line and headers only.
func (c *rawConn) writeHead(req *http.Request) {
	c.t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\n", req.Method, req.URL.RequestURI(), req.Host)
	for k, vs := range req.Header {
		for _, v := range vs {
			fmt.Fprintf(&b, "%s: %s\r\n", k, v)
		}
	}
	b.WriteString("\r\n")
	c.write(b.String())
}

func (c *rawConn) write(s string) {
	c.t.Helper()
	_, err := io.WriteString(c.conn, s)
	require.NoError(c.t, err)
}

// response reads one response (an interim 100 included) and its body.
func (c *rawConn) response(req *http.Request) (*http.Response, string) {
	c.t.Helper()
	resp, err := http.ReadResponse(c.br, req)
	require.NoError(c.t, err, "no response")
	b, err := io.ReadAll(resp.Body)
	require.NoError(c.t, err)
	resp.Body.Close()
	return resp, string(b)
}

// requireClosed asserts the server closes the connection within d.
func (c *rawConn) requireClosed(d time.Duration) {
	c.t.Helper()
	start := time.Now()
	require.NoError(c.t, c.conn.SetReadDeadline(time.Now().Add(d+5*time.Second)))
	_, err := c.br.ReadByte()
	require.Error(c.t, err, "got data, want the connection closed")
	var ne net.Error
	require.False(c.t, errors.As(err, &ne) && ne.Timeout(), "connection still open after %v", time.Since(start))
	require.Less(c.t, time.Since(start), d+3*time.Second, "closed after %v, want about %v", time.Since(start), d)
}

// requireSilent asserts nothing arrives (and nothing closes) for d.
func (c *rawConn) requireSilent(d time.Duration) {
	c.t.Helper()
	require.NoError(c.t, c.conn.SetReadDeadline(time.Now().Add(d)))
	_, err := c.br.Peek(1)
	var ne net.Error
	require.True(c.t, errors.As(err, &ne) && ne.Timeout(), "got %v, want no answer for %v", err, d)
	require.NoError(c.t, c.conn.SetReadDeadline(time.Now().Add(15*time.Second)))
}

func s3Code(t *testing.T, body string) string {
	t.Helper()
	var doc struct{ Code string }
	require.NoError(t, xml.Unmarshal([]byte(body), &doc), "body %q", body)
	return doc.Code
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// signedPut is a PUT of a body of n bytes whose SHA-256 is hash, signed
// with the server's root credentials.
func (hs *hardServer) signedPut(t *testing.T, path string, n int, hash string, hdr http.Header) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPut, "http://"+hs.s3+path, nil)
	require.NoError(t, err)
	for k, vs := range hdr {
		req.Header[k] = vs
	}
	req.Header.Set("Content-Length", fmt.Sprint(n))
	req.Header.Set("x-amz-content-sha256", hash)
	s := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	require.NoError(t, s.SignHTTP(context.Background(), aws.Credentials{AccessKeyID: hs.ak, SecretAccessKey: hs.sk},
		req, hash, "s3", "us-east-1", time.Now()))
	return req
}

func (hs *hardServer) mkBucket(t *testing.T, name string) {
	t.Helper()
	_, err := client(hs.s3, hs.ak, hs.sk).CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(name)})
	require.NoError(t, err)
}

func (hs *hardServer) get(t *testing.T, bucket, key string) string {
	t.Helper()
	out, err := client(hs.s3, hs.ak, hs.sk).GetObject(context.Background(), &s3.GetObjectInput{Bucket: &bucket, Key: &key})
	require.NoError(t, err)
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	require.NoError(t, err)
	return string(b)
}

// TestServerRefusesBeforeBody checks, through the whole server (metrics
// wrapper included), that an anonymous PUT declaring a body it never sends
// is answered 403 at once, without "100 Continue" when it expects one, and
// that its connection is closed within --body-idle-timeout.
func TestServerRefusesBeforeBody(t *testing.T) {
	const idle = time.Second
	hs := startHardServer(t, "--body-idle-timeout", idle.String())
	hs.mkBucket(t, "early")
	for _, tc := range []struct {
		name   string
		length string
		expect bool
	}{
		{"1 MB", "1048576", false},
		{"1 MB expect", "1048576", true},
		{"1 KB", "1000", false},
		{"1 KB expect", "1000", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPut, "http://"+hs.s3+"/early/k", nil)
			require.NoError(t, err)
			req.Header.Set("Content-Length", tc.length)
			if tc.expect {
				req.Header.Set("Expect", "100-continue")
			}
			c := dialRaw(t, hs.s3)
			require.NoError(t, c.conn.SetReadDeadline(time.Now().Add(5*time.Second)))
			c.writeHead(req)
			resp, body := c.response(req)
			require.Equal(t, http.StatusForbidden, resp.StatusCode, "got %d, want 403 before any 100 Continue; body %s", resp.StatusCode, body)
			require.Equal(t, "AccessDenied", s3Code(t, body))
			c.requireClosed(idle)
		})
	}
}

// TestServerExpectContinueSigned checks that a signed PUT expecting
// "100 Continue" gets it, then its answer once the body is sent.
func TestServerExpectContinueSigned(t *testing.T) {
	hs := startHardServer(t)
	hs.mkBucket(t, "early")
	body := "sent after 100 Continue"
	req := hs.signedPut(t, "/early/k", len(body), sha256Hex([]byte(body)), http.Header{"Expect": {"100-continue"}})
	c := dialRaw(t, hs.s3)
	c.writeHead(req)
	resp, _ := c.response(req)
	require.Equal(t, http.StatusContinue, resp.StatusCode)
	c.write(body)
	resp, rb := c.response(req)
	require.Equal(t, http.StatusOK, resp.StatusCode, "body %s", rb)
	require.Equal(t, body, hs.get(t, "early", "k"))
}

// TestServerStalledBody checks that a signed PUT whose body stops
// arriving is answered 400 RequestTimeout after --body-idle-timeout and
// its connection closed, and that nothing is stored.
func TestServerStalledBody(t *testing.T) {
	const idle = time.Second
	hs := startHardServer(t, "--body-idle-timeout", idle.String())
	hs.mkBucket(t, "stall")
	full := strings.Repeat("x", 1000)
	req := hs.signedPut(t, "/stall/k", len(full), sha256Hex([]byte(full)), nil)
	c := dialRaw(t, hs.s3)
	c.writeHead(req)
	c.write(full[:10])
	start := time.Now()
	resp, body := c.response(req)
	require.Equal(t, http.StatusBadRequest, resp.StatusCode, "body %s", body)
	require.Equal(t, "RequestTimeout", s3Code(t, body))
	require.Less(t, time.Since(start), idle+3*time.Second)
	c.requireClosed(idle)
	_, err := client(hs.s3, hs.ak, hs.sk).HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String("stall"), Key: aws.String("k")})
	require.Error(t, err, "a stalled upload stores nothing")
}

// TestServerSlowBodyNotCut checks that an upload taking several times
// --body-idle-timeout, but never silent for that long, succeeds.
func TestServerSlowBodyNotCut(t *testing.T) {
	const idle = time.Second
	hs := startHardServer(t, "--body-idle-timeout", idle.String())
	hs.mkBucket(t, "slow")
	const pieces, gap = 15, 200 * time.Millisecond // 3 s in all
	full := strings.Repeat("0123456789", 10*pieces)
	req := hs.signedPut(t, "/slow/k", len(full), sha256Hex([]byte(full)), nil)
	c := dialRaw(t, hs.s3)
	c.writeHead(req)
	start := time.Now()
	for i := 0; i < pieces; i++ {
		c.write(full[i*100 : (i+1)*100])
		time.Sleep(gap)
	}
	require.Greater(t, time.Since(start), 2*idle, "the upload took longer than the idle timeout")
	resp, body := c.response(req)
	require.Equal(t, http.StatusOK, resp.StatusCode, "body %s", body)
	require.Equal(t, full, hs.get(t, "slow", "k"))
}

// TestServerIdleAndHeaderTimeouts checks that a keep-alive connection is
// closed after --idle-timeout (given as WORMSTORE_IDLE_TIMEOUT) and a connection that never sends its
// headers after --read-header-timeout, on the S3 and console listeners.
func TestServerIdleAndHeaderTimeouts(t *testing.T) {
	const idle, header = time.Second, time.Second
	t.Setenv("WORMSTORE_IDLE_TIMEOUT", idle.String()) // the flag's environment twin
	hs := startHardServer(t, "--read-header-timeout", header.String())
	for _, l := range []struct{ name, addr, path string }{{"s3", hs.s3, "/"}, {"console", hs.console, "/login"}} {
		t.Run(l.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, "http://"+l.addr+l.path, nil)
			require.NoError(t, err)
			c := dialRaw(t, l.addr)
			c.writeHead(req)
			resp, _ := c.response(req)
			require.False(t, resp.Close, "keep-alive response")
			c.requireClosed(idle)

			silent := dialRaw(t, l.addr)
			silent.requireClosed(header)

			partial := dialRaw(t, l.addr)
			partial.write("GET / HTTP/1.1\r\nHost: x\r\n")
			partial.requireClosed(header)
		})
	}
}

// TestServerConnectionCap checks --max-connections (given as
// WORMSTORE_MAX_CONNECTIONS) and --console-max-connections: a connection
// over the cap is not served until one of the others closes.
func TestServerConnectionCap(t *testing.T) {
	t.Setenv("WORMSTORE_MAX_CONNECTIONS", "2") // the flag's environment twin
	hs := startHardServer(t, "--console-max-connections", "1")
	for _, l := range []struct {
		name, addr, path string
		cap              int
	}{{"s3", hs.s3, "/", 2}, {"console", hs.console, "/login", 1}} {
		t.Run(l.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, "http://"+l.addr+l.path, nil)
			require.NoError(t, err)
			var held []*rawConn
			for i := 0; i < l.cap; i++ {
				c := dialRaw(t, l.addr)
				c.writeHead(req)
				resp, _ := c.response(req) // served, kept alive
				require.False(t, resp.Close)
				held = append(held, c)
			}
			over := dialRaw(t, l.addr)
			over.writeHead(req)
			over.requireSilent(time.Second)
			held[0].conn.Close()
			resp, _ := over.response(req)
			require.NotZero(t, resp.StatusCode)
		})
	}
}

// TestInstrumentKeepsRequestBody checks that the metrics wrapper counts
// body bytes on a copy of the request: net/http decides by the type of its
// own Request.Body whether to send "100 Continue" and whether to drain an
// unread body before answering.
func TestInstrumentKeepsRequestBody(t *testing.T) {
	m := newMetrics()
	var seen int
	h := m.instrument(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		seen = len(b)
	}))
	req, err := http.NewRequest(http.MethodPut, "http://x/b/k", strings.NewReader("12345"))
	require.NoError(t, err)
	orig := req.Body
	h.ServeHTTP(httptest.NewRecorder(), req)
	require.Equal(t, 5, seen)
	require.True(t, req.Body == orig, "the server's Request.Body was replaced")
}
