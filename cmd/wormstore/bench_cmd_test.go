package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wormstore/wormstore/bench"
)

// runBench runs `wormstore bench ARGS…` in-process and returns stdout.
func runBench(t *testing.T, args ...string) string {
	t.Helper()
	var out bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := runWith(&runEnv{ctx: ctx, stdout: &out, stderr: io.Discard}, append([]string{"bench"}, args...))
	require.NoError(t, err, "stdout:\n%s", out.String())
	return out.String()
}

// readReport reads a --json report.
func readReport(t *testing.T, path string) *bench.Report {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var rep bench.Report
	require.NoError(t, json.Unmarshal(b, &rep), "%s", b)
	return &rep
}

// op returns the statistics of one operation type.
func op(t *testing.T, rep *bench.Report, typ string) bench.OpStats {
	t.Helper()
	for _, s := range rep.Operations {
		if s.Operation == typ {
			return s
		}
	}
	t.Fatalf("report has no %s operation: %+v", typ, rep.Operations)
	return bench.OpStats{}
}

func TestBenchPutEmbedded(t *testing.T) {
	dir := t.TempDir()
	jsonPath := filepath.Join(dir, "out.json")
	out := runBench(t, "put", "--embedded", "--duration", "2s", "--concurrent", "4", "--obj.size", "64KiB", "--json", jsonPath)
	rep := readReport(t, jsonPath)
	put := op(t, rep, bench.OpPut)
	require.Positive(t, put.Considered, "PUTs in the window")
	require.Zero(t, put.Errors, "errors: %v", put.ErrorSamples)
	require.Equal(t, int64(64<<10), put.AvgSize)
	require.Equal(t, 4, put.Concurrency)
	require.Positive(t, put.Throughput.ObjPerSec)
	require.Positive(t, put.Latency.P50)
	require.Equal(t, 2, put.PerSecond.Seconds)
	require.True(t, rep.Embedded)
	require.Equal(t, bench.ReportVersion, rep.Version)
	// Clean-up removed every object and the bucket it created.
	require.Empty(t, rep.Locked)
	require.Empty(t, rep.Cleanup.Errors)
	require.True(t, rep.Cleanup.BucketDeleted)
	require.Equal(t, put.Count, rep.Cleanup.DeletedVersions, "deleted versions = objects put")
	for _, want := range []string{"Embedded wormstore server at http://127.0.0.1:", "Operation: PUT (", "Concurrency: 4.",
		"Requests considered: ", " * Avg: ", "Throughput, split into 2 x 1s:", "Clean-up: deleted "} {
		require.Contains(t, out, want)
	}
	require.NotContains(t, out, "\r", "no status line when stdout is not a terminal")
}

func TestBenchRetentionEmbedded(t *testing.T) {
	dir := t.TempDir()
	jsonPath, htmlPath := filepath.Join(dir, "out.json"), filepath.Join(dir, "out.html")
	// Flags from the environment twins.
	t.Setenv("WORMSTORE_BENCH_CONCURRENT", "4")
	t.Setenv("WORMSTORE_BENCH_OBJ_SIZE", "4KiB")
	t.Setenv("WORMSTORE_BENCH_OBJECTS", "40")
	t.Setenv("WORMSTORE_BENCH_LOCK_RETAIN", "90s")
	start := time.Now()
	out := runBench(t, "retention", "--embedded", "--duration", "2s", "--warmup", "0s", "--json", jsonPath, "--html", htmlPath)
	rep := readReport(t, jsonPath)
	require.Equal(t, 4, rep.Concurrency)

	// The lock puts (prepare) and the extensions (measured) both ran.
	put := op(t, rep, bench.OpPut)
	require.Equal(t, 40, put.Considered)
	require.Zero(t, put.Errors, "errors: %v", put.ErrorSamples)
	require.Equal(t, int64(4<<10), put.AvgSize)
	ret := op(t, rep, bench.OpRetention)
	require.Positive(t, ret.Considered)
	require.Zero(t, ret.Errors, "errors: %v", ret.ErrorSamples)

	// Every locked version is reported with a retain-until past the
	// requested retention; nothing else is left and the bucket stays.
	require.Len(t, rep.Locked, 40)
	for _, l := range rep.Locked {
		require.Equal(t, "COMPLIANCE", l.Mode)
		require.NotEmpty(t, l.VersionID)
		require.True(t, l.RetainUntil.After(start.Add(89*time.Second)), "retain until %v", l.RetainUntil)
	}
	require.Zero(t, rep.Cleanup.DeletedVersions)
	require.Empty(t, rep.Cleanup.Errors)
	require.False(t, rep.Cleanup.BucketDeleted)
	require.Contains(t, out, "Operation: RETENTION (")
	require.Contains(t, out, "Left behind under a lock: 40 version(s)")

	html, err := os.ReadFile(htmlPath)
	require.NoError(t, err)
	require.Equal(t, 4, strings.Count(string(html), "<svg "), "histogram and timeline for PUT and RETENTION")
	require.Contains(t, string(html), "40 version(s) left under a lock")
}

// TestBenchWorkloads runs every other workload for half a second against the
// embedded server: no errors, and everything cleaned up. Every worker runs
// at least one operation whatever the machine's load, so ops lists types
// that must appear; mixed workloads draw theirs at random.
func TestBenchWorkloads(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every workload for half a second")
	}
	tests := []struct {
		workload string
		args     []string
		ops      []string // must appear
		allowed  []string // may appear
	}{
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
			args := append([]string{tt.workload, "--embedded", "--duration", "500ms", "--warmup", "0s", "--concurrent", "4",
				"--obj.size", "8KiB", "--json", jsonPath}, tt.args...)
			runBench(t, args...)
			rep := readReport(t, jsonPath)
			for _, typ := range tt.ops {
				require.Positive(t, op(t, rep, typ).Count, "%s ops", typ)
			}
			require.NotEmpty(t, rep.Operations)
			for _, s := range rep.Operations {
				require.Subset(t, append(tt.ops, tt.allowed...), []string{s.Operation})
				require.Zero(t, s.Errors, "%s errors: %v", s.Operation, s.ErrorSamples)
			}
			require.Empty(t, rep.Locked)
			require.Empty(t, rep.Cleanup.Errors)
			require.True(t, rep.Cleanup.BucketDeleted)
		})
	}
}

func TestBenchHelpAndErrors(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, runWith(&runEnv{ctx: context.Background(), stdout: &out, stderr: &out}, []string{"bench", "--help"}))
	for _, want := range []string{"--endpoint", "--access-key", "--secret-key", "--tls", "--insecure", "--concurrent",
		"--obj.size", "--obj.randsize", "--objects", "--duration", "--warmup", "--json", "--html", "--embedded",
		"$WORMSTORE_BENCH_ENDPOINT", "$WORMSTORE_BENCH_OBJ_SIZE", "retention"} {
		require.Contains(t, out.String(), want)
	}

	env := &runEnv{ctx: context.Background(), stdout: io.Discard, stderr: io.Discard}
	err := runWith(env, []string{"bench", "put", "--embedded", "--endpoint", "127.0.0.1:1"})
	require.ErrorContains(t, err, "--embedded starts its own server")
	err = runWith(env, []string{"bench", "put", "--endpoint", "127.0.0.1:1"})
	require.ErrorContains(t, err, "access key")
	err = runWith(env, []string{"bench", "put", "--obj.size", "lots"})
	require.Error(t, err)
}

func TestBenchCompareTargets(t *testing.T) {
	c := &benchCmd{}
	for _, spec := range []string{"wormstore", "new=wormstore:/usr/bin/true", "vg=versitygw:/usr/bin/true", "m=http://AK:SK@127.0.0.1:9000"} {
		tg, err := c.parseTarget(spec)
		require.NoError(t, err, spec)
		name, _, named := strings.Cut(spec, "=")
		if named {
			require.Equal(t, name, tg.Name)
		} else {
			require.Equal(t, spec, tg.Name)
		}
	}
	for _, spec := range []string{"minio", "http://AK:SK@127.0.0.1:9000", "m=http://127.0.0.1:9000", "x=ftp://a:b@h:1"} {
		_, err := c.parseTarget(spec)
		require.Error(t, err, spec)
	}
	var out bytes.Buffer
	err := runWith(&runEnv{ctx: context.Background(), stdout: &out, stderr: io.Discard},
		[]string{"bench", "compare", "--embedded", "--target", "wormstore"})
	require.ErrorContains(t, err, "--target")
	err = runWith(&runEnv{ctx: context.Background(), stdout: &out, stderr: io.Discard},
		[]string{"bench", "put", "--embedded", "--target", "wormstore"})
	require.ErrorContains(t, err, "compare")
}
