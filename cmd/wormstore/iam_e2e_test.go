package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

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
	ts := startTestServer(t, "--dev", "--data", dir)
	addr, admin := ts.addr, ts.admin

	base := []string{"--admin-endpoint", "http://" + admin, "--data", dir}
	rootAK, rootSK := devCredentials(t, dir)

	awsEnv := []string{}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			awsEnv = append(awsEnv, kv)
		}
	}
	awsEnv = append(awsEnv, "AWS="+awsBin, "AWS_ENDPOINT_URL=http://"+addr, "AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null",
		"ROOT_AK="+rootAK, "ROOT_SK="+rootSK)

	// 1. Root creates the bucket with Object Lock and the user.
	mk := exec.Command(awsBin, "--endpoint-url", "http://"+addr, "s3api", "create-bucket", "--bucket", "archive", "--object-lock-enabled-for-bucket")
	mk.Env = append(awsEnv, "AWS_ACCESS_KEY_ID="+rootAK, "AWS_SECRET_ACCESS_KEY="+rootSK)
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
