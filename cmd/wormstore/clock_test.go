package main

import (
	"context"
	"encoding/json"
	"github.com/wormstore/wormstore/adminapi"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/stretchr/testify/require"
	"github.com/wormstore/wormstore/engine"
	"github.com/wormstore/wormstore/s3api/sigv4"
)

// testClock is a settable clock for the engine.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

func getBody(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

// TestClockBehindHighWaterReported checks that a clock set back behind the
// time high-water mark shows in the Prometheus gauge, as a warning in
// /health/ready (which stays 200), in GET /admin/v1/clock and in
// `wormstore admin clock`, and that none of them warn while the clock is
// not behind.
func TestClockBehindHighWaterReported(t *testing.T) {
	clearAdminEnv(t)
	t0 := time.Date(2026, 4, 1, 8, 0, 0, 0, time.UTC)
	clock := &testClock{t: t0}
	eng, err := engine.Open(context.Background(), engine.Options{FS: vfs.NewMem(), Dir: "/data", Clock: clock.Now,
		CompactionInterval: -1, ClockPersistInterval: time.Hour})
	require.NoError(t, err)
	api := adminapi.New(adminapi.Config{Region: "us-east-1", Root: sigv4.StaticCredentials{testAdminAK: testAdminSK}})
	api.Attach(eng)
	m := newMetrics()
	m.registerClock(eng)
	var ready atomic.Bool
	ready.Store(true)
	srv := httptest.NewServer(adminHandler(m, &ready, api))
	t.Cleanup(func() {
		srv.Close()
		api.Detach()
		require.NoError(t, eng.Close())
	})
	t.Setenv("WORMSTORE_ROOT_USER", testAdminAK)
	t.Setenv("WORMSTORE_ROOT_PASSWORD", testAdminSK)
	t.Setenv("WORMSTORE_ADMIN_ENDPOINT", srv.URL)

	// In step: no warning anywhere.
	status, body := getBody(t, srv.URL+"/health/ready")
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "ready\n", body)
	_, body = getBody(t, srv.URL+"/metrics")
	require.Contains(t, body, "\nwormstore_clock_behind_high_water_seconds 0\n")
	out, _, err := runAdmin(t, "clock")
	require.NoError(t, err)
	require.Regexp(t, `(?m)^Clock behind mark +0s$`, out)
	require.NotContains(t, out, "WARNING")

	// A forward jump is judged, then the clock is put back.
	clock.Set(t0.Add(time.Hour))
	eng.Now()
	clock.Set(t0.Add(time.Minute))

	status, body = getBody(t, srv.URL+"/health/ready")
	require.Equal(t, http.StatusOK, status, "reads and writes still work")
	require.Regexp(t, `^ready\nwarning: clock is 59m0s behind the time high-water mark 2026-04-01T09:00:00Z: `, body)
	_, body = getBody(t, srv.URL+"/metrics")
	require.Contains(t, body, "\nwormstore_clock_behind_high_water_seconds 3540\n")
	require.Contains(t, body, "\nwormstore_clock_high_water_timestamp_seconds 1.775034e+09\n")

	out, _, err = runAdmin(t, "clock")
	require.NoError(t, err)
	require.Regexp(t, `(?m)^Clock +2026-04-01T08:01:00Z$`, out)
	require.Regexp(t, `(?m)^High-water mark +2026-04-01T09:00:00Z$`, out)
	require.Regexp(t, `(?m)^Judged time +2026-04-01T09:00:00Z$`, out)
	require.Regexp(t, `(?m)^Clock behind mark +59m0s$`, out)
	require.Contains(t, out, "\nWARNING: clock is 59m0s behind the time high-water mark")

	out, _, err = runAdmin(t, "clock", "--json")
	require.NoError(t, err)
	var got adminapi.Clock
	require.NoError(t, json.Unmarshal([]byte(out), &got))
	require.Equal(t, t0.Add(time.Minute), got.Clock)
	require.Equal(t, t0.Add(time.Hour), got.HighWater)
	require.Equal(t, t0.Add(time.Hour), got.Judged)
	require.Equal(t, 3540.0, got.BehindSeconds)
	require.NotEmpty(t, got.Warning)

	// Caught up: the warnings are gone.
	clock.Set(t0.Add(2 * time.Hour))
	_, body = getBody(t, srv.URL+"/health/ready")
	require.Equal(t, "ready\n", body)
}
