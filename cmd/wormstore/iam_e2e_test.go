package main

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const (
	uploaderPolicy = `{"Version":"2012-10-17","Statement":[
  {"Effect":"Allow","Action":"s3:*","Resource":["arn:aws:s3:::archive","arn:aws:s3:::archive/*"]},
  {"Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"*"}]}`
	denyHoldOffPolicy = `{"Version":"2012-10-17","Statement":[
  {"Sid":"OnlyHoldOn","Effect":"Deny","Action":"s3:PutObjectLegalHold","Resource":"*",
   "Condition":{"StringNotEquals":{"s3:object-lock-legal-hold":"ON"}}}]}`
)

// TestIAMScenarioAWSCLI runs the IAM issue's scenario end to end: root
// creates a lock bucket; `wormstore admin` creates the user, its key and
// its policies; the aws CLI then acts as the user and as root
// (testdata/iam-scenario.sh); the audit chain verifies at the end.
func TestIAMScenarioAWSCLI(t *testing.T) {
	awsBin := requireTool(t, "aws")
	clearAdminEnv(t)
	dir := filepath.Join(t.TempDir(), "data")
	ctx, cancel := context.WithCancel(context.Background())
	ready, adminc := make(chan string, 1), make(chan string, 1)
	env := &runEnv{ctx: ctx, stdout: io.Discard, stderr: io.Discard,
		ready: func(a string) { ready <- a }, adminReady: func(a string) { adminc <- a }}
	errc := make(chan error, 1)
	go func() {
		errc <- runWith(env, []string{"server", "--dev", "--data", dir, "--address", "127.0.0.1:0", "--admin-address", "127.0.0.1:0"})
	}()
	defer func() {
		cancel()
		require.NoError(t, <-errc)
	}()
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
	var root struct{ AccessKey, SecretKey string }
	b, err := os.ReadFile(filepath.Join(dir, "dev-credentials.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &root))

	awsEnv := []string{}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			awsEnv = append(awsEnv, kv)
		}
	}
	awsEnv = append(awsEnv, "AWS="+awsBin, "AWS_ENDPOINT_URL=http://"+addr, "AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null",
		"ROOT_AK="+root.AccessKey, "ROOT_SK="+root.SecretKey)

	// 1. Root creates the bucket with Object Lock and the user.
	mk := exec.Command(awsBin, "--endpoint-url", "http://"+addr, "s3api", "create-bucket", "--bucket", "archive", "--object-lock-enabled-for-bucket")
	mk.Env = append(awsEnv, "AWS_ACCESS_KEY_ID="+root.AccessKey, "AWS_SECRET_ACCESS_KEY="+root.SecretKey)
	out, err := mk.CombinedOutput()
	require.NoError(t, err, "%s", out)
	_, _, err = runAdmin(t, append(base, "user", "add", "uploader")...)
	require.NoError(t, err)
	keyOut, _, err := runAdmin(t, append(base, "--json", "user", "key", "add", "uploader")...)
	require.NoError(t, err)
	var key struct {
		AccessKey string `json:"access_key"`
		SecretKey string `json:"secret_key"`
	}
	require.NoError(t, json.Unmarshal([]byte(keyOut), &key), keyOut)
	require.NotEmpty(t, key.SecretKey)

	// 2. Root attaches the policies.
	pdir := t.TempDir()
	for name, doc := range map[string]string{"archive-rw": uploaderPolicy, "legal-hold-on-only": denyHoldOffPolicy} {
		f := filepath.Join(pdir, name+".json")
		require.NoError(t, os.WriteFile(f, []byte(doc), 0o600))
		_, stderr, err := runAdmin(t, append(base, "policy", "attach", "uploader", name, "--file", f)...)
		require.NoError(t, err, stderr)
	}
	bad := filepath.Join(pdir, "bad.json")
	require.NoError(t, os.WriteFile(bad, []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"allow","Action":"s3:*","Resource":"*"}]}`), 0o600))
	_, _, err = runAdmin(t, append(base, "policy", "attach", "uploader", "bad", "--file", bad)...)
	require.ErrorContains(t, err, "Effect must be Allow or Deny")

	// 3 and 4, with the aws CLI.
	sc := exec.Command("bash", "testdata/iam-scenario.sh")
	sc.Env = append(awsEnv, "UP_AK="+key.AccessKey, "UP_SK="+key.SecretKey)
	out, err = sc.CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Contains(t, string(out), "iam scenario OK")

	// Every step is in the audit stream, denied ones included, and the
	// chain verifies.
	tail, _, err := runAdmin(t, append(base, "audit", "tail", "-n", "200")...)
	require.NoError(t, err)
	require.Contains(t, tail, `"outcome":"denied"`)
	require.Contains(t, tail, "uploader")
	vout, _, err := runAdmin(t, append(base, "audit", "verify")...)
	require.NoError(t, err)
	require.Contains(t, vout, "audit chain OK")
}
