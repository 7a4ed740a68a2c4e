// Package tiertest starts real Object-Lock S3 remotes for tests of the
// remote tier: versitygw (a separate process, found in PATH or in
// $(go env GOPATH)/bin; `make test-deps` installs it) and a second
// wormstore (in-process: engine + s3api on a loopback listener).
//
// A missing versitygw binary skips the test, or fails it when
// WORMSTORE_E2E_REQUIRED=1 (as .ci/run sets).
package tiertest

import (
	"context"
	"encoding/pem"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/wormstore/wormstore/engine"
	"github.com/wormstore/wormstore/gate"
	"github.com/wormstore/wormstore/s3api"
	"github.com/wormstore/wormstore/s3api/sigv4"
	"github.com/wormstore/wormstore/tier"
)

// Remote is a running Object-Lock S3 store with one bucket created with
// Object Lock enabled.
type Remote struct {
	// Name is "versitygw" or "wormstore".
	Name string
	// Endpoint is the remote's base URL.
	Endpoint          string
	Bucket            string
	AccessKey, Secret string
	// S3 is a client for inspecting the remote directly.
	S3 *s3.Client
	// CAFile is the PEM certificate of a TLS remote (StartWormstoreTLS).
	CAFile string
	// Stop stops the remote (also run at cleanup).
	Stop func()

	// delay is added to every request of an in-process wormstore remote
	// (SetDelay), so that tests can kill the local server mid-move.
	delay atomic.Int64
}

// SetDelay makes an in-process wormstore remote answer every request d
// late (a slow link); versitygw ignores it.
func (r *Remote) SetDelay(d time.Duration) { r.delay.Store(int64(d)) }

// Config returns a tier configuration for the remote's bucket.
func (r *Remote) Config(prefix string) tier.Config {
	ps := true
	return tier.Config{Endpoint: r.Endpoint, Bucket: r.Bucket, Prefix: prefix, Region: "us-east-1",
		AccessKey: r.AccessKey, SecretKey: r.Secret, PathStyle: &ps, PartSize: 5 << 20}
}

// Required reports whether end-to-end dependencies must be present.
func Required() bool { return os.Getenv("WORMSTORE_E2E_REQUIRED") == "1" }

// VersityBinary returns the versitygw binary, or "" if there is none.
func VersityBinary() string {
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p
	}
	out, err := exec.Command("go", "env", "GOPATH").Output()
	if err != nil {
		return ""
	}
	for _, dir := range filepath.SplitList(strings.TrimSpace(string(out))) {
		p := filepath.Join(dir, "bin", "versitygw")
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p
		}
	}
	return ""
}

// Each starts every available remote and runs fn for it in a subtest.
func Each(t *testing.T, fn func(t *testing.T, r *Remote)) {
	t.Run("versitygw", func(t *testing.T) { fn(t, StartVersity(t)) })
	t.Run("wormstore", func(t *testing.T) { fn(t, StartWormstore(t)) })
}

func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a := ln.Addr().String()
	ln.Close()
	return a
}

func newClient(endpoint, ak, sk string) *s3.Client {
	return s3.NewFromConfig(aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider(ak, sk, ""),
		Retryer:     func() aws.Retryer { return aws.NopRetryer{} },
	}, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(endpoint)
		o.UsePathStyle = true
	})
}

// createLockedBucket creates bucket with Object Lock (and so versioning)
// enabled, waiting for the remote to come up.
func createLockedBucket(t testing.TB, c *s3.Client, bucket string, up func() error) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket), ObjectLockEnabledForBucket: aws.Bool(true)})
		cancel()
		if err == nil {
			return
		}
		if e := up(); e != nil {
			t.Fatalf("remote exited: %v", e)
		}
		if time.Now().After(deadline) {
			t.Fatalf("create object-lock bucket %s: %v", bucket, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// StartVersity starts versitygw (posix backend with a versioning
// directory, needed for versioning and Object Lock) on a loopback port in
// fresh directories, and creates an Object-Lock bucket "tier-remote".
func StartVersity(t testing.TB) *Remote {
	t.Helper()
	bin := VersityBinary()
	if bin == "" {
		msg := "versitygw not found in PATH or $(go env GOPATH)/bin (make test-deps installs it)"
		if Required() {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	dir := t.TempDir()
	root, ver := filepath.Join(dir, "root"), filepath.Join(dir, "versions")
	for _, d := range []string{root, ver} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	addr := freeAddr(t)
	r := &Remote{Name: "versitygw", Endpoint: "http://" + addr, Bucket: "tier-remote", AccessKey: "VERSITYTESTKEY", Secret: "versity-test-secret-key"}
	logf, err := os.Create(filepath.Join(dir, "versitygw.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--port", addr, "--access", r.AccessKey, "--secret", r.Secret, "--region", "us-east-1", "--quiet",
		"posix", "--versioning-dir", ver, root)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatalf("start versitygw: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stopped := false
	r.Stop = func() {
		if stopped {
			return
		}
		stopped = true
		_ = cmd.Process.Kill()
		<-exited
		logf.Close()
	}
	t.Cleanup(r.Stop)
	r.S3 = newClient(r.Endpoint, r.AccessKey, r.Secret)
	createLockedBucket(t, r.S3, r.Bucket, func() error {
		select {
		case err := <-exited:
			b, _ := os.ReadFile(logf.Name())
			return fmt.Errorf("%v: %s", err, b)
		default:
			return nil
		}
	})
	return r
}

// StartWormstore starts a second wormstore in-process (engine on a memory
// filesystem, the S3 API on a loopback listener) and creates an
// Object-Lock bucket "tier-remote".
func StartWormstore(t testing.TB) *Remote { return startWormstore(t, false) }

// StartWormstoreTLS is StartWormstore over HTTPS with a self-signed
// certificate, written (PEM) to the file CAFile names.
func StartWormstoreTLS(t testing.TB) *Remote { return startWormstore(t, true) }

func startWormstore(t testing.TB, useTLS bool) *Remote {
	t.Helper()
	eng, err := engine.Open(context.Background(), engine.Options{FS: vfs.NewMem(), Dir: "/remote",
		SegmentSize: 16 << 20, CompactionInterval: -1, ClockPersistInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	g, err := gate.New(gate.Config{Engine: eng})
	if err != nil {
		t.Fatal(err)
	}
	r := &Remote{Name: "wormstore", Bucket: "tier-remote", AccessKey: "REMOTEWORMKEY", Secret: "remote-wormstore-secret"}
	h, err := s3api.New(s3api.Config{Engine: eng, Region: "us-east-1", Credentials: sigv4.StaticCredentials{r.AccessKey: r.Secret}, Gate: g})
	if err != nil {
		t.Fatal(err)
	}
	slow := http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if d := time.Duration(r.delay.Load()); d > 0 {
			time.Sleep(d)
		}
		h.ServeHTTP(w, req)
	})
	ts := httptest.NewUnstartedServer(slow)
	ts.Config.ReadHeaderTimeout = 10 * time.Second
	if useTLS {
		ts.StartTLS()
		r.CAFile = filepath.Join(t.TempDir(), "remote-ca.pem")
		pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ts.Certificate().Raw})
		if err := os.WriteFile(r.CAFile, pemBytes, 0o644); err != nil {
			t.Fatal(err)
		}
	} else {
		ts.Start()
	}
	r.Endpoint = ts.URL
	stopped := false
	r.Stop = func() {
		if stopped {
			return
		}
		stopped = true
		ts.Close()
		_ = eng.Close()
	}
	t.Cleanup(r.Stop)
	r.S3 = newClient(r.Endpoint, r.AccessKey, r.Secret)
	if useTLS {
		r.S3 = s3.NewFromConfig(aws.Config{
			Region:      "us-east-1",
			Credentials: credentials.NewStaticCredentialsProvider(r.AccessKey, r.Secret, ""),
			Retryer:     func() aws.Retryer { return aws.NopRetryer{} },
			HTTPClient:  ts.Client(),
		}, func(o *s3.Options) {
			o.BaseEndpoint = aws.String(r.Endpoint)
			o.UsePathStyle = true
		})
	}
	createLockedBucket(t, r.S3, r.Bucket, func() error { return nil })
	return r
}
