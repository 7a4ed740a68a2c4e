package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// fakeIAM is an in-memory iamBackend for the handler tests.
type fakeIAM struct {
	mu    sync.Mutex
	users map[string]*apiUser
	docs  map[string][]byte // user + "/" + policy
	n     int
}

func newFakeIAM() *fakeIAM {
	return &fakeIAM{users: map[string]*apiUser{}, docs: map[string][]byte{}}
}

func fakeNoUser(name string) error {
	return &adminError{http.StatusNotFound, "NoSuchUser", fmt.Sprintf("no user %q", name)}
}

func (f *fakeIAM) ListUsers(ctx context.Context) ([]apiUser, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []apiUser
	for _, u := range f.users {
		out = append(out, *u)
	}
	slices.SortFunc(out, func(a, b apiUser) int { return cmpString(a.Name, b.Name) })
	return out, nil
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (f *fakeIAM) CreateUser(ctx context.Context, name string) (apiUser, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.users[name]; ok {
		return apiUser{}, &adminError{http.StatusConflict, "UserAlreadyExists", "exists"}
	}
	f.users[name] = &apiUser{Name: name, Created: time.Unix(1700000000, 0).UTC()}
	return *f.users[name], nil
}

func (f *fakeIAM) GetUser(ctx context.Context, name string) (apiUser, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	u, ok := f.users[name]
	if !ok {
		return apiUser{}, fakeNoUser(name)
	}
	c := *u
	c.Keys = slices.Clone(u.Keys)
	return c, nil
}

func (f *fakeIAM) DeleteUser(ctx context.Context, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.users[name]; !ok {
		return fakeNoUser(name)
	}
	delete(f.users, name)
	return nil
}

func (f *fakeIAM) CreateAccessKey(ctx context.Context, user string) (apiAccessKey, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	u, ok := f.users[user]
	if !ok {
		return apiAccessKey{}, fakeNoUser(user)
	}
	f.n++
	k := apiAccessKey{AccessKey: fmt.Sprintf("AK%d", f.n), Active: true}
	u.Keys = append(u.Keys, k)
	k.SecretKey = fmt.Sprintf("secret%d", f.n)
	return k, nil
}

func (f *fakeIAM) key(user, ak string) (*apiAccessKey, error) {
	u, ok := f.users[user]
	if !ok {
		return nil, fakeNoUser(user)
	}
	for i := range u.Keys {
		if u.Keys[i].AccessKey == ak {
			return &u.Keys[i], nil
		}
	}
	return nil, &adminError{http.StatusNotFound, "NoSuchAccessKey", "no key"}
}

func (f *fakeIAM) SetAccessKeyStatus(ctx context.Context, user, ak string, active bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	k, err := f.key(user, ak)
	if err != nil {
		return err
	}
	k.Active = active
	return nil
}

func (f *fakeIAM) DeleteAccessKey(ctx context.Context, user, ak string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, err := f.key(user, ak); err != nil {
		return err
	}
	u := f.users[user]
	u.Keys = slices.DeleteFunc(u.Keys, func(k apiAccessKey) bool { return k.AccessKey == ak })
	return nil
}

func (f *fakeIAM) PutUserPolicy(ctx context.Context, user, name string, doc []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	u, ok := f.users[user]
	if !ok {
		return fakeNoUser(user)
	}
	if !json.Valid(doc) {
		return &adminError{http.StatusBadRequest, "MalformedPolicy", "policy is not JSON"}
	}
	if !slices.Contains(u.Policies, name) {
		u.Policies = append(u.Policies, name)
	}
	f.docs[user+"/"+name] = doc
	return nil
}

func (f *fakeIAM) GetUserPolicy(ctx context.Context, user, name string) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	d, ok := f.docs[user+"/"+name]
	if !ok {
		return nil, &adminError{http.StatusNotFound, "NoSuchPolicy", "no policy"}
	}
	return d, nil
}

func (f *fakeIAM) DeleteUserPolicy(ctx context.Context, user, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.docs[user+"/"+name]; !ok {
		return &adminError{http.StatusNotFound, "NoSuchPolicy", "no policy"}
	}
	delete(f.docs, user+"/"+name)
	u := f.users[user]
	u.Policies = slices.DeleteFunc(u.Policies, func(s string) bool { return s == name })
	return nil
}

// callBody sends a signed request with a body.
func (at *adminTest) callBody(t *testing.T, method, path string, body []byte, signedHash string) (int, []byte) {
	t.Helper()
	u := at.c.base.JoinPath(path)
	req, err := http.NewRequest(method, u.String(), bytes.NewReader(body))
	require.NoError(t, err)
	if signedHash == "" {
		sum := sha256.Sum256(body)
		signedHash = hex.EncodeToString(sum[:])
	}
	req.Header.Set("X-Amz-Content-Sha256", signedHash)
	require.NoError(t, at.c.signer.SignHTTP(context.Background(), at.c.creds, req, signedHash, adminService, "us-east-1", time.Now()))
	st, _, b := doRaw(t, req)
	return st, b
}

func TestIAMRouteKey(t *testing.T) {
	tests := []struct {
		path string
		key  string
		vals map[string]string
		ok   bool
	}{
		{"/admin/v1/users/alice", "users/{user}", map[string]string{"user": "alice"}, true},
		{"/admin/v1/users/alice/keys", "users/{user}/keys", map[string]string{"user": "alice"}, true},
		{"/admin/v1/users/alice/keys/AK1", "users/{user}/keys/{key}", map[string]string{"user": "alice", "key": "AK1"}, true},
		{"/admin/v1/users/alice/keys/AK1/disable", "users/{user}/keys/{key}/disable", map[string]string{"user": "alice", "key": "AK1"}, true},
		{"/admin/v1/users/alice/policies/p", "users/{user}/policies/{policy}", map[string]string{"user": "alice", "policy": "p"}, true},
		{"/admin/v1/users", "", nil, false},
		{"/admin/v1/users/", "", nil, false},
		{"/admin/v1/users/a//keys", "", nil, false},
		{"/admin/v1/users/a/x/y/z/w", "", nil, false},
	}
	for _, tc := range tests {
		key, vals, ok := iamRouteKey(tc.path)
		require.Equal(t, tc.ok, ok, tc.path)
		require.Equal(t, tc.key, key, tc.path)
		require.Equal(t, tc.vals, vals, tc.path)
	}
}

func TestAdminAPIUsers(t *testing.T) {
	at := newAdminTest(t, nil)

	// No identity store yet.
	st, _, b := at.call(t, http.MethodGet, "users", nil)
	require.Equal(t, http.StatusServiceUnavailable, st, "%s", b)
	require.Equal(t, "NotReady", decodeAPIError(t, b).Code)

	at.api.attachIdentities(newFakeIAM())
	st, _, b = at.call(t, http.MethodGet, "users", nil)
	require.Equal(t, http.StatusOK, st, "%s", b)
	require.JSONEq(t, `{"users": []}`, string(b))

	st, _, b = at.call(t, http.MethodPut, "users/alice", nil)
	require.Equal(t, http.StatusOK, st, "%s", b)
	st, _, b = at.call(t, http.MethodPut, "users/alice", nil)
	require.Equal(t, http.StatusConflict, st, "%s", b)

	st, _, b = at.call(t, http.MethodPost, "users/alice/keys", nil)
	require.Equal(t, http.StatusOK, st, "%s", b)
	var k apiAccessKey
	require.NoError(t, json.Unmarshal(b, &k))
	require.Equal(t, apiAccessKey{AccessKey: "AK1", SecretKey: "secret1", Active: true}, k)

	st, _, b = at.call(t, http.MethodPost, "users/alice/keys/AK1/disable", nil)
	require.Equal(t, http.StatusOK, st, "%s", b)
	st, _, b = at.call(t, http.MethodGet, "users/alice/keys", nil)
	require.Equal(t, http.StatusOK, st, "%s", b)
	require.JSONEq(t, `{"keys": [{"access_key": "AK1", "active": false}]}`, string(b))
	st, _, b = at.call(t, http.MethodPost, "users/alice/keys/AK1/enable", nil)
	require.Equal(t, http.StatusOK, st, "%s", b)
	st, _, b = at.call(t, http.MethodPost, "users/alice/keys/NOPE/enable", nil)
	require.Equal(t, http.StatusNotFound, st, "%s", b)

	doc := []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`)
	st, b = at.callBody(t, http.MethodPut, "users/alice/policies/all", doc, "")
	require.Equal(t, http.StatusOK, st, "%s", b)
	st, _, b = at.call(t, http.MethodGet, "users/alice/policies/all", nil)
	require.Equal(t, http.StatusOK, st, "%s", b)
	require.JSONEq(t, string(doc), string(b))
	st, _, b = at.call(t, http.MethodGet, "users/alice/policies", nil)
	require.Equal(t, http.StatusOK, st, "%s", b)
	require.JSONEq(t, `{"policies": ["all"]}`, string(b))

	st, b = at.callBody(t, http.MethodPut, "users/alice/policies/bad", []byte(`{`), "")
	require.Equal(t, http.StatusBadRequest, st, "%s", b)
	require.Equal(t, "MalformedPolicy", decodeAPIError(t, b).Code)
	// The body must be signed…
	st, b = at.callBody(t, http.MethodPut, "users/alice/policies/x", doc, "UNSIGNED-PAYLOAD")
	require.Equal(t, http.StatusBadRequest, st, "%s", b)
	require.Equal(t, "InvalidRequest", decodeAPIError(t, b).Code)
	// …and match its signed hash.
	sum := sha256.Sum256([]byte("other"))
	st, b = at.callBody(t, http.MethodPut, "users/alice/policies/x", doc, hex.EncodeToString(sum[:]))
	require.Equal(t, http.StatusBadRequest, st, "%s", b)
	require.Equal(t, "XAmzContentSHA256Mismatch", decodeAPIError(t, b).Code)
	st, _, b = at.call(t, http.MethodGet, "users/alice/policies/x", nil)
	require.Equal(t, http.StatusNotFound, st, "%s", b)

	st, _, b = at.call(t, http.MethodGet, "users/alice", nil)
	require.Equal(t, http.StatusOK, st, "%s", b)
	var u apiUser
	require.NoError(t, json.Unmarshal(b, &u))
	require.Equal(t, []string{"all"}, u.Policies)
	require.Len(t, u.Keys, 1)
	require.Empty(t, u.Keys[0].SecretKey)

	st, _, b = at.call(t, http.MethodDelete, "users/alice/policies/all", nil)
	require.Equal(t, http.StatusOK, st, "%s", b)
	st, _, b = at.call(t, http.MethodDelete, "users/alice/keys/AK1", nil)
	require.Equal(t, http.StatusOK, st, "%s", b)
	st, _, b = at.call(t, http.MethodDelete, "users/alice", nil)
	require.Equal(t, http.StatusOK, st, "%s", b)
	st, _, b = at.call(t, http.MethodGet, "users/alice", nil)
	require.Equal(t, http.StatusNotFound, st, "%s", b)
	st, _, b = at.call(t, http.MethodPost, "users/alice", nil)
	require.Equal(t, http.StatusMethodNotAllowed, st, "%s", b)
}

func TestAdminCLIUsers(t *testing.T) {
	clearAdminEnv(t)
	at := newAdminTest(t, nil)
	at.api.attachIdentities(newFakeIAM())
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
