package engine

import (
	"bytes"
	"context"
	"crypto/md5"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/stretchr/testify/require"
)

// fakeClock is a settable clock for retention tests.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// testOptions are small enough that segments seal and WAL files rotate in
// tests.
func testOptions(fs vfs.FS, clock *fakeClock) Options {
	return Options{
		FS:                   fs,
		Dir:                  "/data",
		Clock:                clock.Now,
		SegmentSize:          64 << 10,
		BlockSize:            4 << 10,
		WALSegmentSize:       16 << 10,
		MinPartSize:          8 << 10,
		CompactionInterval:   -1,
		ClockPersistInterval: time.Hour,
		// Deterministic I/O for crash-point tests: the audit log is
		// written by reads, checkpoints and Close (and by the background
		// flusher's own test, TestAuditBackgroundFlush).
		AuditFlushInterval: time.Hour,
	}
}

// openTest opens an engine on fs and, at cleanup, verifies it is
// consistent and closes it.
func openTest(t testing.TB, opts Options) *Engine {
	t.Helper()
	e, err := Open(context.Background(), opts)
	require.NoError(t, err)
	t.Cleanup(func() {
		if e.closed.Load() {
			return
		}
		checkEngine(t, e)
		require.NoError(t, e.Close())
	})
	return e
}

// checkEngine runs Verify and fails the test on any problem.
func checkEngine(t testing.TB, e *Engine) {
	t.Helper()
	rep, err := e.Verify(context.Background(), nil)
	require.NoError(t, err)
	for _, p := range rep.Problems {
		t.Errorf("verify: %s", p)
	}
}

func put(t testing.TB, e *Engine, bucket, key string, data []byte) *ObjectInfo {
	t.Helper()
	info, err := e.PutObject(context.Background(), bucket, key, bytes.NewReader(data), PutOptions{Size: int64(len(data))})
	require.NoError(t, err)
	return info
}

func get(t testing.TB, e *Engine, bucket, key, vid string) []byte {
	t.Helper()
	data, err := readObject(e, bucket, key, vid)
	require.NoError(t, err)
	return data
}

func readObject(e *Engine, bucket, key, vid string) ([]byte, error) {
	o, err := e.OpenObject(context.Background(), bucket, key, vid)
	if err != nil {
		return nil, err
	}
	rc, err := o.NewReader(0, o.Info.Size)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

func randBytes(seed, n int) []byte {
	b := make([]byte, n)
	x := uint64(seed)*0x9E3779B97F4A7C15 + 1
	for i := range b {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		b[i] = byte(x)
	}
	return b
}

// textBytes is compressible data.
func textBytes(seed, n int) []byte {
	words := []string{"alpha ", "beta ", "gamma ", "delta ", "archive ", "retention "}
	var b bytes.Buffer
	for i := 0; b.Len() < n; i++ {
		b.WriteString(words[(i*7+seed)%len(words)])
	}
	return b.Bytes()[:n]
}

func md5sum(b []byte) []byte {
	s := md5.Sum(b)
	return s[:]
}
