package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/stretchr/testify/require"
	"github.com/wormstore/wormstore/adminapi"
	"github.com/wormstore/wormstore/adminapi/adminapitest"
	"github.com/wormstore/wormstore/engine"
	"github.com/wormstore/wormstore/s3api/sigv4"
)

// The CLI side of the admin API: `wormstore admin` against the admin
// handler (adminHandler) serving an adminapi.API on a memory engine. The
// API's own tests are in package adminapi.

const (
	testAdminAK = "ADMINTESTKEY"
	testAdminSK = "admin-test-secret-key"
)

// adminTest is the admin handler served over HTTP from a small engine on
// a memory filesystem.
type adminTest struct {
	eng *engine.Engine
	fs  vfs.FS
	api *adminapi.API
	srv *httptest.Server
}

// newAdminTest opens an engine with small segments (so they seal) and
// serves the admin handler for it; at cleanup the engine must verify
// clean unless corrupt is set.
func newAdminTest(t *testing.T, corrupt *bool) *adminTest {
	t.Helper()
	fs := vfs.NewMem()
	eng, err := engine.Open(context.Background(), engine.Options{
		FS: fs, Dir: "/data", SegmentSize: 64 << 10, BlockSize: 4 << 10,
		CompactionInterval: -1,
	})
	require.NoError(t, err)
	api := adminapi.New(adminapi.Config{Region: "us-east-1", Root: sigv4.StaticCredentials{testAdminAK: testAdminSK}})
	api.Attach(eng)
	var ready atomic.Bool
	ready.Store(true)
	srv := httptest.NewServer(adminHandler(newMetrics(), &ready, api))
	t.Cleanup(func() {
		srv.Close()
		api.Detach()
		if corrupt == nil || !*corrupt {
			rep, err := eng.Verify(context.Background(), nil)
			require.NoError(t, err)
			for _, p := range rep.Problems {
				t.Errorf("verify: %s", p)
			}
		}
		require.NoError(t, eng.Close())
	})
	return &adminTest{eng: eng, fs: fs, api: api, srv: srv}
}

func (at *adminTest) put(t *testing.T, bucket, key string, n int, seed byte) {
	t.Helper()
	adminapitest.PutRandom(t, at.eng, bucket, key, n, seed)
}

// appendAudit appends n audit entries to the test engine.
func (at *adminTest) appendAudit(t *testing.T, n int) {
	t.Helper()
	adminapitest.AppendAudit(t, at.eng, n)
}

// TestAdminHandlerServesAPI: the admin listener serves the API next to
// the unauthenticated health and metrics endpoints, and `admin` answers
// NotReady while no engine is attached.
func TestAdminHandlerServesAPI(t *testing.T) {
	at := newAdminTest(t, nil)
	resp, err := http.Get(at.srv.URL + "/health/live")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	resp, err = http.Get(at.srv.URL + adminapi.Prefix + "stats")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusForbidden, resp.StatusCode)

	a := &adminCmd{AdminEndpoint: at.srv.URL, AccessKey: testAdminAK, SecretKey: testAdminSK, Region: "us-east-1"}
	c, err := a.client()
	require.NoError(t, err)
	var st adminapi.Stats
	require.NoError(t, c.callJSON(context.Background(), "GET", "stats", nil, &st))
	at.api.Detach()
	_, err = c.do(context.Background(), "GET", "stats", nil)
	require.ErrorContains(t, err, "NotReady")
}

// TestAdminCLIVerifyProblems: `admin verify` prints each problem on its
// own line and fails.
func TestAdminCLIVerifyProblems(t *testing.T) {
	corrupt := false
	at := newAdminTest(t, &corrupt)
	ctx := context.Background()
	require.NoError(t, at.eng.CreateBucket(ctx, "b", engine.CreateBucketOptions{}))
	for i := range 6 {
		at.put(t, "b", fmt.Sprintf("k%d", i), 30_000, byte(i))
	}
	// Flip a byte in the middle of the first (sealed) segment's data.
	seg := adminapitest.CorruptFirstSegment(t, at.eng, at.fs, "/data", 20_000)
	corrupt = true

	var out, errOut bytes.Buffer
	env := &runEnv{ctx: ctx, stdout: &out, stderr: &errOut}
	err := runWith(env, []string{"admin", "--admin-endpoint", at.srv.URL, "--access-key", testAdminAK, "--secret-key", testAdminSK, "verify"})
	require.ErrorContains(t, err, "verify found")
	require.Contains(t, out.String(), "FAILED: ")
	require.Contains(t, out.String(), "\n  segment: segment "+fmt.Sprintf("%016x", seg.ID))
	require.Contains(t, errOut.String(), "verify: 100%")
}
