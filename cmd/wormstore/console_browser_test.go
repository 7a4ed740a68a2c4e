package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/stretchr/testify/require"
	"github.com/wormstore/wormstore/identity"
)

// TestMain moves every in-process server's console (default
// 127.0.0.1:9002) to a free port, so tests never depend on, or collide
// over, that fixed address; a test that wants it sets --console-address.
func TestMain(m *testing.M) {
	if os.Getenv("WORMSTORE_CONSOLE_ADDRESS") == "" {
		os.Setenv("WORMSTORE_CONSOLE_ADDRESS", "127.0.0.1:0")
	}
	os.Exit(m.Run())
}

// startConsoleServer runs `wormstore server` in-process with the console on
// a free port and returns the console's base URL.
func startConsoleServer(t *testing.T, ak, sk string) string {
	t.Helper()
	return startConsoleServerIn(t, filepath.Join(t.TempDir(), "data"), ak, sk)
}

// startConsoleServerIn is startConsoleServer on a given data directory.
func startConsoleServerIn(t *testing.T, data, ak, sk string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	consoleAddr := make(chan string, 1)
	ready := make(chan struct{}, 1)
	env := &runEnv{ctx: ctx, stdout: io.Discard, stderr: io.Discard,
		ready:        func(string) { ready <- struct{}{} },
		consoleReady: func(a string) { consoleAddr <- a },
	}
	errc := make(chan error, 1)
	go func() {
		errc <- runWith(env, []string{"server", "--data", data,
			"--address", "127.0.0.1:0", "--admin-address", "", "--console-address", "127.0.0.1:0",
			"--root-user", ak, "--root-password", sk})
	}()
	var addr string
	for addr == "" {
		select {
		case addr = <-consoleAddr:
		case err := <-errc:
			cancel()
			t.Fatalf("server exited: %v", err)
		case <-time.After(30 * time.Second):
			cancel()
			t.Fatal("console not ready")
		}
	}
	<-ready
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-errc)
	})
	return "http://" + addr
}

func TestConsoleServed(t *testing.T) {
	base := startConsoleServer(t, "root", "correct-horse")
	resp, err := http.Get(base + "/signin")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	b, _ := io.ReadAll(resp.Body)
	require.Contains(t, string(b), "Secret key")
	css, err := http.Get(base + "/static/console.css")
	require.NoError(t, err)
	css.Body.Close()
	require.Equal(t, http.StatusOK, css.StatusCode, "embedded assets served")
}

// TestConsoleBrowser walks through the console in headless Chromium
// (console/e2e/console.e2e.mjs, playwright-core). Screenshots of every page
// go to $WORMSTORE_SCREENSHOT_DIR, default console/e2e/screenshots.
func TestConsoleBrowser(t *testing.T) {
	node := requireTool(t, "node")
	chromium := os.Getenv("WORMSTORE_CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	chromium = requireTool(t, chromium)
	e2e, err := filepath.Abs("../../console/e2e")
	require.NoError(t, err)
	if _, err := os.Stat(filepath.Join(e2e, "node_modules/playwright-core")); err != nil {
		if os.Getenv("WORMSTORE_E2E_REQUIRED") == "1" {
			t.Fatal("playwright-core not installed in console/e2e; `make test-deps` installs it")
		}
		t.Skip("run `npm install` in console/e2e")
	}
	shots := os.Getenv("WORMSTORE_SCREENSHOT_DIR")
	if shots == "" {
		shots = filepath.Join(e2e, "screenshots")
	}
	const ak, sk = "console-root", "console-secret-123"
	// A restricted user, made in the identity store the server opens: it
	// may browse bucket evidence and set legal holds ON, never OFF.
	data := filepath.Join(t.TempDir(), "data")
	require.NoError(t, os.MkdirAll(data, 0o700))
	ids, err := identity.Open(vfs.Default, filepath.Join(data, "identities.json"), identity.Credentials{AccessKey: ak, SecretKey: sk})
	require.NoError(t, err)
	require.NoError(t, ids.CreateUser("clerk"))
	clerk, err := ids.CreateAccessKey("clerk")
	require.NoError(t, err)
	require.NoError(t, ids.PutUserPolicy("clerk", "hold-on-only", []byte(`{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Action":["s3:ListBucket","s3:ListBucketVersions","s3:GetObject","s3:GetObjectVersion"],"Resource":["arn:aws:s3:::evidence","arn:aws:s3:::evidence/*"]},
 {"Effect":"Allow","Action":"s3:PutObjectLegalHold","Resource":"arn:aws:s3:::evidence/*","Condition":{"StringEquals":{"s3:object-lock-legal-hold":"ON"}}}]}`)))
	base := startConsoleServerIn(t, data, ak, sk)

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "console.e2e.mjs")
	cmd.Dir = e2e
	cmd.Env = append(os.Environ(),
		"CONSOLE_URL="+base, "ACCESS_KEY="+ak, "SECRET_KEY="+sk,
		"USER_ACCESS_KEY="+clerk.AccessKey, "USER_SECRET_KEY="+clerk.SecretKey,
		"CHROMIUM="+chromium, "USER_DATA_DIR="+t.TempDir(), "SCREENSHOT_DIR="+shots,
	)
	out, err := cmd.CombinedOutput()
	t.Logf("screenshots in %s", shots)
	require.NoError(t, err, "%s", out)
	require.Contains(t, string(out), "console e2e OK", "%s", out)
}
