package wal

import (
	"bytes"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/stretchr/testify/require"
	"github.com/wormstore/wormstore/internal/fsx/fsxtest"
)

// bigTornLog writes a one-file log of about 4 MiB on a crashable MemFS and
// appends a torn tail (a zero-filled region after a partial record, what a
// crash during an unsynced batch leaves). It returns the records and the
// size of the valid prefix.
func bigTornLog(t testing.TB) (*vfs.MemFS, []record, string, int64) {
	t.Helper()
	mem := vfs.NewCrashableMem()
	l, err := Open(Options{FS: mem, Dir: testDir, SegmentSize: 64 << 20})
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(3, 3))
	var recs []record
	for i := range 1000 {
		p := make([]byte, 4096)
		for j := range p {
			p[j] = byte(rng.Uint32())
		}
		p[0] = byte(i)
		lsn, err := l.Append(p)
		require.NoError(t, err)
		recs = append(recs, record{lsn, p})
	}
	require.NoError(t, l.Sync(recs[len(recs)-1].lsn))
	require.NoError(t, l.Close())
	names := walFiles(t, mem, testDir)
	require.Len(t, names, 1)
	path := mem.PathJoin(testDir, names[0])
	f, err := mem.OpenReadWrite(path, vfs.WriteCategoryUnspecified)
	require.NoError(t, err)
	st, err := f.Stat()
	require.NoError(t, err)
	valid := st.Size()
	// The first 300 bytes of the last record again, then zeros: a record
	// whose tail never landed.
	last := readFile(t, mem, path)[valid-recordHeaderSize-4096:]
	tail := append(bytes.Clone(last[:300]), make([]byte, 8192)...)
	_, err = f.WriteAt(tail, valid)
	require.NoError(t, err)
	require.NoError(t, f.Sync())
	require.NoError(t, f.Close())
	return mem.CrashClone(vfs.CrashCloneCfg{}), recs, names[0], valid
}

type logBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestRecoverFullDisk: a torn tail on a 4 MiB log file is cut in place on
// a disk with only 4 KiB free (the copy it used to make needs 4 MiB), Open
// leaves no temporary file, and the log takes new records.
func TestRecoverFullDisk(t *testing.T) {
	mem, recs, name, valid := bigTornLog(t)
	fs := fsxtest.New(mem)
	fs.SetBudget(4 << 10)
	var logs logBuf
	l, err := Open(Options{FS: fs, Dir: testDir, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	require.NoError(t, err)
	require.Equal(t, 1, fs.Truncates())
	require.Contains(t, logs.String(), "method=\"in place\"")
	require.Equal(t, recs, replayAll(t, l, 0))
	lsn, err := l.Commit([]byte("after a full disk"))
	require.NoError(t, err)
	require.Equal(t, LSN(len(recs)+1), lsn)
	require.NoError(t, l.Close())

	st, err := mem.Stat(mem.PathJoin(testDir, name))
	require.NoError(t, err)
	require.Equal(t, valid, st.Size(), "cut at the valid prefix")
	names, err := mem.List(testDir)
	require.NoError(t, err)
	for _, n := range names {
		require.False(t, strings.HasSuffix(n, tmpSuffix), "left %s", n)
	}
	// A crash right now keeps the cut and the new record.
	crashed := mem.CrashClone(vfs.CrashCloneCfg{})
	l, err = Open(Options{FS: crashed, Dir: testDir})
	require.NoError(t, err)
	got := replayAll(t, l, 0)
	require.Len(t, got, len(recs)+1)
	require.Equal(t, recs, got[:len(recs)])
	require.NoError(t, l.Close())
}

// TestRecoverCopyFallback: on a FS whose files cannot be truncated in
// place, the torn tail is still cut (by copying the prefix) and the log
// says so.
func TestRecoverCopyFallback(t *testing.T) {
	mem, recs, name, valid := bigTornLog(t)
	var logs logBuf
	l, err := Open(Options{FS: mem, Dir: testDir, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	require.NoError(t, err)
	require.Equal(t, recs, replayAll(t, l, 0))
	require.NoError(t, l.Close())
	require.Contains(t, logs.String(), "cannot truncate in place")
	require.Contains(t, logs.String(), "method=copy")
	st, err := mem.Stat(mem.PathJoin(testDir, name))
	require.NoError(t, err)
	require.Equal(t, valid, st.Size())
}

// TestRecoverInPlaceCrash crashes before every mutating step of an
// in-place tail cut (the truncate, the file sync that makes it durable)
// and of the commits after it; every crash image recovers the same valid
// prefix plus the acknowledged commits.
func TestRecoverInPlaceCrash(t *testing.T) {
	mem, recs, _, _ := bigTornLog(t)
	rng := rand.New(rand.NewPCG(5, 5))
	n, err := checkRecoveryCrashes(mem, recs, rng, true)
	require.NoError(t, err)
	require.Equal(t, 1, n, "the tail was cut in place")
}

// TestRecoverInPlaceDefaultFS: on the FS the server uses (pebble's default,
// a real directory) the torn tail is cut in place, not copied.
func TestRecoverInPlaceDefaultFS(t *testing.T) {
	mem, recs, name, valid := bigTornLog(t)
	dir := t.TempDir()
	_, err := vfs.Clone(mem, vfs.Default, testDir, dir)
	require.NoError(t, err)
	var logs logBuf
	l, err := Open(Options{FS: vfs.Default, Dir: dir, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	require.NoError(t, err)
	require.Equal(t, recs, replayAll(t, l, 0))
	require.NoError(t, l.Close())
	require.Contains(t, logs.String(), "method=\"in place\"")
	require.NotContains(t, logs.String(), "cannot truncate in place")
	st, err := vfs.Default.Stat(vfs.Default.PathJoin(dir, name))
	require.NoError(t, err)
	require.Equal(t, valid, st.Size())
}
