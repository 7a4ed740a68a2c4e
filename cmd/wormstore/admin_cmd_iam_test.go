package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/wormstore/wormstore/adminapi/adminapitest"
)

func TestAdminCLIUsers(t *testing.T) {
	clearAdminEnv(t)
	at := newAdminTest(t, nil)
	at.api.AttachIdentities(adminapitest.NewFakeIAM())
	base := []string{"--admin-endpoint", at.srv.URL, "--access-key", testAdminAK, "--secret-key", testAdminSK}
	run := func(args ...string) string {
		t.Helper()
		out, errOut, err := runAdmin(t, append(base, args...)...)
		require.NoError(t, err, "%s%s", out, errOut)
		return out
	}
	require.Equal(t, "No users.\n", run("user", "list"))
	require.Contains(t, run("user", "add", "uploader"), "User uploader created")
	out := run("user", "key", "add", "uploader")
	require.Equal(t, "Access key: AK1\nSecret key: secret1\nStore the secret key now: it is not shown again.\n", out)
	out = run("user", "key", "rotate", "uploader", "AK1")
	require.Contains(t, out, "Access key: AK2\nSecret key: secret2\n")
	require.Contains(t, out, "Access key AK1 disabled")
	_, _, err := runAdmin(t, append(base, "user", "key", "rotate", "uploader", "NOPE")...)
	require.ErrorContains(t, err, "no access key NOPE")

	file := filepath.Join(t.TempDir(), "p.json")
	require.NoError(t, os.WriteFile(file, []byte(`{"Statement":[]}`), 0o600))
	require.Equal(t, "Policy p attached to uploader.\n", run("policy", "attach", "uploader", "p", "--file", file))
	require.NoError(t, os.WriteFile(file, []byte(`{`), 0o600))
	_, _, err = runAdmin(t, append(base, "policy", "attach", "uploader", "bad", "--file", file)...)
	require.ErrorContains(t, err, "MalformedPolicy")
	require.JSONEq(t, `{"Statement":[]}`, run("policy", "show", "uploader", "p"))

	out = run("user", "info", "uploader")
	require.Regexp(t, `(?m)^Policies: +p$`, out)
	require.Regexp(t, `(?m)^Access keys: +2 \(1 active\)$`, out)
	require.Regexp(t, `(?m)^  AK1 +disabled`, out)
	require.Regexp(t, `(?m)^  AK2 +active`, out)
	require.Regexp(t, `(?m)^uploader +2 \(1 active\) +p$`, run("user", "list"))

	require.Contains(t, run("user", "key", "enable", "uploader", "AK1"), "enabled")
	require.Contains(t, run("user", "key", "disable", "uploader", "AK1"), "disabled")
	require.Contains(t, run("user", "key", "remove", "uploader", "AK1"), "removed")
	require.Contains(t, run("policy", "detach", "uploader", "p"), "detached")
	require.Contains(t, run("user", "remove", "uploader"), "removed")
	_, _, err = runAdmin(t, append(base, "user", "info", "uploader")...)
	require.ErrorContains(t, err, "NoSuchUser")
}
