package segment

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"
	"github.com/stretchr/testify/require"
)

// object is an acknowledged object: Sync returned nil for its extents.
type object struct {
	data []byte
	exts []Extent
}

// crashPoint is a crash clone taken just before some filesystem operation,
// with the objects acknowledged at that moment.
type crashPoint struct {
	op    int
	kind  errorfs.OpKind
	path  string
	fs    *vfs.MemFS
	acked []object
}

// crashRecorder is an errorfs injector that never fails; it takes a
// CrashClone of mem before every write-type operation (or every every-th).
type crashRecorder struct {
	mem    *vfs.MemFS
	cfg    func() vfs.CrashCloneCfg
	every  int
	ops    int
	acked  func() []object
	points []crashPoint
}

func (c *crashRecorder) String() string { return "crashRecorder" }

func (c *crashRecorder) MaybeError(op errorfs.Op) error {
	if op.Kind.ReadOrWrite() != errorfs.OpIsWrite {
		return nil
	}
	c.ops++
	if c.ops%c.every != 0 {
		return nil
	}
	var acked []object
	if c.acked != nil {
		acked = c.acked()
	}
	c.points = append(c.points, crashPoint{
		op: c.ops, kind: op.Kind, path: op.Path,
		fs: c.mem.CrashClone(c.cfg()), acked: acked,
	})
	return nil
}

// crashWorkload runs a seeded single-goroutine workload of writes, syncs,
// seals, compactions and a reopen on fs, returning the objects acknowledged
// at the end. acked is kept current for the recorder.
func crashWorkload(t *testing.T, fs vfs.FS, opts Options, rng *rand.Rand, steps int, acked *[]object) {
	t.Helper()
	opts.FS, opts.Dir = fs, testDir
	s, err := Open(opts)
	require.NoError(t, err)
	for step := range steps {
		size := rng.IntN(5 * opts.BlockSize)
		var data []byte
		if rng.IntN(2) == 0 {
			data = randomBytes(rng, size)
		} else {
			data = compressibleBytes(rng, size)
		}
		exts := writeObject(t, s, data, 1+rng.IntN(2*opts.BlockSize))
		switch p := rng.IntN(100); {
		case p < 60:
			require.NoError(t, s.Sync(exts))
			*acked = append(*acked, object{data, exts})
		case p < 70:
			require.NoError(t, s.Seal())
		case p < 80 && len(*acked) > 0:
			// Compaction: move every acknowledged object out of the oldest
			// sealed segment, sync, then remove it.
			compactOldest(t, s, acked)
		}
		if step == steps/2 {
			require.NoError(t, s.Close())
			s, err = Open(opts)
			require.NoError(t, err)
		}
	}
	require.NoError(t, s.Close())
}

// compactOldest copies the acknowledged objects in the oldest sealed segment
// elsewhere, syncs them, updates *acked and removes the segment.
func compactOldest(t *testing.T, s *Store, acked *[]object) {
	t.Helper()
	var victim uint64
	for _, info := range s.Segments() {
		if info.Sealed {
			victim = info.ID
			break
		}
	}
	if victim == 0 {
		return
	}
	next := make([]object, 0, len(*acked))
	for _, o := range *acked {
		var moved []Extent
		for _, e := range o.exts {
			if e.Seg != victim {
				moved = append(moved, e)
				continue
			}
			out, err := s.CopyExtent(e)
			require.NoError(t, err)
			moved = append(moved, out...)
		}
		require.NoError(t, s.Sync(moved))
		next = append(next, object{o.data, moved})
	}
	*acked = next
	require.NoError(t, s.Remove(victim))
}

// checkRecovered opens a crash clone and checks every acknowledged object
// reads back byte-identical, every segment verifies and is sealed, and new
// writes get a fresh segment id.
func checkRecovered(t *testing.T, fs vfs.FS, opts Options, acked []object, what string) {
	t.Helper()
	opts.FS, opts.Dir = fs, testDir
	s, err := Open(opts)
	require.NoError(t, err, what)
	defer func() { require.NoError(t, s.Close(), what) }()
	for i, o := range acked {
		got, err := readRange(s, o.exts, 0, int64(len(o.data)))
		require.NoError(t, err, "%s: object %d", what, i)
		require.True(t, bytes.Equal(o.data, got), "%s: object %d differs", what, i)
	}
	var maxID uint64
	for _, info := range s.Segments() {
		require.True(t, info.Sealed, "%s: segment %d not sealed after Open", what, info.ID)
		require.NoError(t, s.Verify(info.ID, nil), what)
		maxID = max(maxID, info.ID)
	}
	require.Equal(t, uint64(0), s.ActiveID(), what)
	exts := writeObject(t, s, []byte("after crash"), 0)
	require.Greater(t, exts[0].Seg, maxID, "%s: segment id reused", what)
	require.NoError(t, s.Sync(exts), what)
}

// TestCrashEveryOp crashes (CrashClone keeping only synced data) before every
// write-type filesystem operation of a workload, including mid-create,
// mid-seal, mid-compaction and mid-recovery, and checks each clone.
func TestCrashEveryOp(t *testing.T) {
	tests := []struct {
		name     string
		unsynced int // CrashCloneCfg.UnsyncedDataPercent
		every    int
		steps    int
		opts     Options
	}{
		{"synced only", 0, 1, 40, Options{BlockSize: 128, TargetSize: 1200}},
		{"half unsynced", 50, 1, 40, Options{BlockSize: 128, TargetSize: 1200}},
		{"all unsynced", 100, 3, 40, Options{BlockSize: 128, TargetSize: 1200}},
		// Segments spanning several of CrashClone's 4 KiB blocks.
		{"big segments synced only", 0, 1, 30, Options{BlockSize: 1000, TargetSize: 14000}},
		{"big segments half unsynced", 50, 1, 30, Options{BlockSize: 1000, TargetSize: 14000}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seed := uint64(len(tt.name))*7919 + uint64(tt.unsynced)
			t.Logf("seed %d", seed)
			rng := rand.New(rand.NewPCG(seed, 1))
			cloneRNG := rand.New(rand.NewPCG(seed, 2))
			cfg := func() vfs.CrashCloneCfg {
				return vfs.CrashCloneCfg{UnsyncedDataPercent: tt.unsynced, RNG: cloneRNG}
			}
			opts := tt.opts
			mem := vfs.NewCrashableMem()
			var acked []object
			every := tt.every
			if raceEnabled {
				every = 4*every - 1 // checking every point is too slow under -race
			}
			rec := &crashRecorder{mem: mem, cfg: cfg, every: every,
				acked: func() []object { return append([]object(nil), acked...) }}
			crashWorkload(t, errorfs.Wrap(mem, rec), opts, rng, tt.steps, &acked)
			require.NotEmpty(t, acked)
			t.Logf("%d crash points, %d objects acknowledged", len(rec.points), len(acked))

			// A final crash after a clean Close.
			checkRecovered(t, mem.CrashClone(vfs.CrashCloneCfg{}), opts, acked, "after close")

			for i, p := range rec.points {
				what := fmt.Sprintf("crash %d before op %d (%v %s)", i, p.op, p.kind, p.path)
				if i%8 != 1 {
					checkRecovered(t, p.fs, opts, p.acked, what)
					continue
				}
				// Also crash during recovery itself, then recover again.
				inner := &crashRecorder{mem: p.fs, cfg: cfg, every: 1}
				checkRecovered(t, errorfs.Wrap(p.fs, inner), opts, p.acked, what)
				for j, q := range inner.points {
					checkRecovered(t, q.fs, opts, p.acked, fmt.Sprintf("%s, then crash %d in recovery before %v %s", what, j, q.kind, q.path))
				}
			}
		})
	}
}

// TestCrashTornTail appends a partial frame and garbage to an unsealed
// segment, as a crash mid-write leaves it, and checks Open truncates it,
// seals the segment and logs what was dropped.
func TestCrashTornTail(t *testing.T) {
	const bs = 256
	tests := []struct {
		name string
		tail func(frame []byte) []byte
	}{
		{"partial header", func(f []byte) []byte { return f[:frameHeaderSize-3] }},
		{"partial payload", func(f []byte) []byte { return f[:len(f)-10] }},
		{"bad checksum", func(f []byte) []byte { f[len(f)-1] ^= 1; return f }},
		{"zeros", func(f []byte) []byte { return make([]byte, len(f)) }},
		{"torn footer", func(f []byte) []byte { return []byte(footerMagic + "\x01\x02") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := vfs.NewCrashableMem()
			var logs logBuffer
			opts := Options{BlockSize: bs, Logger: logs.logger()}
			s := openTest(t, mem, opts)
			rng := rand.New(rand.NewPCG(8, 8))
			data := randomBytes(rng, 3*bs+5)
			exts := writeObject(t, s, data, 0)
			require.NoError(t, s.Sync(exts))
			id := exts[0].Seg

			// Everything written, nothing sealed: what a crash right now
			// leaves on disk (if all writes made it), plus a torn frame.
			clone := mem.CrashClone(vfs.CrashCloneCfg{UnsyncedDataPercent: 100, RNG: rng})
			path := clone.PathJoin(testDir, segName(id))
			f, err := clone.OpenReadWrite(path, vfs.WriteCategoryUnspecified)
			require.NoError(t, err)
			st, err := f.Stat()
			require.NoError(t, err)
			validLen := st.Size()
			frame := make([]byte, frameHeaderSize+bs)
			copy(frame[frameHeaderSize:], randomBytes(rng, bs))
			putFrameHeader(frame, 0, bs)
			tail := tt.tail(frame)
			_, err = f.WriteAt(tail, validLen)
			require.NoError(t, err)
			require.NoError(t, f.Close())
			// A leftover temporary file from an interrupted recovery.
			tmp, err := clone.Create(path+tmpSuffix, vfs.WriteCategoryUnspecified)
			require.NoError(t, err)
			require.NoError(t, tmp.Close())

			s2 := openTest(t, clone, opts)
			requireRead(t, s2, exts, data, 0, int64(len(data)))
			infos := s2.Segments()
			require.Len(t, infos, 1)
			require.True(t, infos[0].Sealed)
			require.Equal(t, validLen+footerSize, infos[0].Size)
			fi, err := clone.Stat(path)
			require.NoError(t, err)
			require.Equal(t, validLen+footerSize, fi.Size(), "torn tail truncated")
			_, err = clone.Stat(path + tmpSuffix)
			require.Error(t, err, "leftover tmp removed")
			log := logs.String()
			require.Contains(t, log, "truncated torn tail")
			require.Contains(t, log, fmt.Sprintf("segment=%d", id))
			require.Contains(t, log, fmt.Sprintf("valid_length=%d", validLen))
			require.Contains(t, log, fmt.Sprintf("dropped_bytes=%d", len(tail)))
		})
	}
}

// TestCrashTornCreate covers a crash between creating a segment file and
// syncing its header: the empty or zero-filled file is removed.
func TestCrashTornCreate(t *testing.T) {
	tests := []struct {
		name    string
		content []byte
		wantErr error
	}{
		{"empty", nil, nil},
		{"short", []byte("WORM"), nil},
		{"zeros", make([]byte, 4096), nil},
		{"zero header, data after", append(make([]byte, headerSize), 1, 2, 3), ErrCorrupt},
		{"bad header", append([]byte("WORMSEG1"), make([]byte, 40)...), ErrCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := vfs.NewMem()
			s := openTest(t, mem, Options{BlockSize: 64})
			exts := writeObject(t, s, []byte("keep me"), 0)
			require.NoError(t, s.Close())
			path := mem.PathJoin(testDir, segName(7))
			f, err := mem.Create(path, vfs.WriteCategoryUnspecified)
			require.NoError(t, err)
			_, err = f.Write(tt.content)
			require.NoError(t, err)
			require.NoError(t, f.Close())

			s2, err := Open(Options{FS: mem, Dir: testDir, BlockSize: 64})
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				require.Contains(t, err.Error(), segName(7))
				return
			}
			require.NoError(t, err)
			defer func() { require.NoError(t, s2.Close()) }()
			_, err = mem.Stat(path)
			require.Error(t, err, "torn file removed")
			requireRead(t, s2, exts, []byte("keep me"), 0, 7)
			more := writeObject(t, s2, []byte("x"), 0)
			require.Equal(t, uint64(8), more[0].Seg, "id of the removed file is not reused")
		})
	}
}
