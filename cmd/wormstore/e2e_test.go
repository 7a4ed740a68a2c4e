package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// requireTool finds an external client for the end-to-end tests. Locally a
// missing tool skips the test; under .ci/run (WORMSTORE_E2E_REQUIRED=1),
// which installs the tools, it fails.
func requireTool(t *testing.T, path string) string {
	t.Helper()
	p, err := exec.LookPath(path)
	if err != nil {
		if os.Getenv("WORMSTORE_E2E_REQUIRED") == "1" {
			t.Fatalf("%s not found; .ci/run installs it", path)
		}
		t.Skipf("%s not installed", path)
	}
	return p
}

// devServer starts a --dev server and returns the environment a client
// needs.
func devServer(t *testing.T) []string {
	dir := filepath.Join(t.TempDir(), "data")
	addr, _, _ := startServer(t, "--dev", "--data", dir)
	rootAK, rootSK := devCredentials(t, dir)
	env := []string{}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	return append(env,
		"AWS_ENDPOINT_URL=http://"+addr,
		"AWS_ACCESS_KEY_ID="+rootAK,
		"AWS_SECRET_ACCESS_KEY="+rootSK,
		"AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE=/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE=/dev/null",
	)
}

// TestAWSCLIWalkthrough runs testdata/aws-walkthrough.sh with every aws CLI
// found: the one on PATH (a current botocore, CRC32 checksums) and Debian's
// /usr/bin/aws (the legacy Content-MD5 path), when installed.
func TestAWSCLIWalkthrough(t *testing.T) {
	clis := []string{requireTool(t, "aws")}
	if p, err := exec.LookPath("/usr/bin/aws"); err == nil && p != clis[0] {
		clis = append(clis, p)
	}
	env := devServer(t)
	for i, cli := range clis {
		cmd := exec.Command("bash", "testdata/aws-walkthrough.sh")
		cmd.Env = append(env, "AWS="+cli, "BUCKET=walkthrough-"+string(rune('a'+i)))
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s:\n%s", cli, out)
		require.Contains(t, string(out), "walkthrough OK")
	}
}

// TestNodeSDK runs testdata/node/walkthrough.mjs with @aws-sdk/client-s3
// (installed by .ci/run with npm).
func TestNodeSDK(t *testing.T) {
	node := requireTool(t, "node")
	if _, err := os.Stat("testdata/node/node_modules/@aws-sdk/client-s3"); err != nil {
		if os.Getenv("WORMSTORE_E2E_REQUIRED") == "1" {
			t.Fatal("@aws-sdk/client-s3 not installed in testdata/node; .ci/run installs it")
		}
		t.Skip("run `npm install` in cmd/wormstore/testdata/node")
	}
	cmd := exec.Command(node, "walkthrough.mjs")
	cmd.Dir = "testdata/node"
	cmd.Env = devServer(t)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Contains(t, string(out), "node sdk walkthrough OK")
}
