package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/stretchr/testify/require"
	"github.com/wormstore/wormstore/engine"
	"github.com/wormstore/wormstore/s3api/sigv4"
)

const (
	testAdminAK = "ADMINTESTKEY"
	testAdminSK = "admin-test-secret-key"
)

// adminTest is an admin API served over HTTP from a small engine on a
// memory filesystem.
type adminTest struct {
	eng *engine.Engine
	fs  vfs.FS
	api *adminAPI
	srv *httptest.Server
	c   *adminClient
}

// newAdminTest opens an engine with small segments (so they seal) and
// serves the admin API for it; at cleanup the engine must verify clean
// unless corrupt is set.
func newAdminTest(t *testing.T, corrupt *bool) *adminTest {
	t.Helper()
	fs := vfs.NewMem()
	eng, err := engine.Open(context.Background(), engine.Options{
		FS: fs, Dir: "/data", SegmentSize: 64 << 10, BlockSize: 4 << 10,
		CompactionInterval: -1,
	})
	require.NoError(t, err)
	api := newAdminAPI(&sigv4.Verifier{Region: "us-east-1", Service: adminService,
		Creds: sigv4.StaticCredentials{testAdminAK: testAdminSK}}, nil)
	api.attach(eng)
	var ready atomic.Bool
	ready.Store(true)
	srv := httptest.NewServer(adminHandler(newMetrics(), &ready, api))
	t.Cleanup(func() {
		srv.Close()
		api.detach()
		if corrupt == nil || !*corrupt {
			rep, err := eng.Verify(context.Background(), nil)
			require.NoError(t, err)
			for _, p := range rep.Problems {
				t.Errorf("verify: %s", p)
			}
		}
		require.NoError(t, eng.Close())
	})
	a := &adminCmd{AdminEndpoint: srv.URL, AccessKey: testAdminAK, SecretKey: testAdminSK, Region: "us-east-1"}
	c, err := a.client()
	require.NoError(t, err)
	return &adminTest{eng: eng, fs: fs, api: api, srv: srv, c: c}
}

func (at *adminTest) put(t *testing.T, bucket, key string, n int, seed byte) {
	t.Helper()
	// Random, so that segments hold about n bytes (blocks are compressed).
	data := make([]byte, n)
	rand.NewChaCha8([32]byte{seed}).Read(data)
	_, err := at.eng.PutObject(context.Background(), bucket, key, bytes.NewReader(data), engine.PutOptions{Size: int64(n)})
	require.NoError(t, err)
}

// call sends a signed request and returns status, content type and body.
func (at *adminTest) call(t *testing.T, method, path string, q url.Values) (int, string, []byte) {
	t.Helper()
	u := at.c.base.JoinPath(path)
	u.RawQuery = q.Encode()
	req, err := http.NewRequest(method, u.String(), nil)
	require.NoError(t, err)
	req.Header.Set("X-Amz-Content-Sha256", adminEmptySHA256)
	require.NoError(t, at.c.signer.SignHTTP(context.Background(), at.c.creds, req, adminEmptySHA256, adminService, "us-east-1", time.Now()))
	return doRaw(t, req)
}

func awsCreds(ak, sk string) aws.Credentials {
	return aws.Credentials{AccessKeyID: ak, SecretAccessKey: sk}
}

func doRaw(t *testing.T, req *http.Request) (int, string, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, resp.Header.Get("Content-Type"), b
}

func decodeAPIError(t *testing.T, b []byte) apiError {
	t.Helper()
	var e apiError
	require.NoError(t, json.Unmarshal(b, &e), "body %s", b)
	require.NotEmpty(t, e.Message)
	return e
}

func TestAdminAPIAuthAndRouting(t *testing.T) {
	at := newAdminTest(t, nil)
	sign := func(ak, sk, region, service string) func(*http.Request) {
		return func(req *http.Request) {
			req.Header.Set("X-Amz-Content-Sha256", adminEmptySHA256)
			require.NoError(t, at.c.signer.SignHTTP(context.Background(), awsCreds(ak, sk), req, adminEmptySHA256, service, region, time.Now()))
		}
	}
	tests := []struct {
		name       string
		method     string
		path       string
		sign       func(*http.Request)
		wantStatus int
		wantCode   string
	}{
		{"unsigned", "GET", "stats", nil, 403, "AccessDenied"},
		{"unsigned unknown path", "GET", "nonsense", nil, 403, "AccessDenied"},
		{"unsigned verify", "POST", "verify", nil, 403, "AccessDenied"},
		{"wrong secret", "GET", "stats", sign(testAdminAK, "wrong-secret-key", "us-east-1", adminService), 403, "SignatureDoesNotMatch"},
		{"unknown key", "GET", "buckets", sign("NOSUCHKEY", testAdminSK, "us-east-1", adminService), 403, "InvalidAccessKeyId"},
		{"s3 service scope", "GET", "stats", sign(testAdminAK, testAdminSK, "us-east-1", "s3"), 403, "AuthorizationHeaderMalformed"},
		{"wrong region", "GET", "stats", sign(testAdminAK, testAdminSK, "eu-west-1", adminService), 403, "AuthorizationHeaderMalformed"},
		{"unknown endpoint", "GET", "nonsense", sign(testAdminAK, testAdminSK, "us-east-1", adminService), 404, "NotFound"},
		{"nested bucket path", "GET", "buckets/a/b", sign(testAdminAK, testAdminSK, "us-east-1", adminService), 404, "NotFound"},
		{"wrong method", "GET", "compact", sign(testAdminAK, testAdminSK, "us-east-1", adminService), 405, "MethodNotAllowed"},
		{"no such bucket", "GET", "buckets/missing", sign(testAdminAK, testAdminSK, "us-east-1", adminService), 404, "NoSuchBucket"},
		{"bad rate", "POST", "compact?rate=fast", sign(testAdminAK, testAdminSK, "us-east-1", adminService), 400, "InvalidArgument"},
		{"bad min_garbage", "POST", "compact?min_garbage=2", sign(testAdminAK, testAdminSK, "us-east-1", adminService), 400, "InvalidArgument"},
		{"unknown parameter", "POST", "compact?speed=1", sign(testAdminAK, testAdminSK, "us-east-1", adminService), 400, "InvalidArgument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, at.srv.URL+adminPrefix+tt.path, nil)
			require.NoError(t, err)
			if tt.sign != nil {
				tt.sign(req)
			}
			status, ctype, body := doRaw(t, req)
			if status != tt.wantStatus {
				t.Fatalf("got status %d, want %d (body %s)", status, tt.wantStatus, body)
			}
			require.Equal(t, "application/json", ctype)
			if e := decodeAPIError(t, body); e.Code != tt.wantCode {
				t.Errorf("got code %q, want %q (%s)", e.Code, tt.wantCode, e.Message)
			}
		})
	}

	// Health and metrics stay unauthenticated next to the API.
	resp, err := http.Get(at.srv.URL + "/health/live")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
}

func TestAdminAPINotReady(t *testing.T) {
	api := newAdminAPI(&sigv4.Verifier{Region: "us-east-1", Service: adminService,
		Creds: sigv4.StaticCredentials{testAdminAK: testAdminSK}}, nil)
	var ready atomic.Bool
	srv := httptest.NewServer(adminHandler(newMetrics(), &ready, api))
	defer srv.Close()
	a := &adminCmd{AdminEndpoint: srv.URL, AccessKey: testAdminAK, SecretKey: testAdminSK, Region: "us-east-1"}
	c, err := a.client()
	require.NoError(t, err)
	for _, path := range []string{"stats", "verify"} {
		method := map[string]string{"stats": "GET", "verify": "POST"}[path]
		_, err = c.do(context.Background(), method, path, nil)
		require.ErrorContains(t, err, "NotReady", path)
	}
}

func TestAdminAPIEndpoints(t *testing.T) {
	at := newAdminTest(t, nil)
	ctx := context.Background()
	require.NoError(t, at.eng.CreateBucket(ctx, "archive", engine.CreateBucketOptions{ObjectLock: true}))
	require.NoError(t, at.eng.SetObjectLockConfig(ctx, "archive", &engine.DefaultRetention{Mode: engine.ModeCompliance, Days: 30}))
	require.NoError(t, at.eng.CreateBucket(ctx, "logs", engine.CreateBucketOptions{}))
	at.put(t, "archive", "a", 10_000, 1)
	at.put(t, "logs", "b", 100_000, 2) // seals a 64 KiB segment

	// buckets: the wire names, not the engine's storage tags.
	status, ctype, body := at.call(t, "GET", "buckets", nil)
	require.Equal(t, 200, status, "%s", body)
	require.Equal(t, "application/json", ctype)
	var raw map[string][]map[string]any
	require.NoError(t, json.Unmarshal(body, &raw))
	require.Len(t, raw["buckets"], 2)
	archive := raw["buckets"][0]
	require.Equal(t, "archive", archive["name"])
	require.Equal(t, "Enabled", archive["versioning"])
	require.Equal(t, true, archive["object_lock"])
	require.Equal(t, map[string]any{"mode": "COMPLIANCE", "days": float64(30)}, archive["default_retention"])
	_, err := time.Parse(time.RFC3339, archive["created"].(string))
	require.NoError(t, err)
	logs := raw["buckets"][1]
	require.Equal(t, "Off", logs["versioning"])
	require.Equal(t, false, logs["object_lock"])
	require.NotContains(t, logs, "default_retention")

	status, _, body = at.call(t, "GET", "buckets/logs", nil)
	require.Equal(t, 200, status, "%s", body)
	var b apiBucket
	require.NoError(t, json.Unmarshal(body, &b))
	require.Equal(t, apiBucket{Name: "logs", Created: b.Created, Versioning: "Off"}, b)

	// stats
	status, _, body = at.call(t, "GET", "stats", nil)
	require.Equal(t, 200, status, "%s", body)
	var st map[string]any
	require.NoError(t, json.Unmarshal(body, &st))
	for _, k := range []string{"buckets", "versions", "delete_markers", "uploads", "parts", "segments", "sealed_segments",
		"segment_bytes", "live_bytes", "garbage_bytes", "locked_bytes", "locked_versions", "wal_last_lsn",
		"clock_high_water", "compaction_running", "compacted_bytes", "compacted_segments"} {
		require.Contains(t, st, k)
	}
	require.Equal(t, float64(2), st["buckets"])
	require.Equal(t, float64(2), st["versions"])
	require.Equal(t, float64(1), st["locked_versions"])
	require.Greater(t, st["live_bytes"], float64(100_000))

	// segments
	status, _, body = at.call(t, "GET", "segments", nil)
	require.Equal(t, 200, status, "%s", body)
	var segs struct {
		Segments []apiSegment `json:"segments"`
	}
	require.NoError(t, json.Unmarshal(body, &segs))
	require.GreaterOrEqual(t, len(segs.Segments), 2)
	var total int64
	for i, s := range segs.Segments {
		require.Contains(t, []string{"active", "sealed"}, s.State)
		if i > 0 {
			require.Greater(t, s.ID, segs.Segments[i-1].ID, "sorted by id")
		}
		total += s.Size
	}
	require.Equal(t, "sealed", segs.Segments[0].State)
	require.Equal(t, st["segment_bytes"], float64(total))
}

func TestAdminAPICompactReclaimsGarbage(t *testing.T) {
	at := newAdminTest(t, nil)
	ctx := context.Background()
	require.NoError(t, at.eng.CreateBucket(ctx, "scratch", engine.CreateBucketOptions{}))
	for i := range 8 {
		// Unversioned: every overwrite turns the previous data into garbage.
		at.put(t, "scratch", fmt.Sprintf("k%d", i%2), 40_000, byte(i))
	}
	before, err := at.eng.Stats(ctx)
	require.NoError(t, err)
	require.Greater(t, before.GarbageBytes, int64(100_000))

	status, _, body := at.call(t, "POST", "compact", url.Values{"rate": {"1073741824"}})
	require.Equal(t, 200, status, "%s", body)
	var raw map[string]any
	require.NoError(t, json.Unmarshal(body, &raw))
	for _, k := range []string{"segments_rewritten", "segments_removed", "bytes_copied", "bytes_reclaimed"} {
		require.Contains(t, raw, k)
	}
	var res apiCompactResult
	require.NoError(t, json.Unmarshal(body, &res))
	require.Positive(t, res.SegmentsRemoved)
	require.Positive(t, res.BytesReclaimed)

	after, err := at.eng.Stats(ctx)
	require.NoError(t, err)
	if after.GarbageBytes >= before.GarbageBytes/4 {
		t.Errorf("got %d garbage bytes after compaction, want well below %d", after.GarbageBytes, before.GarbageBytes)
	}
	require.Equal(t, int64(2), after.Versions)
}

// readVerifyStream parses a verify NDJSON stream.
func readVerifyStream(t *testing.T, body []byte) (progress []apiVerifyProgress, last verifyLine) {
	t.Helper()
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(nil, 1<<20)
	var lines []verifyLine
	for sc.Scan() {
		var l verifyLine
		require.NoError(t, json.Unmarshal(sc.Bytes(), &l), "line %q", sc.Text())
		lines = append(lines, l)
	}
	require.NotEmpty(t, lines)
	for _, l := range lines[:len(lines)-1] {
		require.Nil(t, l.Report)
		require.Empty(t, l.Code)
		progress = append(progress, l.apiVerifyProgress)
	}
	return progress, lines[len(lines)-1]
}

func TestAdminAPIVerifyStream(t *testing.T) {
	corrupt := false
	at := newAdminTest(t, &corrupt)
	ctx := context.Background()
	require.NoError(t, at.eng.CreateBucket(ctx, "b", engine.CreateBucketOptions{}))
	for i := range 6 {
		at.put(t, "b", fmt.Sprintf("k%d", i), 30_000, byte(i))
	}

	status, ctype, body := at.call(t, "POST", "verify", nil)
	require.Equal(t, 200, status, "%s", body)
	require.Equal(t, "application/x-ndjson", ctype)
	progress, last := readVerifyStream(t, body)
	require.NotEmpty(t, progress)
	for i, p := range progress {
		require.Positive(t, p.Total)
		require.LessOrEqual(t, p.Done, p.Total)
		if i > 0 {
			require.GreaterOrEqual(t, p.Done, progress[i-1].Done)
		}
	}
	final := progress[len(progress)-1]
	require.Equal(t, final.Total, final.Done, "the last progress line is 100%")
	require.NotNil(t, last.Report)
	require.True(t, last.Report.OK)
	require.Empty(t, last.Report.Problems)
	require.NotNil(t, last.Report.Problems, `"problems": [] rather than null`)
	require.Equal(t, int64(6), last.Report.Versions)
	require.Equal(t, final.Total, last.Report.Bytes)

	// Flip a byte in the middle of the first (sealed) segment's data.
	infos := at.eng.Segments()
	require.True(t, infos[0].Sealed)
	name := filepath.Join("/data/segments", fmt.Sprintf("%016x.seg", infos[0].ID))
	f, err := at.fs.OpenReadWrite(name, vfs.WriteCategoryUnspecified)
	require.NoError(t, err, "segment file name")
	var one [1]byte
	_, err = f.ReadAt(one[:], 20_000)
	require.NoError(t, err)
	one[0] ^= 0xff
	_, err = f.WriteAt(one[:], 20_000)
	require.NoError(t, err)
	require.NoError(t, f.Close())
	corrupt = true

	status, _, body = at.call(t, "POST", "verify", nil)
	require.Equal(t, 200, status, "%s", body)
	_, last = readVerifyStream(t, body)
	require.NotNil(t, last.Report)
	require.False(t, last.Report.OK)
	require.NotEmpty(t, last.Report.Problems)
	p := last.Report.Problems[0]
	require.Equal(t, "segment", p.Kind)
	require.Equal(t, infos[0].ID, p.Segment)
	require.Contains(t, p.Message, fmt.Sprintf("%016x", infos[0].ID))

	// The CLI prints each problem on its own line and fails.
	var out, errOut bytes.Buffer
	env := &runEnv{ctx: ctx, stdout: &out, stderr: &errOut}
	err = runWith(env, []string{"admin", "--admin-endpoint", at.srv.URL, "--access-key", testAdminAK, "--secret-key", testAdminSK, "verify"})
	require.ErrorContains(t, err, "verify found")
	require.Contains(t, out.String(), "FAILED: ")
	require.Contains(t, out.String(), "\n  segment: segment "+fmt.Sprintf("%016x", infos[0].ID))
	require.Contains(t, errOut.String(), "verify: 100%")
}

func TestAdminAPIDetachCancels(t *testing.T) {
	at := newAdminTest(t, nil)
	at.api.detach()
	status, _, body := at.call(t, "GET", "stats", nil)
	require.Equal(t, 503, status)
	require.Equal(t, "NotReady", decodeAPIError(t, body).Code)
}
