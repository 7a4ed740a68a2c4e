package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/stretchr/testify/require"
)

// testServer is an in-process `wormstore server` started by startServer.
type testServer struct {
	addr   string // S3 listener
	admin  string // admin listener
	stdout *bytes.Buffer
	stop   func() error // like SIGTERM; returns run's error
}

// startServer runs `wormstore server` in-process with the S3 and admin
// listeners on free loopback ports and returns its S3 address, its stdout
// and a function that stops it (like SIGTERM) and returns run's error.
func startServer(t *testing.T, args ...string) (addr string, stdout *bytes.Buffer, stop func() error) {
	t.Helper()
	ts := startTestServer(t, args...)
	return ts.addr, ts.stdout, ts.stop
}

// startTestServer is startServer returning the admin address too.
func startTestServer(t *testing.T, args ...string) *testServer {
	t.Helper()
	return startTestServerWith(t, nil, args...)
}

// startTestServerWith is startTestServer with the engine clock set to
// clock (nil: time.Now).
func startTestServerWith(t *testing.T, clock func() time.Time, args ...string) *testServer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready, adminc := make(chan string, 1), make(chan string, 1)
	ts := &testServer{stdout: &bytes.Buffer{}}
	env := &runEnv{ctx: ctx, stdout: ts.stdout, stderr: io.Discard,
		ready: func(a string) { ready <- a }, adminReady: func(a string) { adminc <- a }, clock: clock}
	errc := make(chan error, 1)
	go func() {
		errc <- runWith(env, append([]string{"server", "--address", "127.0.0.1:0", "--admin-address", "127.0.0.1:0"}, args...))
	}()
	for ts.addr == "" {
		select {
		case ts.admin = <-adminc:
		case ts.addr = <-ready:
		case err := <-errc:
			cancel()
			t.Fatalf("server exited: %v", err)
		case <-time.After(30 * time.Second):
			cancel()
			t.Fatal("server not ready")
		}
	}
	stopped := false
	ts.stop = func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		return <-errc
	}
	t.Cleanup(func() { require.NoError(t, ts.stop(), "server shutdown") })
	return ts
}

// devCredentials reads the root credentials a --dev server generated.
func devCredentials(t *testing.T, dataDir string) (ak, sk string) {
	t.Helper()
	var dc struct{ AccessKey, SecretKey string }
	b, err := os.ReadFile(filepath.Join(dataDir, "dev-credentials.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &dc))
	return dc.AccessKey, dc.SecretKey
}

func client(addr, ak, sk string) *s3.Client {
	return s3.NewFromConfig(aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider(ak, sk, ""),
	}, func(o *s3.Options) {
		o.BaseEndpoint = aws.String("http://" + addr)
		o.UsePathStyle = true
	})
}

func TestDevServerRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	addr, out, stop := startServer(t, "--dev", "--data", dir)
	require.Contains(t, out.String(), "export AWS_ACCESS_KEY_ID=")
	var dc struct{ AccessKey, SecretKey string }
	b, err := os.ReadFile(filepath.Join(dir, "dev-credentials.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &dc))
	fi, err := os.Stat(filepath.Join(dir, "dev-credentials.json"))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), "credentials readable only by the owner")
	require.Contains(t, out.String(), dc.SecretKey)

	c := client(addr, dc.AccessKey, dc.SecretKey)
	ctx := context.Background()
	_, err = c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("archive"), ObjectLockEnabledForBucket: aws.Bool(true)})
	require.NoError(t, err)
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("archive"), Key: aws.String("a/b.txt"), Body: strings.NewReader("hello")})
	require.NoError(t, err)
	require.NoError(t, stop())

	// Restart on the same directory: same generated credentials, data kept.
	addr, _, _ = startServer(t, "--dev", "--data", dir)
	c = client(addr, dc.AccessKey, dc.SecretKey)
	got, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("archive"), Key: aws.String("a/b.txt")})
	require.NoError(t, err)
	data, _ := io.ReadAll(got.Body)
	require.Equal(t, "hello", string(data))
}

func TestServerRefusesBadConfiguration(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	env := &runEnv{ctx: context.Background(), stdout: io.Discard, stderr: io.Discard}
	t.Setenv("WORMSTORE_ROOT_USER", "")
	t.Setenv("WORMSTORE_ROOT_PASSWORD", "")
	err := runWith(env, []string{"server", "--data", dir, "--address", "127.0.0.1:0", "--admin-address", ""})
	require.ErrorContains(t, err, "WORMSTORE_ROOT_USER")
	_, statErr := os.Stat(dir)
	require.True(t, os.IsNotExist(statErr), "nothing created on a refused start")

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	t.Setenv("WORMSTORE_ROOT_USER", "root")
	t.Setenv("WORMSTORE_ROOT_PASSWORD", "correct-horse")
	err = runWith(env, []string{"server", "--data", dir, "--address", ln.Addr().String(), "--admin-address", ""})
	require.ErrorContains(t, err, "--address")
	err = runWith(env, []string{"server", "--data", dir, "--address", "127.0.0.1:0", "--admin-address", ln.Addr().String()})
	require.ErrorContains(t, err, "--admin-address")
	_, statErr = os.Stat(dir)
	require.True(t, os.IsNotExist(statErr), "admin port in use touches nothing on disk")
	_, statErr = os.Stat(dir)
	require.True(t, os.IsNotExist(statErr), "port in use touches nothing on disk")

	t.Setenv("WORMSTORE_ROOT_PASSWORD", "short")
	err = runWith(env, []string{"server", "--data", dir, "--address", "127.0.0.1:0", "--admin-address", ""})
	require.ErrorContains(t, err, "at least 8")
}

func TestVersionAndHelp(t *testing.T) {
	var out bytes.Buffer
	env := &runEnv{ctx: context.Background(), stdout: &out, stderr: &out}
	require.NoError(t, runWith(env, []string{"version"}))
	require.Contains(t, out.String(), "wormstore")
	out.Reset()
	require.NoError(t, runWith(env, []string{"server", "--help"}))
	require.Contains(t, out.String(), "WORMSTORE_ROOT_USER")
	require.Contains(t, out.String(), "--data")
	require.Error(t, runWith(env, []string{"nonsense"}))
}

func TestAdminEndpoints(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	ts := startTestServer(t, "--dev", "--data", dir)
	addr, admin := ts.addr, ts.admin
	get := func(path string) (int, string) {
		resp, err := http.Get("http://" + admin + path)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, _ := get("/health/live")
	require.Equal(t, 200, code)
	code, _ = get("/health/ready")
	require.Equal(t, 200, code)

	ak, sk := devCredentials(t, dir)
	c := client(addr, ak, sk)
	_, err := c.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String("metrics")})
	require.NoError(t, err)
	_, err = c.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String("metrics"), Key: aws.String("k"), Body: strings.NewReader("12345")})
	require.NoError(t, err)

	// A lock call on a bucket without Object Lock: counted as a lock
	// operation with outcome "error".
	_, err = c.PutObjectLegalHold(context.Background(), &s3.PutObjectLegalHoldInput{Bucket: aws.String("metrics"), Key: aws.String("k"),
		LegalHold: &types.ObjectLockLegalHold{Status: types.ObjectLockLegalHoldStatusOn}})
	require.Error(t, err)

	code, body := get("/metrics")
	require.Equal(t, 200, code)
	for _, want := range []string{
		`wormstore_s3_requests_total{method="PUT",status="200"} 2`,
		"wormstore_s3_request_duration_seconds_bucket",
		"wormstore_wal_fsync_duration_seconds_count",
		"wormstore_wal_group_commit_records_bucket",
		"wormstore_bytes_live",
		"wormstore_segments 1",
		`wormstore_s3_operations_total{operation="PutObject",status="200"} 1`,
		`wormstore_s3_operations_total{operation="CreateBucket",status="200"} 1`,
		`wormstore_lock_operations_total{operation="PutObjectLegalHold",outcome="error"} 1`,
		"wormstore_versions 1",
	} {
		require.Contains(t, body, want)
	}
	require.NoError(t, ts.stop())
}
