package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/alecthomas/kong"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/require"
	"github.com/wormstore/wormstore/adminapi"
	"github.com/wormstore/wormstore/engine"
)

// runAdmin runs `wormstore admin ARGS…` and returns its stdout, stderr and
// error.
func runAdmin(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := &runEnv{ctx: context.Background(), stdout: &out, stderr: &errOut}
	err = runWith(env, append([]string{"admin"}, args...))
	return out.String(), errOut.String(), err
}

// clearAdminEnv keeps the developer's environment out of the CLI tests.
func clearAdminEnv(t *testing.T) {
	for _, k := range []string{"WORMSTORE_ROOT_USER", "WORMSTORE_ROOT_PASSWORD", "WORMSTORE_ROOT_USER_FILE",
		"WORMSTORE_ROOT_PASSWORD_FILE", "WORMSTORE_ADMIN_ENDPOINT", "WORMSTORE_ADMIN_ADDRESS",
		"WORMSTORE_DATA", "WORMSTORE_REGION", "WORMSTORE_ADMIN_JSON", "WORMSTORE_COMPACT_RATE", "WORMSTORE_COMPACT_MIN_GARBAGE"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
}

// TestAdminCLIEndToEnd starts `wormstore server --dev`, stores objects over
// S3 and runs the admin commands against its admin listener.
func TestAdminCLIEndToEnd(t *testing.T) {
	clearAdminEnv(t)
	dir := filepath.Join(t.TempDir(), "data")
	ts := startTestServer(t, "--dev", "--data", dir)
	addr, admin := ts.addr, ts.admin
	ctx := context.Background()

	require.NotEmpty(t, admin)
	endpoint := "http://" + admin
	base := []string{"--admin-endpoint", endpoint, "--data", dir}

	rootAK, rootSK := devCredentials(t, dir)
	c := client(addr, rootAK, rootSK)
	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("archive"), ObjectLockEnabledForBucket: aws.Bool(true)})
	require.NoError(t, err)
	_, err = c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("scratch")})
	require.NoError(t, err)
	body := bytes.Repeat([]byte("0123456789abcdef"), 4096) // 64 KiB
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("archive"), Key: aws.String("kept"), Body: bytes.NewReader(body)})
	require.NoError(t, err)
	for i := range 4 {
		// Overwrites in an unversioned bucket leave garbage behind.
		data := make([]byte, 50_000)
		rand.NewChaCha8([32]byte{byte(i)}).Read(data)
		_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("scratch"), Key: aws.String("tmp"), Body: bytes.NewReader(data)})
		require.NoError(t, err)
	}

	out, _, err := runAdmin(t, append(base, "stats")...)
	require.NoError(t, err)
	require.Regexp(t, `(?m)^Buckets +2$`, out)
	require.Regexp(t, `(?m)^Versions +2 +\(0 locked, 0 delete markers\)$`, out)
	require.Regexp(t, `(?m)^  garbage +[0-9.]+ [KM]iB`, out)

	out, _, err = runAdmin(t, append(base, "bucket", "list")...)
	require.NoError(t, err)
	require.Regexp(t, `(?m)^NAME +CREATED +VERSIONING +OBJECT LOCK +DEFAULT RETENTION$`, out)
	require.Regexp(t, `(?m)^archive +\d{4}-\d\d-\d\dT[0-9:]+Z +Enabled +enabled +-$`, out)
	require.Regexp(t, `(?m)^scratch +\S+ +Off +disabled +-$`, out)

	out, _, err = runAdmin(t, append(base, "bucket", "info", "archive")...)
	require.NoError(t, err)
	require.Regexp(t, `(?m)^Object Lock: +enabled$`, out)

	out, _, err = runAdmin(t, append(base, "segments")...)
	require.NoError(t, err)
	require.Regexp(t, `(?m)^ID +STATE +SIZE +BLOCKS +RAW DATA$`, out)
	require.Regexp(t, `(?m)^[0-9a-f]{16} +active +`, out)

	out, stderr, err := runAdmin(t, append(base, "verify")...)
	require.NoError(t, err, "%s%s", out, stderr)
	require.Regexp(t, `^OK: checked 1 segment \(.+\), 2 versions, \d+ WAL records; no problems found.\n$`, out)
	require.Contains(t, stderr, "verify: 100%")

	out, _, err = runAdmin(t, append(base, "compact", "--rate", "1GiB")...)
	require.NoError(t, err)
	require.Regexp(t, `^Compaction done: 1 segment rewritten, 1 removed; [0-9.]+ KiB copied, [0-9.]+ KiB reclaimed.\n$`, out)

	out, _, err = runAdmin(t, append(base, "--json", "stats")...)
	require.NoError(t, err)
	var st adminapi.Stats
	require.NoError(t, json.Unmarshal([]byte(out), &st))
	require.Less(t, st.GarbageBytes, int64(8<<10), "garbage after compaction")
	require.Equal(t, int64(1), st.CompactedSegments)

	// The data survived compaction, and so did its consistency.
	got, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("archive"), Key: aws.String("kept")})
	require.NoError(t, err)
	data, _ := io.ReadAll(got.Body)
	require.Equal(t, body, data)
	out, _, err = runAdmin(t, append(base, "--json", "verify")...)
	require.NoError(t, err)
	var rep adminapi.VerifyReport
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	require.True(t, rep.OK)

	// Wrong credentials: a clear refusal.
	_, _, err = runAdmin(t, "--admin-endpoint", endpoint, "--access-key", rootAK, "--secret-key", "not-the-secret", "stats")
	require.ErrorContains(t, err, "refused the request")
	require.ErrorContains(t, err, "SignatureDoesNotMatch")
}

func TestAdminCLIOutput(t *testing.T) {
	clearAdminEnv(t)
	at := newAdminTest(t, nil)
	ctx := context.Background()
	require.NoError(t, at.eng.CreateBucket(ctx, "archive", engine.CreateBucketOptions{ObjectLock: true}))
	require.NoError(t, at.eng.SetObjectLockConfig(ctx, "archive", &engine.DefaultRetention{Mode: engine.ModeGovernance, Years: 7}))
	at.put(t, "archive", "a", 150_000, 1)
	t.Setenv("WORMSTORE_ROOT_USER", testAdminAK)
	t.Setenv("WORMSTORE_ROOT_PASSWORD", testAdminSK)
	t.Setenv("WORMSTORE_ADMIN_ENDPOINT", at.srv.URL)

	out, _, err := runAdmin(t, "bucket", "list")
	require.NoError(t, err)
	require.Regexp(t, `(?m)^archive +\S+ +Enabled +enabled +GOVERNANCE 7 years$`, out)

	out, _, err = runAdmin(t, "bucket", "info", "--json", "archive")
	require.NoError(t, err)
	require.JSONEq(t, fmt.Sprintf(`{"name":"archive","created":%q,"versioning":"Enabled","object_lock":true,
		"default_retention":{"mode":"GOVERNANCE","years":7}}`, regexp.MustCompile(`"created": "([^"]+)"`).FindStringSubmatch(out)[1]), out)

	_, _, err = runAdmin(t, "bucket", "info", "nope")
	require.ErrorContains(t, err, `no bucket "nope" (NoSuchBucket)`)

	out, _, err = runAdmin(t, "segments")
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, len(at.eng.Segments())+2, out)
	require.Regexp(t, fmt.Sprintf(`^total: %d segments +[0-9.]+ KiB +\d+ +[0-9.]+ KiB$`, len(lines)-2), lines[len(lines)-1])
	col := strings.Index(lines[0], "SIZE")
	for _, l := range lines[1:] {
		// Every row's size starts in the SIZE column.
		require.Regexp(t, `^ [0-9]`, l[col-1:], "aligned table:\n%s", out)
	}

	out, _, err = runAdmin(t, "compact")
	require.NoError(t, err)
	require.Equal(t, "Compaction done: no segment held enough garbage to rewrite.\n", out)

	_, _, err = runAdmin(t, "compact", "--rate", "fast")
	require.ErrorContains(t, err, `"fast" is not a size`)
}

func TestAdminCLIConnectionRefused(t *testing.T) {
	clearAdminEnv(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	endpoint := "http://" + ln.Addr().String()
	ln.Close()
	_, _, err = runAdmin(t, "--admin-endpoint", endpoint, "--access-key", "a", "--secret-key", "b", "stats")
	require.ErrorContains(t, err, "cannot reach the admin API at "+endpoint+": connection refused")
	require.ErrorContains(t, err, "is the server running? set --admin-endpoint")
}

func TestAdminCLICredentials(t *testing.T) {
	clearAdminEnv(t)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "ak"), []byte("FILEAK\n"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "sk"), []byte("FILESK\n"), 0o600))
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		file    string
		wantAK  string
		wantURL string
		wantErr string
	}{
		{name: "flags", args: []string{"--access-key", "AK", "--secret-key", "SK"}, wantAK: "AK"},
		{name: "server environment", env: map[string]string{"WORMSTORE_ROOT_USER": "ENVAK", "WORMSTORE_ROOT_PASSWORD": "SK"}, wantAK: "ENVAK"},
		{name: "dev credentials file", args: []string{"--data", dir}, file: `{"AccessKey":"DEVAK","SecretKey":"SK"}`, wantAK: "DEVAK"},
		{name: "keys win over the file", args: []string{"--data", dir, "--access-key", "AK", "--secret-key", "SK"}, file: `{"AccessKey":"DEVAK","SecretKey":"SK"}`, wantAK: "AK"},
		{name: "key files", env: map[string]string{"WORMSTORE_ROOT_USER_FILE": filepath.Join(dir, "ak"), "WORMSTORE_ROOT_PASSWORD_FILE": filepath.Join(dir, "sk")}, wantAK: "FILEAK"},
		{name: "none", wantErr: "no credentials: set WORMSTORE_ROOT_USER"},
		{name: "server's admin address", args: []string{"--access-key", "AK", "--secret-key", "SK"}, env: map[string]string{"WORMSTORE_ADMIN_ADDRESS": ":9101"}, wantAK: "AK", wantURL: "http://127.0.0.1:9101"},
		{name: "endpoint wins over address", args: []string{"--access-key", "AK", "--secret-key", "SK"},
			env: map[string]string{"WORMSTORE_ADMIN_ADDRESS": ":9101", "WORMSTORE_ADMIN_ENDPOINT": "https://admin.example:9443/"}, wantAK: "AK", wantURL: "https://admin.example:9443"},
		{name: "no file", args: []string{"--data", filepath.Join(dir, "missing")}, wantErr: "dev-credentials.json"},
		{name: "bad endpoint", args: []string{"--admin-endpoint", "ftp://x", "--access-key", "AK", "--secret-key", "SK"}, wantErr: "not an http(s) URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			os.Remove(filepath.Join(dir, "dev-credentials.json"))
			if tt.file != "" {
				require.NoError(t, os.WriteFile(filepath.Join(dir, "dev-credentials.json"), []byte(tt.file), 0o600))
			}
			var c cli
			var got *adminClient
			parser, err := newParserForTest(&c)
			require.NoError(t, err)
			_, err = parser.Parse(append(append([]string{"admin"}, tt.args...), "stats"))
			require.NoError(t, err)
			got, err = c.Admin.client()
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			if got.creds.AccessKeyID != tt.wantAK {
				t.Errorf("got access key %q, want %q", got.creds.AccessKeyID, tt.wantAK)
			}
			if tt.wantURL == "" {
				tt.wantURL = "http://127.0.0.1:9001"
			}
			if got.endpoint() != tt.wantURL {
				t.Errorf("got endpoint %q, want %q", got.endpoint(), tt.wantURL)
			}
		})
	}
}

func TestByteCountAndIECBytes(t *testing.T) {
	sizes := []struct {
		in      string
		want    int64
		wantErr bool
	}{
		{"0", 0, false},
		{"1048576", 1 << 20, false},
		{"64KiB", 64 << 10, false},
		{"50MiB", 50 << 20, false},
		{"1.5GiB", 3 << 29, false},
		{"50MB", 50_000_000, false},
		{"10 m", 10_000_000, false},
		{"fast", 0, true},
		{"-1", 0, true},
		{"5XB", 0, true},
	}
	for _, tt := range sizes {
		var b byteCount
		err := b.UnmarshalText([]byte(tt.in))
		if (err != nil) != tt.wantErr {
			t.Errorf("%q: got err %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if int64(b) != tt.want {
			t.Errorf("%q: got %d, want %d", tt.in, b, tt.want)
		}
	}
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 1536: "1.5 KiB", 5 << 30: "5.0 GiB", 3 << 50: "3.0 PiB"} {
		if got := iecBytes(n); got != want {
			t.Errorf("iecBytes(%d): got %q, want %q", n, got, want)
		}
	}
}

// newParserForTest builds the command line parser with runWith's
// environment handling.
func newParserForTest(c *cli) (*kong.Kong, error) {
	return kong.New(c, kong.Name("wormstore"), kong.DefaultEnvars("WORMSTORE"),
		kong.Exit(func(int) { panic("exit") }), kong.Writers(io.Discard, io.Discard))
}
