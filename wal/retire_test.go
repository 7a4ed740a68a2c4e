package wal

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/stretchr/testify/require"
)

// writeRecords commits n test payloads to l.
func writeRecords(t testing.TB, l *Log, from, n int) {
	t.Helper()
	for i := from; i < from+n; i++ {
		_, err := l.Commit(testPayload(i))
		require.NoError(t, err)
	}
}

// replayArchiveAndLive returns every record: the archived ones, then the
// live ones, checking contiguity from 1.
func replayArchiveAndLive(t testing.TB, fs vfs.FS, l *Log) []record {
	t.Helper()
	a, err := OpenArchive(fs, testDir)
	require.NoError(t, err)
	var recs []record
	want := LSN(1)
	fn := func(lsn LSN, p []byte) error {
		if lsn != want {
			return fmt.Errorf("replayed LSN %d, want %d", lsn, want)
		}
		want++
		recs = append(recs, record{lsn, append([]byte{}, p...)})
		return nil
	}
	first := l.FirstLSN()
	require.NoError(t, a.Replay(1, first-1, fn))
	require.NoError(t, l.Replay(first, fn))
	return recs
}

func checkAllRecords(t testing.TB, recs []record, n int) {
	t.Helper()
	require.Len(t, recs, n)
	for i, r := range recs {
		require.Equal(t, LSN(i+1), r.lsn)
		require.Equal(t, testPayload(i), r.payload, "payload of LSN %d", r.lsn)
	}
}

// TestRetireArchivesAndReopen: retired files move to archive/, the live
// log starts after them across a reopen, Replay below it is ErrRetired,
// and archive + live still hold every record.
func TestRetireArchivesAndReopen(t *testing.T) {
	fs := vfs.NewMem()
	opts := Options{SegmentSize: 1 << 10}
	l := openLog(t, fs, opts)
	writeRecords(t, l, 0, 300)
	require.Greater(t, len(walFiles(t, fs, testDir)), 5)

	moved, err := l.Retire(150)
	require.NoError(t, err)
	require.NotEmpty(t, moved)
	for _, m := range moved {
		require.LessOrEqual(t, m.Last, LSN(150), "retired %s holds LSN %d above the limit", m.Name, m.Last)
	}
	first := l.FirstLSN()
	require.Equal(t, moved[len(moved)-1].Last+1, first)
	require.Greater(t, first, LSN(1))
	require.LessOrEqual(t, first, LSN(151))
	require.Len(t, walFiles(t, fs, testDir+"/archive"), len(moved))

	err = l.Replay(1, func(LSN, []byte) error { return nil })
	require.ErrorIs(t, err, ErrRetired)
	checkAllRecords(t, replayArchiveAndLive(t, fs, l), 300)

	// Appends continue; a reopen accepts the live log starting at first.
	writeRecords(t, l, 300, 20)
	require.NoError(t, l.Close())
	l = openLog(t, fs, opts)
	require.Equal(t, first, l.FirstLSN())
	require.Equal(t, LSN(320), l.LastLSN())
	checkAllRecords(t, replayArchiveAndLive(t, fs, l), 320)

	a, err := OpenArchive(fs, testDir)
	require.NoError(t, err)
	require.Equal(t, moved, a.Files())
}

// TestRetireNeverAboveLimit: for every limit, no retired file holds a
// record above it, the newest file is never retired, and the live log
// keeps every record above the limit.
func TestRetireNeverAboveLimit(t *testing.T) {
	for _, limit := range []LSN{0, 1, 7, 40, 99, 100, 199, 200, 500} {
		t.Run(fmt.Sprint(limit), func(t *testing.T) {
			fs := vfs.NewMem()
			l := openLog(t, fs, Options{SegmentSize: 1 << 10})
			writeRecords(t, l, 0, 200)
			live := walFiles(t, fs, testDir)
			moved, err := l.Retire(limit)
			require.NoError(t, err)
			for _, m := range moved {
				require.LessOrEqual(t, m.Last, limit)
				require.NotEqual(t, live[len(live)-1], m.Name, "newest file retired")
			}
			require.LessOrEqual(t, l.FirstLSN(), limit+1)
			require.NotEmpty(t, walFiles(t, fs, testDir))
			got := replayAll(t, l, l.FirstLSN())
			require.Equal(t, LSN(200), got[len(got)-1].lsn)
		})
	}
}

// TestRetireGapRefused: with files retired, a missing first live file, a
// missing RETIRED marker, or a damaged marker stops Open with ErrCorrupt.
func TestRetireGapRefused(t *testing.T) {
	setup := func(t *testing.T) *vfs.MemFS {
		fs := vfs.NewMem()
		l := openLog(t, fs, Options{SegmentSize: 1 << 10})
		writeRecords(t, l, 0, 200)
		_, err := l.Retire(100)
		require.NoError(t, err)
		require.NoError(t, l.Close())
		return fs
	}
	cases := []struct {
		name   string
		damage func(t *testing.T, fs *vfs.MemFS)
	}{
		{"first live file missing", func(t *testing.T, fs *vfs.MemFS) {
			require.NoError(t, fs.Remove(testDir+"/"+walFiles(t, fs, testDir)[0]))
		}},
		{"marker missing", func(t *testing.T, fs *vfs.MemFS) {
			require.NoError(t, fs.Remove(testDir+"/"+RetiredFileName))
		}},
		{"marker damaged", func(t *testing.T, fs *vfs.MemFS) {
			b, err := fs.UnsafeGetFileDataBuffer(testDir + "/" + RetiredFileName)
			require.NoError(t, err)
			b[9] ^= 1
		}},
		{"marker claims more", func(t *testing.T, fs *vfs.MemFS) {
			require.NoError(t, writeRetired(fs, testDir, 190))
		}},
		{"archived file back in the live dir with a gap", func(t *testing.T, fs *vfs.MemFS) {
			arch := walFiles(t, fs, testDir+"/archive")
			require.NoError(t, fs.Rename(testDir+"/archive/"+arch[0], testDir+"/"+arch[0]))
			require.NoError(t, fs.Remove(testDir+"/"+walFiles(t, fs, testDir)[1]))
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fs := setup(t)
			tc.damage(t, fs)
			_, err := Open(Options{FS: fs, Dir: testDir})
			require.ErrorIs(t, err, ErrCorrupt)
		})
	}
}

// TestArchiveReplayDetectsGap: an archive missing a middle file is
// ErrCorrupt on Replay, not a silent skip.
func TestArchiveReplayDetectsGap(t *testing.T) {
	fs := vfs.NewMem()
	l := openLog(t, fs, Options{SegmentSize: 1 << 10})
	writeRecords(t, l, 0, 200)
	moved, err := l.Retire(150)
	require.NoError(t, err)
	require.Greater(t, len(moved), 2)
	require.NoError(t, fs.Remove(testDir+"/archive/"+moved[1].Name))
	a, err := OpenArchive(fs, testDir)
	require.NoError(t, err)
	err = a.Replay(1, l.FirstLSN()-1, func(LSN, []byte) error { return nil })
	require.ErrorIs(t, err, ErrCorrupt)
	// Removing the oldest file only shortens what the archive covers.
	require.NoError(t, fs.Remove(testDir+"/archive/"+moved[0].Name))
	a, err = OpenArchive(fs, testDir)
	require.NoError(t, err)
	require.False(t, a.Covers(1, 10))
}

// crashFS calls hook before every mutating directory operation, so a test
// can take a crash image at each step of a multi-step operation.
type crashFS struct {
	vfs.FS
	hook func()
}

func (c crashFS) Rename(o, n string) error { c.hook(); return c.FS.Rename(o, n) }
func (c crashFS) Remove(n string) error    { c.hook(); return c.FS.Remove(n) }
func (c crashFS) Create(n string, cat vfs.DiskWriteCategory) (vfs.File, error) {
	c.hook()
	return c.FS.Create(n, cat)
}

// TestRetireCrash takes a crash image before every file operation of
// Retire (with and without unsynced data surviving); each image opens, and
// archive plus live log still hold every record with no gap.
func TestRetireCrash(t *testing.T) {
	mem := vfs.NewCrashableMem()
	var images []*vfs.MemFS
	rng := rand.New(rand.NewPCG(1, 2))
	armed := false
	fs := crashFS{FS: mem, hook: func() {
		if armed {
			images = append(images, mem.CrashClone(vfs.CrashCloneCfg{}),
				mem.CrashClone(vfs.CrashCloneCfg{UnsyncedDataPercent: 50, RNG: rng}))
		}
	}}
	l := openLog(t, fs, Options{SegmentSize: 1 << 10})
	writeRecords(t, l, 0, 200)
	armed = true
	_, err := l.Retire(120)
	require.NoError(t, err)
	armed = false
	images = append(images, mem.CrashClone(vfs.CrashCloneCfg{}))
	require.Greater(t, len(images), 4)
	for i, img := range images {
		l, err := Open(Options{FS: img, Dir: testDir})
		require.NoError(t, err, "image %d", i)
		checkAllRecords(t, replayArchiveAndLive(t, img, l), 200)
		require.NoError(t, l.Close())
	}
}

// TestRemoveArchived removes only files wholly at or below the limit.
func TestRemoveArchived(t *testing.T) {
	fs := vfs.NewMem()
	l := openLog(t, fs, Options{SegmentSize: 1 << 10})
	writeRecords(t, l, 0, 200)
	moved, err := l.Retire(150)
	require.NoError(t, err)
	limit := moved[1].Last + 1 // inside moved[2]
	gone, err := RemoveArchived(fs, testDir, limit)
	require.NoError(t, err)
	require.Equal(t, moved[:2], gone)
	a, err := OpenArchive(fs, testDir)
	require.NoError(t, err)
	require.Equal(t, moved[2:], a.Files())
	require.True(t, a.Covers(moved[2].First, l.FirstLSN()-1))
}
