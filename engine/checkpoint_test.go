package engine

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/stretchr/testify/require"
	"github.com/wormstore/wormstore/wal"
)

// morePuts writes n overwrites of a few keys, some locked.
func morePuts(t *testing.T, e *Engine, round, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		put(t, e, "plain", fmt.Sprintf("r%d/%d", round, i%9), randBytes(round*1000+i, 300+i))
		v := put(t, e, "lk", fmt.Sprintf("r%d/l%d", round, i%4), textBytes(i, 100+i))
		if i%5 == 0 {
			_, err := e.PutObjectLegalHold(ctx, "lk", v.Key, v.VersionID, true)
			require.NoError(t, err)
		}
	}
}

func listDir(t *testing.T, fs vfs.FS, dir string) []string {
	t.Helper()
	names, err := fs.List(dir)
	if oserrorIsNotExist(err) {
		return nil
	}
	require.NoError(t, err)
	slices.Sort(names)
	return names
}

func walNames(t *testing.T, fs vfs.FS, dir string) []string {
	var out []string
	for _, n := range listDir(t, fs, dir) {
		if strings.HasSuffix(n, ".wal") {
			out = append(out, n)
		}
	}
	return out
}

// TestCheckpointRetireRebuildIdentical: checkpoint, retire, write more,
// reopen and rebuild: the index is identical to the one before, every
// version and lock state included, and the rebuild needed neither the
// retired files (the archive is moved away) nor a replay from LSN 1.
func TestCheckpointRetireRebuildIdentical(t *testing.T) {
	e, opts, fs := openPopulated(t)
	res, err := e.Checkpoint(ctx)
	require.NoError(t, err)
	require.True(t, res.New)
	require.Equal(t, uint64(e.wal.LastLSN()), res.Checkpoint.LSN)
	require.Zero(t, res.Checkpoint.Base, "the first checkpoint is verified against the whole wal")
	require.NotEmpty(t, res.Retired)
	for _, r := range res.Retired {
		require.LessOrEqual(t, uint64(r.Last), res.Checkpoint.LSN)
	}
	require.Greater(t, e.wal.FirstLSN(), wal.LSN(1))

	// Nothing new: no new checkpoint.
	again, err := e.Checkpoint(ctx)
	require.NoError(t, err)
	require.False(t, again.New)
	require.Equal(t, res.Checkpoint.LSN, again.Checkpoint.LSN)

	morePuts(t, e, 1, 40)
	res2, err := e.Checkpoint(ctx)
	require.NoError(t, err)
	require.True(t, res2.New)
	require.Equal(t, res.Checkpoint.LSN, res2.Checkpoint.Base, "verified incrementally from the previous checkpoint")
	morePuts(t, e, 2, 20)
	checkEngine(t, e)
	before := dumpIndex(t, e.db)
	require.NoError(t, e.Close())

	// Reopen: the live wal starts after the retired files.
	e = openTest(t, opts)
	require.Equal(t, before, dumpIndex(t, e.db))
	require.NoError(t, e.Close())

	// Rebuild without the archive: only possible from a checkpoint.
	require.NoError(t, fs.Rename("/data/wal/archive", "/offbox"))
	require.NoError(t, Rebuild(ctx, opts))
	e = openTest(t, opts)
	require.Equal(t, before, dumpIndex(t, e.db), "rebuilt index differs")
	require.Greater(t, len(before), 50)
}

// TestRebuildFromArchiveWithoutCheckpoint: with every checkpoint gone but
// the archive present, Rebuild replays archive plus live wal; with the
// archive gone too it refuses (ErrWALRetired) instead of building a
// partial index.
func TestRebuildFromArchiveWithoutCheckpoint(t *testing.T) {
	e, opts, fs := openPopulated(t)
	_, err := e.Checkpoint(ctx)
	require.NoError(t, err)
	morePuts(t, e, 1, 10)
	before := dumpIndex(t, e.db)
	require.NoError(t, e.Close())

	require.NoError(t, fs.RemoveAll("/data/checkpoints"))
	require.NoError(t, Rebuild(ctx, opts))
	e, err = Open(ctx, opts)
	require.NoError(t, err)
	require.Equal(t, before, dumpIndex(t, e.db))
	checkEngine(t, e)
	require.NoError(t, e.Close())

	require.NoError(t, fs.RemoveAll("/data/wal/archive"))
	err = Rebuild(ctx, opts)
	require.ErrorIs(t, err, ErrWALRetired)
	// The same for a lost index at open.
	require.NoError(t, fs.RemoveAll("/data/index"))
	_, err = Open(ctx, opts)
	require.ErrorIs(t, err, ErrWALRetired)
}

// TestCheckpointCorruptSkipped flips one byte in a file of the newest
// checkpoint (its manifest, Pebble's MANIFEST, an sstable only it holds):
// Verify reports it, and Rebuild and the next Checkpoint skip it and fall
// back to the older checkpoint, never using it.
func TestCheckpointCorruptSkipped(t *testing.T) {
	for _, target := range []string{"CHECKPOINT", "MANIFEST", "sst", "OPTIONS"} {
		t.Run(target, func(t *testing.T) {
			e, opts, fs := openPopulated(t)
			r1, err := e.Checkpoint(ctx)
			require.NoError(t, err)
			morePuts(t, e, 1, 30)
			r2, err := e.Checkpoint(ctx)
			require.NoError(t, err)
			require.True(t, r2.New)
			morePuts(t, e, 2, 5)
			before := dumpIndex(t, e.db)
			require.NoError(t, e.Close())

			older := listDir(t, fs, e.ckptDir(r1.Checkpoint.LSN))
			dir := e.ckptDir(r2.Checkpoint.LSN)
			var victim string
			for _, n := range listDir(t, fs, dir) {
				switch {
				case target == "sst" && strings.HasSuffix(n, ".sst") && !slices.Contains(older, n),
					target != "sst" && strings.HasPrefix(n, target):
					victim = n
				}
			}
			require.NotEmpty(t, victim, "no %s file in %v", target, listDir(t, fs, dir))
			// Rewrite the file (breaking a hard link to the live index) with
			// one byte flipped.
			path := dir + "/" + victim
			data, err := fs.UnsafeGetFileDataBuffer(path)
			require.NoError(t, err)
			data = slices.Clone(data)
			data[len(data)/2] ^= 0x10
			require.NoError(t, fs.Remove(path))
			f, err := fs.Create(path, vfs.WriteCategoryUnspecified)
			require.NoError(t, err)
			_, err = f.Write(data)
			require.NoError(t, err)
			require.NoError(t, f.Close())

			e, err = Open(ctx, opts)
			require.NoError(t, err)
			_, err = e.verifyCheckpoint(ctx, r2.Checkpoint.LSN)
			require.ErrorIs(t, err, ErrCheckpointCorrupt)
			rep, err := e.Verify(ctx, nil)
			require.NoError(t, err)
			require.Len(t, rep.Problems, 1, "%v", rep.Problems)
			require.Equal(t, "checkpoint", rep.Problems[0].Kind)
			require.NoError(t, e.Close())

			require.NoError(t, Rebuild(ctx, opts))
			e = openTest(t, opts)
			require.Equal(t, before, dumpIndex(t, e.db))
			r3, err := e.Checkpoint(ctx)
			require.NoError(t, err)
			require.True(t, r3.New)
			require.Equal(t, r1.Checkpoint.LSN, r3.Checkpoint.Base, "verified against the intact older checkpoint")
			require.Equal(t, []uint64{r2.Checkpoint.LSN}, r3.Pruned, "the corrupt checkpoint goes, the intact one stays")
		})
	}
}

// TestRetireNeverAboveOldestCheckpoint: with CheckpointKeep 2, archived
// files never hold a record above the older of the two checkpoints, so
// the live wal can rebuild from either.
func TestRetireNeverAboveOldestCheckpoint(t *testing.T) {
	clock := newFakeClock()
	fs := vfs.NewMem()
	e := openTest(t, testOptions(fs, clock))
	populate(t, e, clock)
	var lsns []uint64
	for round := 1; round <= 4; round++ {
		res, err := e.Checkpoint(ctx)
		require.NoError(t, err)
		lsns = append(lsns, res.Checkpoint.LSN)
		limit := lsns[max(len(lsns)-2, 0)]
		arch, err := e.ArchivedWAL()
		require.NoError(t, err)
		for _, f := range arch {
			require.LessOrEqual(t, uint64(f.Last), limit, "round %d: %s", round, f.Name)
		}
		require.LessOrEqual(t, uint64(e.wal.FirstLSN()), limit+1)
		cps, err := e.Checkpoints()
		require.NoError(t, err)
		require.LessOrEqual(t, len(cps), 2)
		morePuts(t, e, round, 30)
	}
	require.NotEmpty(t, walNames(t, fs, "/data/wal/archive"))
}

// TestRemoveArchivedWALNeedsVerifiedCheckpoint: archived files go only
// when a checkpoint that verifies now covers them.
func TestRemoveArchivedWALNeedsVerifiedCheckpoint(t *testing.T) {
	clock := newFakeClock()
	fs := vfs.NewMem()
	opts := testOptions(fs, clock)
	opts.CheckpointKeep = 1
	e := openTest(t, opts)
	populate(t, e, clock)
	res, err := e.Checkpoint(ctx)
	require.NoError(t, err)
	arch := walNames(t, fs, "/data/wal/archive")
	require.NotEmpty(t, arch)

	// Corrupt the only checkpoint: nothing may be deleted.
	m := e.ckptDir(res.Checkpoint.LSN) + "/" + ckptManifest
	data, err := fs.UnsafeGetFileDataBuffer(m)
	require.NoError(t, err)
	data[14] ^= 1
	_, err = e.RemoveArchivedWAL(ctx)
	require.ErrorIs(t, err, ErrCheckpointCorrupt)
	require.Equal(t, arch, walNames(t, fs, "/data/wal/archive"))
	data[14] ^= 1

	gone, err := e.RemoveArchivedWAL(ctx)
	require.NoError(t, err)
	require.Len(t, gone, len(arch))
	for _, g := range gone {
		require.LessOrEqual(t, uint64(g.Last), res.Checkpoint.LSN)
	}
	require.Empty(t, walNames(t, fs, "/data/wal/archive"))
}

// hookFS calls hook before each file operation that publishes or removes
// a name.
// hookFS calls hook before each namespace-changing operation, with the
// path it changes.
type hookFS struct {
	vfs.FS
	hook func(path string)
}

func (h hookFS) Create(n string, c vfs.DiskWriteCategory) (vfs.File, error) {
	h.hook(n)
	return h.FS.Create(n, c)
}
func (h hookFS) Rename(o, n string) error { h.hook(n); return h.FS.Rename(o, n) }
func (h hookFS) Remove(n string) error    { h.hook(n); return h.FS.Remove(n) }
func (h hookFS) RemoveAll(n string) error { h.hook(n); return h.FS.RemoveAll(n) }
func (h hookFS) Link(o, n string) error   { h.hook(n); return h.FS.Link(o, n) }

// TestCheckpointCrash takes crash images (synced data only, and with half
// the unsynced data) before file operations throughout a checkpoint with
// retirement; every image opens with every acknowledged record, verifies
// clean, and rebuilds to the same index.
func TestCheckpointCrash(t *testing.T) {
	clock := newFakeClock()
	mem := vfs.NewCrashableMem()
	rng := rand.New(rand.NewPCG(7, 7))
	var (
		mu     sync.Mutex // guards images, armed, step
		images []*vfs.MemFS
		armed  bool
		step   int
	)
	fs := hookFS{FS: mem, hook: func(path string) {
		// Pebble's own background work in index/ (flushes, compactions)
		// runs on other goroutines; cloning from inside it can deadlock
		// against the checkpoint's file operations, and Pebble's crash
		// safety is not what this test checks. Image the checkpoint's,
		// retirement's and the WAL's steps.
		if strings.HasPrefix(path, "/data/index/") {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if !armed {
			return
		}
		step++
		images = append(images, mem.CrashClone(vfs.CrashCloneCfg{}))
		if step%3 == 0 {
			images = append(images, mem.CrashClone(vfs.CrashCloneCfg{UnsyncedDataPercent: 50, RNG: rng}))
		}
	}}
	opts := testOptions(fs, clock)
	opts.CheckpointKeep = 1 // so the second checkpoint retires files and prunes the first
	e, err := Open(ctx, opts)
	require.NoError(t, err)
	populate(t, e, clock)
	_, err = e.Checkpoint(ctx)
	require.NoError(t, err)
	morePuts(t, e, 1, 30)
	want := dumpIndex(t, e.db)
	mu.Lock()
	armed = true
	mu.Unlock()
	res, err := e.Checkpoint(ctx)
	require.NoError(t, err)
	require.NotEmpty(t, res.Retired)
	mu.Lock()
	armed = false
	mu.Unlock()
	images = append(images, mem.CrashClone(vfs.CrashCloneCfg{}))
	require.NoError(t, e.Close())
	t.Logf("%d crash images over %d steps", len(images), step)
	require.Greater(t, len(images), 10)

	for i, img := range images {
		o := opts
		o.FS = img
		e, err := Open(ctx, o)
		require.NoError(t, err, "image %d", i)
		require.Equal(t, want, dumpIndex(t, e.db), "image %d", i)
		checkEngine(t, e)
		// A checkpoint after the crash works (leftovers are cleaned up).
		_, err = e.Checkpoint(ctx)
		require.NoError(t, err, "image %d", i)
		require.NoError(t, e.Close())
		require.NoError(t, Rebuild(ctx, o), "image %d", i)
		e, err = Open(ctx, o)
		require.NoError(t, err)
		require.Equal(t, want, dumpIndex(t, e.db), "image %d after rebuild", i)
		require.NoError(t, e.Close())
	}
}

// TestCheckpointMismatchNotPublished: an index entry no WAL record
// explains makes Checkpoint fail with ErrCheckpointMismatch and publish
// nothing.
func TestCheckpointMismatchNotPublished(t *testing.T) {
	clock := newFakeClock()
	fs := vfs.NewMem()
	e, err := Open(ctx, testOptions(fs, clock))
	require.NoError(t, err)
	defer e.Close()
	require.NoError(t, e.CreateBucket(ctx, "b", CreateBucketOptions{}))
	put(t, e, "b", "k", []byte("x"))
	require.NoError(t, e.db.Set([]byte("Bbogus"), []byte(`{}`), pebble.NoSync))
	_, err = e.Checkpoint(ctx)
	require.ErrorIs(t, err, ErrCheckpointMismatch)
	cps, err := e.Checkpoints()
	require.NoError(t, err)
	require.Empty(t, cps)
	require.Equal(t, wal.LSN(1), e.wal.FirstLSN())
}
