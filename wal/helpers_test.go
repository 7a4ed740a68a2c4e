package wal

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/stretchr/testify/require"
)

const testDir = "/db/wal"

// record is one replayed record.
type record struct {
	lsn     LSN
	payload []byte
}

// openLog opens a log in testDir on fs and closes it at cleanup unless the
// test closed it.
func openLog(t testing.TB, fs vfs.FS, opts Options) *Log {
	t.Helper()
	opts.FS = fs
	if opts.Dir == "" {
		opts.Dir = testDir
	}
	l, err := Open(opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	return l
}

// replayAll returns every record Replay(from) yields, checking LSNs are
// contiguous from max(from, 1).
func replayAll(t testing.TB, l *Log, from LSN) []record {
	t.Helper()
	recs := []record{}
	want := max(from, 1)
	err := l.Replay(from, func(lsn LSN, payload []byte) error {
		if lsn != want {
			return fmt.Errorf("replayed LSN %d, want %d", lsn, want)
		}
		want++
		recs = append(recs, record{lsn, append([]byte{}, payload...)})
		return nil
	})
	require.NoError(t, err)
	return recs
}

// testPayload returns a deterministic payload for record i of a test,
// with varied lengths (including empty).
func testPayload(i int) []byte {
	n := (i * 37) % 300
	if i%50 == 7 {
		n = 5000 + i
	}
	p := make([]byte, n)
	for j := range p {
		p[j] = byte(i*131 + j*7)
	}
	return p
}

// walFiles returns the sorted names of the log files in dir.
func walFiles(t testing.TB, fs vfs.FS, dir string) []string {
	t.Helper()
	names, err := fs.List(dir)
	require.NoError(t, err)
	var out []string
	for _, n := range names {
		if strings.HasSuffix(n, fileSuffix) {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

// readFile returns the contents of path on fs.
func readFile(t testing.TB, fs vfs.FS, path string) []byte {
	t.Helper()
	f, err := fs.Open(path)
	require.NoError(t, err)
	defer f.Close()
	st, err := f.Stat()
	require.NoError(t, err)
	b := make([]byte, st.Size())
	if len(b) > 0 {
		_, err = f.ReadAt(b, 0)
		require.NoError(t, err)
	}
	return b
}

// writeFile creates path on fs with contents b, synced.
func writeFile(t testing.TB, fs vfs.FS, path string, b []byte) {
	t.Helper()
	require.NoError(t, fs.MkdirAll(fs.PathDir(path), 0o755))
	f, err := fs.Create(path, vfs.WriteCategoryUnspecified)
	require.NoError(t, err)
	_, err = f.Write(bytes.Clone(b))
	require.NoError(t, err)
	require.NoError(t, f.Sync())
	require.NoError(t, f.Close())
	require.NoError(t, syncDir(fs, fs.PathDir(path)))
}

// syncCounter counts OnSync calls.
type syncCounter struct {
	mu      sync.Mutex
	syncs   int // data fsyncs (records > 0)
	dirs    int // directory fsyncs
	records int
}

func (c *syncCounter) hook() func(d time.Duration, records int) {
	return func(_ time.Duration, records int) {
		c.mu.Lock()
		defer c.mu.Unlock()
		if records == 0 {
			c.dirs++
			return
		}
		c.syncs++
		c.records += records
	}
}

func (c *syncCounter) counts() (syncs, dirs, records int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.syncs, c.dirs, c.records
}
