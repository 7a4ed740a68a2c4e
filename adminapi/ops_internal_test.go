package adminapi

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/wormstore/wormstore/s3api/sigv4"
)

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

// TestOpTable checks the operation table's invariants: one row per
// (method, route), every row routed to a handler, actions derived from the
// route, every mutating operation audited with an intent entry, and every
// method but GET on record.
func TestOpTable(t *testing.T) {
	api := New(Config{Region: "us-east-1", Root: sigv4.StaticCredentials{"AK": "secret-key"}})
	seen := map[string]bool{}
	names := map[string]bool{}
	n := 0
	for _, op := range Ops() {
		key := op.Method + " " + op.Route
		require.False(t, seen[key], "duplicate row %s", key)
		seen[key] = true
		require.False(t, names[op.Name], "duplicate name %s", op.Name)
		names[op.Name] = true
		require.True(t, strings.HasPrefix(op.Name, "Admin"), op.Name)
		require.Equal(t, "admin:"+op.Method+"/"+op.Route, op.Action)
		if op.Mutating {
			require.True(t, op.Audited, "%s mutates but is not audited", op.Name)
		}
		if op.Method != http.MethodGet {
			require.True(t, op.Audited, "%s %s is not audited", op.Method, op.Name)
		}
		row := api.routes[op.Route][op.Method]
		require.NotNil(t, row, key)
		require.Equal(t, op, row.Op)
		n++
	}
	total := 0
	for _, methods := range api.routes {
		total += len(methods)
	}
	require.Equal(t, n, total, "every route is a row of the table")
	for _, name := range []string{"AdminAttachUserPolicy", "AdminDetachUserPolicy", "AdminCreateUser", "AdminDeleteUser",
		"AdminCreateAccessKey", "AdminDeleteAccessKey", "AdminDisableAccessKey", "AdminEnableAccessKey", "AdminCompact"} {
		require.True(t, names[name], name)
	}
}

func TestAuditDetailFormat(t *testing.T) {
	tests := []struct {
		k, v, want string
	}{
		{"user", "alice", "user=alice"},
		{"user", "", `user=""`},
		{"doc", `{"a": 1}`, `doc="{\"a\": 1}"`},
		{"q", "a=b", `q="a=b"`},
		{"x", "é", `x="é"`},
	}
	for _, tc := range tests {
		if got := kv(tc.k, tc.v); got != tc.want {
			t.Errorf("kv(%q, %q): got %s, want %s", tc.k, tc.v, got, tc.want)
		}
	}
	long := strings.Repeat("é", 200) // 400 bytes
	got := truncate(long, maxAuditField)
	require.LessOrEqual(t, len(got), maxAuditField+len("…"))
	require.True(t, strings.HasSuffix(got, "…"))
	require.Equal(t, "AK", claimedAccessKey(&http.Request{Header: http.Header{"Authorization": {"AWS4-HMAC-SHA256 Credential=AK/20260101/us-east-1/wormstore-admin/aws4_request, SignedHeaders=host"}}, URL: mustURL(t, "/admin/v1/stats")}))
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	require.NoError(t, err)
	return u
}
