package main

import (
	"bytes"
	"context"
	"io"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/stretchr/testify/require"

	"github.com/wormstore/wormstore/bench"
)

// TestBenchClientMinio runs every workload briefly with --client minio
// against the embedded server: operations ran, none failed, the report
// names the client, and everything not locked was cleaned up.
func TestBenchClientMinio(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every workload for half a second")
	}
	tests := []struct {
		workload string
		args     []string
		ops      []string // must appear
		allowed  []string // may appear
	}{
		{workload: "put", ops: []string{bench.OpPut}},
		{workload: "get", args: []string{"--objects", "40"}, ops: []string{bench.OpGet}},
		{workload: "stat", args: []string{"--objects", "40"}, ops: []string{bench.OpStat}},
		{workload: "list", args: []string{"--objects", "200"}, ops: []string{bench.OpList}},
		{workload: "delete", args: []string{"--objects", "200", "--batch", "50"}, ops: []string{bench.OpDelete}},
		{workload: "mixed", args: []string{"--objects", "40", "--obj.randsize"}, allowed: []string{bench.OpGet, bench.OpStat, bench.OpPut, bench.OpDelete}},
		{workload: "versioned", args: []string{"--objects", "40"}, allowed: []string{bench.OpGet, bench.OpStat, bench.OpPut, bench.OpDelete}},
		{workload: "multipart", args: []string{"--part.size", "256KiB", "--parts", "1"}, ops: []string{bench.OpPutPart, bench.OpComplete}},
		{workload: "legalhold", args: []string{"--objects", "20"}, ops: []string{bench.OpLegalHold}},
	}
	for _, tt := range tests {
		t.Run(tt.workload, func(t *testing.T) {
			jsonPath := filepath.Join(t.TempDir(), "out.json")
			args := append([]string{tt.workload, "--client", "minio", "--embedded", "--duration", "500ms", "--warmup", "0s",
				"--concurrent", "4", "--obj.size", "8KiB", "--json", jsonPath}, tt.args...)
			out := runBench(t, args...)
			require.Contains(t, out, "client minio")
			rep := readReport(t, jsonPath)
			require.Equal(t, bench.ClientMinio, rep.Client)
			for _, typ := range tt.ops {
				require.Positive(t, op(t, rep, typ).Count, "%s ops", typ)
			}
			require.NotEmpty(t, rep.Operations)
			for _, s := range rep.Operations {
				require.Subset(t, append(tt.ops, tt.allowed...), []string{s.Operation})
				require.Positive(t, s.Count, "%s ops", s.Operation)
				require.Zero(t, s.Errors, "%s errors: %v", s.Operation, s.ErrorSamples)
			}
			require.Empty(t, rep.Locked)
			require.Empty(t, rep.Cleanup.Errors)
			require.True(t, rep.Cleanup.BucketDeleted)
		})
	}
}

// TestBenchClientMinioRetention runs the retention workload with the
// minio client against a server the test keeps, then asks the server
// itself: every version the run reports as locked is under COMPLIANCE
// retention at least until the reported date, and cannot be deleted.
func TestBenchClientMinioRetention(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv, err := startEmbedded(ctx, "us-east-1", false)
	require.NoError(t, err)
	defer func() { require.NoError(t, srv.stop()) }()

	start := time.Now()
	rep, err := bench.Run(ctx, bench.WorkloadRetention, bench.Config{
		Endpoint: srv.endpoint, AccessKey: srv.accessKey, SecretKey: srv.secretKey, Client: bench.ClientMinio,
		Concurrent: 4, ObjSize: 4 << 10, Objects: 20, Duration: time.Second, LockRetain: 90 * time.Second,
	})
	require.NoError(t, err)
	require.Equal(t, bench.ClientMinio, rep.Client)
	require.Positive(t, rep.ClientCPUPerOp, "process CPU per request recorded")
	put := op(t, rep, bench.OpPut)
	require.Equal(t, 20, put.Considered)
	require.Zero(t, put.Errors, "errors: %v", put.ErrorSamples)
	ret := op(t, rep, bench.OpRetention)
	require.Positive(t, ret.Count)
	require.Zero(t, ret.Errors, "errors: %v", ret.ErrorSamples)
	var text bytes.Buffer
	require.NoError(t, rep.WriteText(&text))
	require.Contains(t, text.String(), "client minio")

	u, err := url.Parse(srv.endpoint)
	require.NoError(t, err)
	mc, err := minio.New(u.Host, &minio.Options{Creds: credentials.NewStaticV4(srv.accessKey, srv.secretKey, ""), Region: "us-east-1", BucketLookup: minio.BucketLookupPath})
	require.NoError(t, err)
	require.Len(t, rep.Locked, 20)
	extended := 0
	for _, l := range rep.Locked {
		require.NotEmpty(t, l.VersionID)
		mode, until, err := mc.GetObjectRetention(ctx, rep.Bucket, l.Key, l.VersionID)
		require.NoError(t, err, l.Key)
		require.NotNil(t, mode)
		require.Equal(t, minio.Compliance, *mode)
		require.NotNil(t, until)
		require.True(t, until.Equal(l.RetainUntil), "%s: server %v, report %v", l.Key, until, l.RetainUntil)
		require.True(t, until.After(start.Add(89*time.Second)), "%s: retain until %v", l.Key, until)
		if until.After(start.Add(91 * time.Second)) {
			extended++
		}
		err = mc.RemoveObject(ctx, rep.Bucket, l.Key, minio.RemoveObjectOptions{VersionID: l.VersionID, GovernanceBypass: true})
		require.Error(t, err, "%s %s is locked", l.Key, l.VersionID)
		require.Equal(t, "AccessDenied", minio.ToErrorResponse(err).Code, "%v", err)
		r, err := mc.GetObject(ctx, rep.Bucket, l.Key, minio.GetObjectOptions{VersionID: l.VersionID})
		require.NoError(t, err)
		n, err := io.Copy(io.Discard, r)
		require.NoError(t, err)
		require.Equal(t, int64(4<<10), n)
		r.Close()
	}
	require.Positive(t, extended, "some retention was extended past the put's")
}
