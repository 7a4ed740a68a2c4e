package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/require"
)

// buildSoakBinary builds the real wormstore binary from the module this test
// belongs to (found with `go env GOMOD` from the package directory, where
// `go test` runs the test) into a temporary directory.
func buildSoakBinary(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	require.NoError(t, err, "go env GOMOD")
	gomod := strings.TrimSpace(string(out))
	require.True(t, gomod != "" && gomod != os.DevNull, "not inside a module: GOMOD=%q", gomod)
	bin := filepath.Join(t.TempDir(), "wormstore")
	start := time.Now()
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/wormstore")
	cmd.Dir = filepath.Dir(gomod)
	out, err = cmd.CombinedOutput()
	require.NoError(t, err, "go build ./cmd/wormstore:\n%s", out)
	t.Logf("built %s in %v", bin, time.Since(start).Round(time.Millisecond))
	return bin
}

// soakServer is a `wormstore server --dev` child process on one data
// directory, started, killed and restarted by the soak tests. It is used
// from one goroutine.
type soakServer struct {
	t       *testing.T
	bin     string
	data    string
	logPath string // the server's stdout and stderr, appended across starts

	cmd     *exec.Cmd
	exited  chan struct{} // closed when cmd has exited
	waitErr error         // cmd.Wait's result; read after exited is closed
	addr    string
	tr      *http.Transport
	starts  int

	ak, sk string // dev credentials
	// args are appended to every start's command line.
	args []string
}

func newSoakServer(t *testing.T, bin, data string) *soakServer {
	s := &soakServer{t: t, bin: bin, data: data, logPath: filepath.Join(t.TempDir(), "server.log")}
	t.Cleanup(func() {
		if s.running() {
			_ = s.cmd.Process.Kill()
			<-s.exited
		}
	})
	return s
}

func (s *soakServer) running() bool {
	if s.cmd == nil {
		return false
	}
	select {
	case <-s.exited:
		return false
	default:
		return true
	}
}

// spawn starts the process on a fresh loopback port without waiting for it
// to serve.
func (s *soakServer) spawn() {
	s.t.Helper()
	require.False(s.t, s.running(), "server already running")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(s.t, err)
	s.addr = ln.Addr().String()
	require.NoError(s.t, ln.Close())

	logf, err := os.OpenFile(s.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	require.NoError(s.t, err)
	s.starts++
	fmt.Fprintf(logf, "===== start %d at %s on %s\n", s.starts, time.Now().Format(time.RFC3339Nano), s.addr)
	cmd := exec.Command(s.bin, append([]string{"server", "--dev", "--data", s.data, "--address", s.addr,
		"--admin-address=", "--console-address=", "--shutdown-timeout", "20s"}, s.args...)...)
	// The developer's WORMSTORE_* settings (root credentials, log format)
	// must not leak into the child.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "WORMSTORE_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	require.NoError(s.t, cmd.Start())
	s.cmd = cmd
	s.exited = make(chan struct{})
	go func() {
		s.waitErr = cmd.Wait()
		logf.Close()
		close(s.exited)
	}()
}

// start spawns the server and waits until it answers a signed ListBuckets,
// that is until recovery is done. It returns how long that took, or an error
// if the process exited first or did not answer within limit.
func (s *soakServer) start(limit time.Duration) (time.Duration, error) {
	s.t.Helper()
	for attempt := 0; ; attempt++ {
		begin := time.Now()
		s.spawn()
		err := s.waitReady(limit)
		if err != nil && attempt < 3 && !s.running() && strings.Contains(s.logTail(5), "address already in use") {
			continue // someone took the port between our probe and the child's listen
		}
		return time.Since(begin), err
	}
}

func (s *soakServer) waitReady(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	credPath := filepath.Join(s.data, "dev-credentials.json")
	for {
		if !s.running() {
			return fmt.Errorf("server exited before it was ready (%v); log tail:\n%s", s.waitErr, s.logTail(30))
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("server not ready after %v; log tail:\n%s", limit, s.logTail(30))
		}
		if s.ak == "" {
			var dc struct{ AccessKey, SecretKey string }
			if b, err := os.ReadFile(credPath); err == nil && json.Unmarshal(b, &dc) == nil && dc.SecretKey != "" {
				s.ak, s.sk = dc.AccessKey, dc.SecretKey
			}
		}
		if s.ak != "" {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			_, err := s.client().ListBuckets(ctx, &s3.ListBucketsInput{})
			cancel()
			if err == nil {
				return nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// client returns an S3 client for the running server. It never retries: a
// request either got its answer from this server process or it did not.
func (s *soakServer) client() *s3.Client {
	if s.tr == nil {
		s.tr = &http.Transport{MaxIdleConnsPerHost: 32, IdleConnTimeout: 30 * time.Second}
	}
	return s3.NewFromConfig(aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider(s.ak, s.sk, ""),
		HTTPClient:  &http.Client{Transport: s.tr},
		Retryer:     func() aws.Retryer { return aws.NopRetryer{} },
	}, func(o *s3.Options) {
		o.BaseEndpoint = aws.String("http://" + s.addr)
		o.UsePathStyle = true
	})
}

// kill sends SIGKILL and waits for the process to be gone (it may have
// exited already).
func (s *soakServer) kill() {
	s.t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
		s.t.Fatalf("SIGKILL: %v", err)
	}
	select {
	case <-s.exited:
	case <-time.After(30 * time.Second):
		s.t.Fatal("server did not die within 30s of SIGKILL")
	}
	if s.tr != nil {
		s.tr.CloseIdleConnections()
	}
}

// stop sends SIGTERM and waits for the process to exit; it returns the
// process's exit error (nil for status 0).
func (s *soakServer) stop() error {
	s.t.Helper()
	require.NoError(s.t, s.cmd.Process.Signal(syscall.SIGTERM))
	select {
	case <-s.exited:
	case <-time.After(60 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
		s.t.Fatalf("server did not exit within 60s of SIGTERM; log tail:\n%s", s.logTail(30))
	}
	if s.tr != nil {
		s.tr.CloseIdleConnections()
	}
	return s.waitErr
}

// logTail returns the last n lines the server wrote.
func (s *soakServer) logTail(n int) string {
	b, err := os.ReadFile(s.logPath)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	lines := bytes.Split(bytes.TrimRight(b, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}

// soakPreserveOnFailure registers a cleanup that copies dir out of the test's
// temporary directory when the test failed, so a durability bug can be
// investigated after the run. Register it after t.TempDir and before the
// server, so it runs after the server is gone and before the removal.
func soakPreserveOnFailure(t *testing.T, what, dir string) {
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		dst, err := os.MkdirTemp("", "wormstore-"+what+"-")
		if err == nil {
			err = os.CopyFS(dst, os.DirFS(dir))
		}
		if err != nil {
			t.Logf("could not preserve %s: %v", dir, err)
			return
		}
		t.Logf("data directory preserved in %s", dst)
	})
}

// soakS3Error returns the S3 error code and HTTP status of a failed request
// ("" and 0 when the request got no HTTP answer).
func soakS3Error(err error) (code string, status int) {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		code = ae.ErrorCode()
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	return code, status
}
