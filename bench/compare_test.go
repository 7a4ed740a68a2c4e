package bench_test

import (
	"bytes"
	"context"
	"errors"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/stretchr/testify/require"

	"github.com/wormstore/wormstore/bench"
	"github.com/wormstore/wormstore/engine"
	"github.com/wormstore/wormstore/s3api"
	"github.com/wormstore/wormstore/s3api/sigv4"
)

// inProcessTarget starts a fresh engine (on its own temp directory) behind
// s3api per run, as the auto-started targets do with a process, and
// counts the starts and stops.
func inProcessTarget(t *testing.T, name string, starts, stops *atomic.Int32) bench.Target {
	return bench.Target{Name: name, Start: func(ctx context.Context) (bench.Endpoint, error) {
		dir, err := os.MkdirTemp(t.TempDir(), "run-")
		if err != nil {
			return bench.Endpoint{}, err
		}
		eng, err := engine.Open(ctx, engine.Options{FS: vfs.Default, Dir: dir, CompactionInterval: -1})
		if err != nil {
			return bench.Endpoint{}, err
		}
		h, err := s3api.New(s3api.Config{Engine: eng, Region: "us-east-1", Credentials: sigv4.StaticCredentials{"AKCMP": "SKCMP"}})
		if err != nil {
			return bench.Endpoint{}, errors.Join(err, eng.Close())
		}
		srv := httptest.NewServer(h)
		starts.Add(1)
		return bench.Endpoint{URL: srv.URL, AccessKey: "AKCMP", SecretKey: "SKCMP", Stop: func() error {
			stops.Add(1)
			srv.Close()
			return eng.Close()
		}}, nil
	}}
}

func TestCompareReport(t *testing.T) {
	var starts, stops atomic.Int32
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	workloads := []bench.Workload{bench.WorkloadPut, bench.WorkloadRetention, bench.WorkloadVersioned}
	var progress bytes.Buffer
	rep, err := bench.Compare(ctx, bench.CompareConfig{
		Targets:   []bench.Target{inProcessTarget(t, "a", &starts, &stops), inProcessTarget(t, "b", &starts, &stops)},
		Workloads: workloads,
		Rounds:    2,
		Base:      bench.Config{Concurrent: 2, ObjSize: 1 << 10, Objects: 4, Duration: 150 * time.Millisecond},
		Progress:  &progress,
	})
	require.NoError(t, err)
	require.Equal(t, []string{"a", "b"}, rep.Targets)
	require.Equal(t, workloads, rep.Workloads)
	// Every (round, workload, target) ran once, on its own fresh server.
	require.Len(t, rep.Runs, 2*3*2)
	require.EqualValues(t, 12, starts.Load(), "one fresh server per run")
	require.EqualValues(t, 12, stops.Load(), "every server stopped")
	// Interleaved: within a round each workload runs on every target
	// before the next workload; the first target alternates by round.
	var order []string
	for _, r := range rep.Runs {
		order = append(order, string(r.Workload)+"/"+r.Target)
		require.Empty(t, r.Err, "round %d %s %s", r.Round, r.Workload, r.Target)
		require.NotNil(t, r.Report)
		require.Positive(t, r.Considered, "round %d %s %s: headline ops", r.Round, r.Workload, r.Target)
		require.Positive(t, r.ObjPerSec)
		require.Zero(t, r.Errors, "round %d %s %s", r.Round, r.Workload, r.Target)
	}
	require.Equal(t, []string{
		"put/a", "put/b", "retention/a", "retention/b", "versioned/a", "versioned/b",
		"put/b", "put/a", "retention/b", "retention/a", "versioned/b", "versioned/a",
	}, order)
	// The retention run's headline is PutObjectRetention, not its
	// preparing puts.
	for _, r := range rep.Runs {
		if r.Workload == bench.WorkloadRetention {
			var sum float64
			for _, s := range r.Report.Operations {
				if s.Operation == bench.OpRetention {
					sum += s.Throughput.ObjPerSec
				}
			}
			require.Equal(t, sum, r.ObjPerSec)
		}
	}
	for _, w := range workloads {
		c := rep.Cell(w, "a")
		require.Equal(t, 2, c.Runs)
		require.Zero(t, c.Failed)
		require.Positive(t, c.ObjPerSec)
	}
	var out bytes.Buffer
	require.NoError(t, rep.WriteText(&out))
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	var header string
	for i, l := range lines {
		if strings.HasPrefix(l, "workload") {
			header = l
			require.Len(t, lines, i+2+len(workloads), "header, rule and one row per workload:\n%s", out.String())
			for j, w := range workloads {
				f := strings.Fields(lines[i+2+j])
				require.Equal(t, string(w), f[0])
				require.Len(t, f, 4, "workload, a, b, a/b")
				require.True(t, strings.HasSuffix(f[3], "x"), "ratio %q", f[3])
			}
		}
	}
	require.Equal(t, []string{"workload", "a", "b", "a/b"}, strings.Fields(header), "%s", out.String())
	require.Equal(t, 12, strings.Count(progress.String(), "\n"), "a progress line per run")
}

func TestCompareFailedTarget(t *testing.T) {
	var starts, stops atomic.Int32
	bad := bench.Target{Name: "down", Start: func(context.Context) (bench.Endpoint, error) {
		return bench.Endpoint{}, errors.New("cannot start")
	}}
	rep, err := bench.Compare(context.Background(), bench.CompareConfig{
		Targets:   []bench.Target{inProcessTarget(t, "up", &starts, &stops), bad},
		Workloads: []bench.Workload{bench.WorkloadPut},
		Base:      bench.Config{Concurrent: 1, ObjSize: 1 << 10, Duration: 100 * time.Millisecond},
	})
	require.NoError(t, err)
	require.Len(t, rep.Runs, 2)
	require.Equal(t, 1, rep.Cell(bench.WorkloadPut, "down").Failed)
	var out bytes.Buffer
	require.NoError(t, rep.WriteText(&out))
	require.Contains(t, out.String(), "failed")
	require.Contains(t, out.String(), "cannot start")

	_, err = bench.Compare(context.Background(), bench.CompareConfig{Targets: []bench.Target{bad, bad}})
	require.Error(t, err, "duplicate target names")
}

func TestParseEndpointURL(t *testing.T) {
	ep, err := bench.ParseEndpointURL("http://AK:SK@127.0.0.1:9000")
	require.NoError(t, err)
	require.Equal(t, bench.Endpoint{URL: "http://127.0.0.1:9000", AccessKey: "AK", SecretKey: "SK"}, ep)
	for _, s := range []string{"127.0.0.1:9000", "http://127.0.0.1:9000", "ftp://a:b@h:1", "http://AK@h:1"} {
		_, err := bench.ParseEndpointURL(s)
		require.Error(t, err, s)
	}
}

func TestCompareMinioClient(t *testing.T) {
	var starts, stops atomic.Int32
	rep, err := bench.Compare(context.Background(), bench.CompareConfig{
		Targets:   []bench.Target{inProcessTarget(t, "a", &starts, &stops), inProcessTarget(t, "b", &starts, &stops)},
		Workloads: []bench.Workload{bench.WorkloadPut, bench.WorkloadRetention},
		Base:      bench.Config{Client: bench.ClientMinio, Concurrent: 2, ObjSize: 1 << 10, Objects: 4, Duration: 150 * time.Millisecond},
	})
	require.NoError(t, err)
	require.Equal(t, bench.ClientMinio, rep.Client)
	require.Len(t, rep.Runs, 4)
	for _, r := range rep.Runs {
		require.Empty(t, r.Err, "%s %s", r.Workload, r.Target)
		require.Equal(t, bench.ClientMinio, r.Report.Client)
		require.Positive(t, r.Considered, "%s %s", r.Workload, r.Target)
		require.Zero(t, r.Errors, "%s %s", r.Workload, r.Target)
	}
	var out bytes.Buffer
	require.NoError(t, rep.WriteText(&out))
	first, _, _ := strings.Cut(out.String(), "\n")
	require.Contains(t, first, ", client minio.")

	_, err = bench.Compare(context.Background(), bench.CompareConfig{
		Targets:   []bench.Target{inProcessTarget(t, "a", &starts, &stops)},
		Workloads: []bench.Workload{bench.WorkloadPut},
		Base:      bench.Config{Client: "curl"},
	})
	require.ErrorContains(t, err, `unknown client "curl"`)
}
