package adminapi_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/wormstore/wormstore/adminapi"
	"github.com/wormstore/wormstore/adminapi/adminapitest"
	"github.com/wormstore/wormstore/engine"
	"github.com/wormstore/wormstore/s3api/sigv4"
)

// verifyLine is one line of a verify stream.
type verifyLine struct {
	adminapi.VerifyProgress
	Report *adminapi.VerifyReport `json:"report"`
	adminapi.ErrorBody
}

func (at *adminTest) put(t *testing.T, bucket, key string, n int, seed byte) {
	t.Helper()
	adminapitest.PutRandom(t, at.eng, bucket, key, n, seed)
}

func TestAdminAPIAuthAndRouting(t *testing.T) {
	at := newAdminTest(t, nil)
	signer := func(ak, sk, region, service string) func(*http.Request) {
		return func(req *http.Request) { sign(t, req, ak, sk, region, service, emptySHA256) }
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
		{"wrong secret", "GET", "stats", signer(testAdminAK, "wrong-secret-key", "us-east-1", adminapi.Service), 403, "SignatureDoesNotMatch"},
		{"unknown key", "GET", "buckets", signer("NOSUCHKEY", testAdminSK, "us-east-1", adminapi.Service), 403, "InvalidAccessKeyId"},
		{"s3 service scope", "GET", "stats", signer(testAdminAK, testAdminSK, "us-east-1", "s3"), 403, "AuthorizationHeaderMalformed"},
		{"wrong region", "GET", "stats", signer(testAdminAK, testAdminSK, "eu-west-1", adminapi.Service), 403, "AuthorizationHeaderMalformed"},
		{"unknown endpoint", "GET", "nonsense", signer(testAdminAK, testAdminSK, "us-east-1", adminapi.Service), 404, "NotFound"},
		{"nested bucket path", "GET", "buckets/a/b", signer(testAdminAK, testAdminSK, "us-east-1", adminapi.Service), 404, "NotFound"},
		{"wrong method", "GET", "compact", signer(testAdminAK, testAdminSK, "us-east-1", adminapi.Service), 405, "MethodNotAllowed"},
		{"no such bucket", "GET", "buckets/missing", signer(testAdminAK, testAdminSK, "us-east-1", adminapi.Service), 404, "NoSuchBucket"},
		{"bad rate", "POST", "compact?rate=fast", signer(testAdminAK, testAdminSK, "us-east-1", adminapi.Service), 400, "InvalidArgument"},
		{"bad min_garbage", "POST", "compact?min_garbage=2", signer(testAdminAK, testAdminSK, "us-east-1", adminapi.Service), 400, "InvalidArgument"},
		{"unknown parameter", "POST", "compact?speed=1", signer(testAdminAK, testAdminSK, "us-east-1", adminapi.Service), 400, "InvalidArgument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, at.url(tt.path), nil)
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

}

func TestAdminAPINotReady(t *testing.T) {
	api := adminapi.New(adminapi.Config{Region: "us-east-1", Root: sigv4.StaticCredentials{testAdminAK: testAdminSK}})
	srv := httptest.NewServer(api)
	defer srv.Close()
	at := &adminTest{api: api, srv: srv, ak: testAdminAK, sk: testAdminSK}
	for _, tc := range []struct{ method, path string }{{"GET", "stats"}, {"POST", "verify"}, {"PUT", "users/alice"}} {
		st, _, b := at.call(t, tc.method, tc.path, nil)
		require.Equal(t, http.StatusServiceUnavailable, st, "%s %s", tc.path, b)
		require.Equal(t, "NotReady", decodeAPIError(t, b).Code, tc.path)
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
	var b adminapi.Bucket
	require.NoError(t, json.Unmarshal(body, &b))
	require.Equal(t, adminapi.Bucket{Name: "logs", Created: b.Created, Versioning: "Off"}, b)

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
		Segments []adminapi.Segment `json:"segments"`
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
	var res adminapi.CompactResult
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
func readVerifyStream(t *testing.T, body []byte) (progress []adminapi.VerifyProgress, last verifyLine) {
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
		progress = append(progress, l.VerifyProgress)
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
	seg := adminapitest.CorruptFirstSegment(t, at.eng, at.fs, "/data", 20_000)
	corrupt = true

	status, _, body = at.call(t, "POST", "verify", nil)
	require.Equal(t, 200, status, "%s", body)
	_, last = readVerifyStream(t, body)
	require.NotNil(t, last.Report)
	require.False(t, last.Report.OK)
	require.NotEmpty(t, last.Report.Problems)
	p := last.Report.Problems[0]
	require.Equal(t, "segment", p.Kind)
	require.Equal(t, seg.ID, p.Segment)
	require.Contains(t, p.Message, fmt.Sprintf("%016x", seg.ID))

}

func TestAdminAPIDetachCancels(t *testing.T) {
	at := newAdminTest(t, nil)
	at.api.Detach()
	status, _, body := at.call(t, "GET", "stats", nil)
	require.Equal(t, 503, status)
	require.Equal(t, "NotReady", decodeAPIError(t, body).Code)
}
