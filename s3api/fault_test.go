package s3api_test

import (
	"bufio"
	"fmt"
	"github.com/aws/smithy-go"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"
	"github.com/stretchr/testify/require"
)

// TestFailedBodiesStoreNothing sends bodies that fail verification at the
// very end (a wrong trailing checksum) or never finish (the client hangs
// up), and checks that no version appears.
func TestFailedBodiesStoreNothing(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.mustCreateBucket("fail", false)

	chunked := func(trailer string) *http.Request {
		body := "4\r\ndata\r\n0\r\nx-amz-checksum-crc32:" + trailer + "\r\n\r\n"
		return e.signed("PUT", "/fail/trailer", "", http.Header{
			"Content-Encoding": {"aws-chunked,gzip"}, "X-Amz-Decoded-Content-Length": {"4"},
			"X-Amz-Trailer": {"x-amz-checksum-crc32"},
		}, strings.NewReader(body), "STREAMING-UNSIGNED-PAYLOAD-TRAILER")
	}
	r := e.send(chunked(crc32b64("other")))
	require.Equal(t, 400, r.status, "%s", r.body)
	require.Equal(t, "BadDigest", r.errorDoc(t).Code)
	r = e.do("HEAD", "/fail/trailer", nil, nil)
	require.Equal(t, 404, r.status)

	r = e.send(chunked(crc32b64("data")))
	require.Equal(t, 200, r.status, "%s", r.body)
	r = e.do("GET", "/fail/trailer?x-amz-checksum-mode=ENABLED", http.Header{"X-Amz-Checksum-Mode": {"ENABLED"}}, nil)
	require.Equal(t, "data", string(r.body))
	require.Equal(t, "gzip", r.header.Get("Content-Encoding"), "aws-chunked is stripped, gzip kept")
	require.Equal(t, crc32b64("data"), r.header.Get("x-amz-checksum-crc32"))

	// A client that hangs up half-way through its body.
	req := e.signed("PUT", "/fail/cut", "", nil, nil, "UNSIGNED-PAYLOAD")
	conn, err := net.Dial("tcp", strings.TrimPrefix(e.srv.URL, "http://"))
	require.NoError(t, err)
	fmt.Fprintf(conn, "PUT /fail/cut HTTP/1.1\r\nHost: %s\r\nContent-Length: 100\r\n", req.Host)
	for k, vs := range req.Header {
		fmt.Fprintf(conn, "%s: %s\r\n", k, vs[0])
	}
	fmt.Fprintf(conn, "\r\n%s", strings.Repeat("x", 40))
	require.NoError(t, conn.(*net.TCPConn).CloseWrite())
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	resp.Body.Close()
	conn.Close()
	require.Equal(t, 400, resp.StatusCode)
	r = e.do("HEAD", "/fail/cut", nil, nil)
	require.Equal(t, 404, r.status)
}

// TestDiskFull checks the answer when the disk fills up: 507
// InsufficientStorage for the write that hit ENOSPC, which stores nothing;
// reads keep working.
func TestDiskFull(t *testing.T) {
	var full atomic.Bool
	fs := errorfs.Wrap(vfs.NewMem(), errorfs.InjectorFunc(func(op errorfs.Op) error {
		if full.Load() && op.Kind.ReadOrWrite() == errorfs.OpIsWrite {
			return syscall.ENOSPC
		}
		return nil
	}))
	e := newEnv(t, envOptions{fs: fs, broken: true})
	e.mustCreateBucket("full", false)
	e.mustPut("full", "before", "kept")
	full.Store(true)
	_, err := e.s3.PutObject(ctx(), &s3.PutObjectInput{Bucket: aws.String("full"), Key: aws.String("k"), Body: strings.NewReader(strings.Repeat("x", 1<<20))})
	requireCode(t, err, "InsufficientStorage", http.StatusInsufficientStorage)
	full.Store(false)
	// Depending on where ENOSPC struck, the engine either carries on or
	// refuses writes until reopened: 503 ServiceUnavailable, or 507
	// InsufficientStorage when the failure it refuses for was the full
	// disk (the error table keeps that cause; since audit entries travel
	// in the WAL record, ENOSPC strikes the data or WAL write first).
	_, err = e.s3.PutObject(ctx(), &s3.PutObjectInput{Bucket: aws.String("full"), Key: aws.String("k2"), Body: strings.NewReader("x")})
	if err != nil {
		var ae smithy.APIError
		require.ErrorAs(t, err, &ae)
		if ae.ErrorCode() == "InsufficientStorage" {
			requireCode(t, err, "InsufficientStorage", http.StatusInsufficientStorage)
		} else {
			requireCode(t, err, "ServiceUnavailable", http.StatusServiceUnavailable)
		}
	}
	_, err = e.s3.HeadObject(ctx(), &s3.HeadObjectInput{Bucket: aws.String("full"), Key: aws.String("k")})
	requireCode(t, err, "NotFound", http.StatusNotFound)
	require.Equal(t, "kept", e.mustGet("full", "before"))
}
