package main

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/require"
)

// TestAdminCLIAuditEndToEnd runs `wormstore server --dev`, makes S3
// requests and reads them back with `admin audit tail` and `verify`.
func TestAdminCLIAuditEndToEnd(t *testing.T) {
	clearAdminEnv(t)
	dir := filepath.Join(t.TempDir(), "data")
	ctx, cancel := context.WithCancel(context.Background())
	ready, adminc := make(chan string, 1), make(chan string, 1)
	env := &runEnv{ctx: ctx, stdout: io.Discard, stderr: io.Discard,
		ready: func(a string) { ready <- a }, adminReady: func(a string) { adminc <- a }}
	errc := make(chan error, 1)
	go func() {
		errc <- runWith(env, []string{"server", "--dev", "--data", dir, "--address", "127.0.0.1:0", "--admin-address", "127.0.0.1:0", "--console-address", ""})
	}()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-errc)
	})
	var addr, admin string
	for addr == "" {
		select {
		case admin = <-adminc:
		case addr = <-ready:
		case err := <-errc:
			t.Fatalf("server exited: %v", err)
		case <-time.After(30 * time.Second):
			t.Fatal("server not ready")
		}
	}
	base := []string{"--admin-endpoint", "http://" + admin, "--data", dir}
	var dc struct{ AccessKey, SecretKey string }
	b, err := os.ReadFile(filepath.Join(dir, "dev-credentials.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &dc))
	c := client(addr, dc.AccessKey, dc.SecretKey)
	_, err = c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("archive"), ObjectLockEnabledForBucket: aws.Bool(true)})
	require.NoError(t, err)
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("archive"), Key: aws.String("k"), Body: strings.NewReader("x")})
	require.NoError(t, err)

	out, errOut, err := runAdmin(t, append(base, "audit", "tail")...)
	require.NoError(t, err, "%s%s", out, errOut)
	es := decodeAuditLines(t, []byte(out))
	require.NotEmpty(t, es)
	last := es[len(es)-1]
	require.Equal(t, "archive", last.Bucket)
	require.Equal(t, "k", last.Key)

	out, errOut, err = runAdmin(t, append(base, "audit", "verify")...)
	require.NoError(t, err, "%s%s", out, errOut)
	require.Regexp(t, `^audit chain OK: \d+ entries, head `+last.Hash+`\n$`, out)
}
