package s3api_test

import (
	"bytes"
	"encoding/json"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// awsCLI runs the aws command line against the test server over HTTPS
// with its self-signed certificate as the CA bundle and no user config.
type awsCLI struct {
	t   *testing.T
	env []string
	url string
}

func newAWSCLI(t *testing.T, e *testEnv) *awsCLI {
	t.Helper()
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("aws CLI not installed")
	}
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	require.NoError(t, os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: e.srv.Certificate().Raw}), 0o600))
	env := []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + dir,
		"AWS_ACCESS_KEY_ID=" + testAccessKey, "AWS_SECRET_ACCESS_KEY=" + testSecret, "AWS_DEFAULT_REGION=" + testRegion,
		"AWS_CA_BUNDLE=" + ca, "AWS_CONFIG_FILE=" + filepath.Join(dir, "config"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(dir, "credentials"),
		"AWS_MAX_ATTEMPTS=1", "AWS_PAGER=",
	}
	for _, k := range []string{"PYENV_ROOT", "PYENV_VERSION", "LANG"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return &awsCLI{t: t, env: env, url: e.srv.URL}
}

// run runs "aws <args> --endpoint-url …" and returns stdout, stderr and
// whether it succeeded.
func (a *awsCLI) run(args ...string) (string, string, bool) {
	a.t.Helper()
	cmd := exec.Command("aws", append(args, "--endpoint-url", a.url, "--output", "json")...)
	cmd.Env = a.env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return out.String(), errb.String(), err == nil
}

func (a *awsCLI) mustRun(args ...string) map[string]any {
	a.t.Helper()
	out, stderr, ok := a.run(args...)
	require.True(a.t, ok, "aws %s: %s", strings.Join(args, " "), stderr)
	m := map[string]any{}
	if strings.TrimSpace(out) != "" {
		require.NoError(a.t, json.Unmarshal([]byte(out), &m), "aws %s: %s", strings.Join(args, " "), out)
	}
	return m
}

// TestAWSCLIWalkthrough is the Object Lock walkthrough users follow, with
// the aws CLI over HTTPS (current botocore streams uploads with a trailing
// CRC32), plus a multipart "aws s3 cp" above the 8 MiB threshold.
func TestAWSCLIWalkthrough(t *testing.T) {
	e := newEnv(t, envOptions{tls: true})
	cli := newAWSCLI(t, e)
	dir := t.TempDir()
	small := filepath.Join(dir, "report.txt")
	require.NoError(t, os.WriteFile(small, []byte("immutable report\n"), 0o600))

	cli.mustRun("s3api", "create-bucket", "--bucket", "cli-vault", "--object-lock-enabled-for-bucket")
	cli.mustRun("s3api", "put-object-lock-configuration", "--bucket", "cli-vault", "--object-lock-configuration",
		`{"ObjectLockEnabled":"Enabled","Rule":{"DefaultRetention":{"Mode":"COMPLIANCE","Days":30}}}`)
	put := cli.mustRun("s3api", "put-object", "--bucket", "cli-vault", "--key", "report.txt", "--body", small)
	vid, _ := put["VersionId"].(string)
	require.NotEmpty(t, vid)
	until := time.Now().AddDate(0, 0, 45).UTC().Format(time.RFC3339)
	cli.mustRun("s3api", "put-object-retention", "--bucket", "cli-vault", "--key", "report.txt", "--version-id", vid,
		"--retention", `{"Mode":"COMPLIANCE","RetainUntilDate":"`+until+`"}`)
	cli.mustRun("s3api", "put-object-legal-hold", "--bucket", "cli-vault", "--key", "report.txt", "--version-id", vid, "--legal-hold", "Status=ON")
	ret := cli.mustRun("s3api", "get-object-retention", "--bucket", "cli-vault", "--key", "report.txt", "--version-id", vid)
	require.Equal(t, "COMPLIANCE", ret["Retention"].(map[string]any)["Mode"])

	lv := cli.mustRun("s3api", "list-object-versions", "--bucket", "cli-vault")
	require.Len(t, lv["Versions"], 1)

	_, stderr, ok := cli.run("s3api", "delete-object", "--bucket", "cli-vault", "--key", "report.txt", "--version-id", vid)
	require.False(t, ok, "deleting a locked version must fail")
	require.Contains(t, stderr, "AccessDenied")

	_, stderr, ok = cli.run("s3", "rm", "s3://cli-vault/report.txt")
	require.True(t, ok, stderr)
	lv = cli.mustRun("s3api", "list-object-versions", "--bucket", "cli-vault")
	require.Len(t, lv["Versions"], 1, "the version is kept")
	require.Len(t, lv["DeleteMarkers"], 1)
	require.Equal(t, vid, lv["Versions"].([]any)[0].(map[string]any)["VersionId"])

	// Multipart upload and ranged download with the high-level commands.
	big := filepath.Join(dir, "big.bin")
	data := testData(21, 9<<20)
	require.NoError(t, os.WriteFile(big, data, 0o600))
	_, stderr, ok = cli.run("s3", "cp", big, "s3://cli-vault/big.bin")
	require.True(t, ok, stderr)
	head := cli.mustRun("s3api", "head-object", "--bucket", "cli-vault", "--key", "big.bin")
	require.Contains(t, head["ETag"], "-2", "uploaded in two 8 MiB parts")
	back := filepath.Join(dir, "back.bin")
	_, stderr, ok = cli.run("s3", "cp", "s3://cli-vault/big.bin", back)
	require.True(t, ok, stderr)
	got, err := os.ReadFile(back)
	require.NoError(t, err)
	require.True(t, bytes.Equal(data, got))
	out, _, ok := cli.run("s3", "ls", "s3://cli-vault/")
	require.True(t, ok)
	require.Contains(t, out, "big.bin")

	require.Positive(t, e.sawPayload("STREAMING-UNSIGNED-PAYLOAD-TRAILER"), "botocore streams with trailers over HTTPS")
}

// TestAWSCLIArchiveExtras: with the aws CLI, "aws s3 rb --force" after an
// interrupted upload, get-object-attributes, and user metadata shown as
// written (lower case).
func TestAWSCLIArchiveExtras(t *testing.T) {
	e := newEnv(t, envOptions{tls: true})
	cli := newAWSCLI(t, e)
	dir := t.TempDir()
	f := filepath.Join(dir, "f.txt")
	require.NoError(t, os.WriteFile(f, []byte("attributes\n"), 0o600))

	cli.mustRun("s3api", "create-bucket", "--bucket", "cli-extras")
	cli.mustRun("s3api", "put-object", "--bucket", "cli-extras", "--key", "f.txt", "--body", f, "--metadata", "foo=bar")
	head := cli.mustRun("s3api", "head-object", "--bucket", "cli-extras", "--key", "f.txt")
	require.Equal(t, map[string]any{"foo": "bar"}, head["Metadata"])
	attrs := cli.mustRun("s3api", "get-object-attributes", "--bucket", "cli-extras", "--key", "f.txt",
		"--object-attributes", "ETag", "ObjectSize", "StorageClass")
	require.Equal(t, float64(len("attributes\n")), attrs["ObjectSize"])
	require.Equal(t, "STANDARD", attrs["StorageClass"])
	require.Equal(t, strings.Trim(head["ETag"].(string), `"`), attrs["ETag"])

	// An interrupted upload no longer blocks "aws s3 rb --force".
	cli.mustRun("s3api", "create-multipart-upload", "--bucket", "cli-extras", "--key", "interrupted")
	_, stderr, ok := cli.run("s3", "rb", "s3://cli-extras", "--force")
	require.True(t, ok, stderr)
	_, _, ok = cli.run("s3api", "head-bucket", "--bucket", "cli-extras")
	require.False(t, ok, "the bucket is gone")
}
