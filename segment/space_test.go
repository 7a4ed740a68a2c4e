package segment

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"
	"github.com/stretchr/testify/require"
	"github.com/wormstore/wormstore/internal/fsx/fsxtest"
)

// bigTornSegment leaves, on a crashable MemFS, one unsealed segment holding
// a synced 6 MiB object followed by a torn frame (a crash during the next
// write). It returns the crash image, the object, and the valid length.
func bigTornSegment(t *testing.T, opts Options) (*vfs.MemFS, []byte, []Extent, int64) {
	t.Helper()
	mem := vfs.NewCrashableMem()
	s := openTest(t, mem, opts)
	data := randomBytes(rand.New(rand.NewPCG(21, 21)), 6<<20)
	exts := writeObject(t, s, data, 0)
	require.NoError(t, s.Sync(exts))
	clone := mem.CrashClone(vfs.CrashCloneCfg{}) // unsealed
	path := clone.PathJoin(testDir, segName(exts[0].Seg))
	f, err := clone.OpenReadWrite(path, vfs.WriteCategoryUnspecified)
	require.NoError(t, err)
	st, err := f.Stat()
	require.NoError(t, err)
	valid := st.Size()
	frame := make([]byte, frameHeaderSize+4096)
	putFrameHeader(frame, 0, 4096)
	_, err = f.WriteAt(frame[:frameHeaderSize+1000], valid) // incomplete frame
	require.NoError(t, err)
	require.NoError(t, f.Sync())
	require.NoError(t, f.Close())
	return clone, data, exts, valid
}

// TestRecoverFullDisk: an unsealed 6 MiB segment with a torn tail is sealed
// at its valid prefix on a disk with 4 KiB free (the copy Open used to make
// needs 6 MiB); no temporary file is left, and the store takes new writes.
func TestRecoverFullDisk(t *testing.T) {
	opts := Options{BlockSize: 64 << 10}
	mem, data, exts, valid := bigTornSegment(t, opts)
	fs := fsxtest.New(mem)
	fs.SetBudget(4 << 10)
	var logs logBuffer
	o := opts
	o.Logger = logs.logger()
	s := openTest(t, fs, o)
	require.Equal(t, 1, fs.Truncates())
	require.Contains(t, logs.String(), "method=\"in place\"")
	requireRead(t, s, exts, data, 0, int64(len(data)))
	infos := s.Segments()
	require.Len(t, infos, 1)
	require.True(t, infos[0].Sealed)
	require.Equal(t, valid+footerSize, infos[0].Size)
	require.NoError(t, s.Verify(infos[0].ID, nil))
	names, err := mem.List(testDir)
	require.NoError(t, err)
	for _, n := range names {
		require.False(t, strings.HasSuffix(n, tmpSuffix), "left %s", n)
	}
	small := writeObject(t, s, []byte("after a full disk"), 0)
	require.NoError(t, s.Sync(small))

	// What a crash now leaves is sealed and holds both objects.
	checkRecovered(t, mem.CrashClone(vfs.CrashCloneCfg{}), opts,
		[]object{{data, exts}, {[]byte("after a full disk"), small}}, "after recovery on a full disk")
}

// TestRecoverCopyFallback: where files cannot be truncated in place (bare
// MemFS), the torn tail is still cut, by a copy, and the log says so.
func TestRecoverCopyFallback(t *testing.T) {
	opts := Options{BlockSize: 64 << 10}
	mem, data, exts, valid := bigTornSegment(t, opts)
	var logs logBuffer
	o := opts
	o.Logger = logs.logger()
	s := openTest(t, mem, o)
	requireRead(t, s, exts, data, 0, int64(len(data)))
	require.Equal(t, valid+footerSize, s.Segments()[0].Size)
	require.Contains(t, logs.String(), "cannot truncate in place")
	require.Contains(t, logs.String(), "method=copy")
}

// TestCrashDuringInPlaceRecovery crashes before every mutating step of
// sealing a torn segment in place (sync, truncate and its scratch node,
// footer write, final sync), with and without unsynced data kept, and
// recovers each image, itself in place or by copy: every image holds the
// object, sealed at the same valid prefix.
func TestCrashDuringInPlaceRecovery(t *testing.T) {
	opts := Options{BlockSize: 256}
	mem := vfs.NewCrashableMem()
	s := openTest(t, mem, opts)
	data := randomBytes(rand.New(rand.NewPCG(22, 22)), 20*256+7) // spans several 4 KiB blocks
	exts := writeObject(t, s, data, 0)
	require.NoError(t, s.Sync(exts))
	img := mem.CrashClone(vfs.CrashCloneCfg{})
	path := img.PathJoin(testDir, segName(exts[0].Seg))
	f, err := img.OpenReadWrite(path, vfs.WriteCategoryUnspecified)
	require.NoError(t, err)
	st, err := f.Stat()
	require.NoError(t, err)
	valid := st.Size()
	// A long torn tail: 2 complete frames (never acknowledged), a bad one,
	// then garbage, much longer than a footer.
	var tail []byte
	for range 3 {
		fr := make([]byte, frameHeaderSize+256)
		copy(fr[frameHeaderSize:], randomBytes(rand.New(rand.NewPCG(1, 1)), 256))
		putFrameHeader(fr, 0, 256)
		tail = append(tail, fr...)
	}
	tail[len(tail)-1] ^= 1
	tail = append(tail, randomBytes(rand.New(rand.NewPCG(2, 2)), 5000)...)
	_, err = f.WriteAt(tail, valid)
	require.NoError(t, err)
	require.NoError(t, f.Sync())
	require.NoError(t, f.Close())
	img = img.CrashClone(vfs.CrashCloneCfg{})
	// The first two tail frames are valid (complete, checksums match), so
	// the valid prefix keeps them.
	sealed := valid + 2*(frameHeaderSize+256) + footerSize

	rng := rand.New(rand.NewPCG(23, 23))
	rec := &crashRecorder{mem: img, every: 1, cfg: func() vfs.CrashCloneCfg {
		return vfs.CrashCloneCfg{UnsyncedDataPercent: 50, RNG: rng}
	}}
	rec2 := &crashRecorder{mem: img, every: 1, cfg: func() vfs.CrashCloneCfg { return vfs.CrashCloneCfg{} }}
	both := errorfs.InjectorFunc(func(op errorfs.Op) error {
		_ = rec.MaybeError(op)
		return rec2.MaybeError(op)
	})
	tfs := fsxtest.New(errorfs.Wrap(img, both))
	s2, err := Open(Options{FS: tfs, Dir: testDir, BlockSize: 256})
	require.NoError(t, err)
	require.Equal(t, 1, tfs.Truncates())
	require.Equal(t, sealed, s2.Segments()[0].Size)
	require.NoError(t, s2.Close())
	points := append(rec.points, rec2.points...)
	require.NotEmpty(t, points)
	acked := []object{{data, exts}}
	for i, p := range points {
		what := fmt.Sprintf("crash point %d before %v %s", i, p.kind, p.path)
		var fs vfs.FS = p.fs
		if i%2 == 0 {
			fs = fsxtest.New(p.fs)
		}
		// Open seals at the same prefix, whatever the crash kept.
		s3, err := Open(Options{FS: fs, Dir: testDir, BlockSize: 256})
		require.NoError(t, err, what)
		infos := s3.Segments()
		require.Len(t, infos, 1, what)
		require.Equal(t, sealed, infos[0].Size, what)
		require.NoError(t, s3.Close(), what)
		checkRecovered(t, fs, opts, acked, what)
	}
	t.Logf("%d crash points", len(points))
}

// TestRecoverInPlaceDefaultFS: on the FS the server uses (pebble's default,
// a real directory) a torn segment is sealed in place, not copied.
func TestRecoverInPlaceDefaultFS(t *testing.T) {
	opts := Options{BlockSize: 64 << 10}
	mem, data, exts, valid := bigTornSegment(t, opts)
	dir := t.TempDir()
	_, err := vfs.Clone(mem, vfs.Default, testDir, dir)
	require.NoError(t, err)
	var logs logBuffer
	s, err := Open(Options{FS: vfs.Default, Dir: dir, BlockSize: opts.BlockSize, Logger: logs.logger()})
	require.NoError(t, err)
	defer func() { require.NoError(t, s.Close()) }()
	requireRead(t, s, exts, data, 0, int64(len(data)))
	require.Equal(t, valid+footerSize, s.Segments()[0].Size)
	require.Contains(t, logs.String(), "method=\"in place\"")
	require.NotContains(t, logs.String(), "cannot truncate in place")
}
