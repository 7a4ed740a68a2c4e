package adminapi_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/stretchr/testify/require"
	"github.com/wormstore/wormstore/adminapi"
	"github.com/wormstore/wormstore/engine"
	"github.com/wormstore/wormstore/gate"
	"github.com/wormstore/wormstore/identity"
	"github.com/wormstore/wormstore/s3api/sigv4"
)

// TestAdminAuthzEngineClock: a user's admin policy is judged through the
// gate, with aws:CurrentTime on the engine's clock (here years ahead of
// the machine's), as S3 and the console judge theirs.
func TestAdminAuthzEngineClock(t *testing.T) {
	engineNow := time.Date(2031, 6, 1, 12, 0, 0, 0, time.UTC)
	fs := vfs.NewMem()
	eng, err := engine.Open(context.Background(), engine.Options{FS: fs, Dir: "/data", CompactionInterval: -1,
		Clock: func() time.Time { return engineNow }})
	require.NoError(t, err)
	defer eng.Close()
	ids, err := identity.Open(fs, "/data/identities.json", identity.Credentials{AccessKey: testAdminAK, SecretKey: testAdminSK})
	require.NoError(t, err)
	g, err := gate.New(gate.Config{Engine: eng})
	require.NoError(t, err)
	api := adminapi.New(adminapi.Config{Region: "us-east-1", Root: sigv4.StaticCredentials{testAdminAK: testAdminSK}})
	api.AttachGate(g)
	defer api.Detach()
	api.AttachIdentityStore(ids)
	srv := httptest.NewServer(api)
	defer srv.Close()
	root := &adminTest{eng: eng, api: api, srv: srv, ak: testAdminAK, sk: testAdminSK}

	user := func(name, cond string) *adminTest {
		require.NoError(t, ids.CreateUser(name))
		k, err := ids.CreateAccessKey(name)
		require.NoError(t, err)
		require.NoError(t, ids.PutUserPolicy(name, "p", []byte(
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"admin:GET/*","Resource":"*","Condition":`+cond+`}]}`)))
		return root.as(k.AccessKey, k.SecretKey)
	}
	// Allowed only after 2030: the engine's clock says 2031.
	after := user("after", `{"DateGreaterThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}}`)
	st, _, b := after.call(t, "GET", "stats", nil)
	require.Equal(t, http.StatusOK, st, "judged on the engine's clock: %s", b)
	// Allowed only before 2030: refused, though the machine's clock is earlier.
	before := user("before", `{"DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}}`)
	st, _, b = before.call(t, "GET", "stats", nil)
	require.Equal(t, http.StatusForbidden, st, "%s", b)
	// aws:username is set for admin policies as before.
	named := user("named", `{"StringEquals":{"aws:username":"named"}}`)
	st, _, b = named.call(t, "GET", "stats", nil)
	require.Equal(t, http.StatusOK, st, "%s", b)
}

// TestAdminAnonymousDenialsBounded: unauthenticated refusals of the admin
// API go through the gate's anonymous limiter: the first burst per source
// is written one by one, the rest counted into one summary entry.
func TestAdminAnonymousDenialsBounded(t *testing.T) {
	at := newAdminTest(t, nil)
	g, err := gate.New(gate.Config{Engine: at.eng, AnonymousBurst: 2, AnonymousInterval: time.Hour})
	require.NoError(t, err)
	at.api.AttachGate(g)
	before := at.eng.AuditLastSeq()
	for range 7 {
		resp, err := http.Get(at.url("stats"))
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusForbidden, resp.StatusCode)
	}
	// A bad signature is unauthenticated too.
	st, _, _ := at.as(testAdminAK, "wrong-secret-key").call(t, "GET", "stats", nil)
	require.Equal(t, http.StatusForbidden, st)
	require.Equal(t, []string{"AdminGetStats/denied", "AdminGetStats/denied"}, opsOf(at.since(t, before)))
	require.NoError(t, g.Flush(context.Background()))
	es := at.since(t, before)
	require.Len(t, es, 3)
	require.Equal(t, gate.OpAnonymousDenialsSummarized, es[2].Operation)
	require.Equal(t, uint64(6), es[2].Count)
}
