package segment

import (
	"errors"
	"fmt"
	iofs "io/fs"
	"math/rand/v2"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"
	"github.com/stretchr/testify/require"
)

// faultInjector fails the operations match selects with errno while on.
type faultInjector struct {
	mu    sync.Mutex
	on    bool
	match func(errorfs.Op) bool
	errno syscall.Errno
	hits  int
}

func (f *faultInjector) String() string { return "faultInjector" }

func (f *faultInjector) MaybeError(op errorfs.Op) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.on || !f.match(op) {
		return nil
	}
	f.hits++
	return &iofs.PathError{Op: fmt.Sprint(op.Kind), Path: op.Path, Err: f.errno}
}

func (f *faultInjector) set(on bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.on = on
}

func opIs(kind errorfs.OpKind, suffix string) func(errorfs.Op) bool {
	return func(op errorfs.Op) bool { return op.Kind == kind && strings.HasSuffix(op.Path, suffix) }
}

// TestFaults injects EIO and ENOSPC into each kind of write and sync the
// store makes: the failing call returns an error wrapping the errno, nothing
// panics, the store keeps working once the fault clears, and data synced
// before the fault reads back after a crash and reopen.
func TestFaults(t *testing.T) {
	const bs = 256
	writeB := func(s *Store, data []byte, _ []Extent) error {
		_, err := tryWriteObject(s, data, 100)
		return err
	}
	tests := []struct {
		name       string
		match      func(errorfs.Op) bool
		errno      syscall.Errno
		before     func(s *Store) error // runs with the fault off
		trigger    func(s *Store, data []byte, acked []Extent) error
		wantBroken bool // the active segment is sealed off
	}{
		{
			name: "EIO on frame write", match: opIs(errorfs.OpFileWrite, segSuffix), errno: syscall.EIO,
			trigger: writeB, wantBroken: true,
		},
		{
			name: "ENOSPC on frame write", match: opIs(errorfs.OpFileWrite, segSuffix), errno: syscall.ENOSPC,
			trigger: writeB, wantBroken: true,
		},
		{
			name: "EIO on group-commit sync", match: opIs(errorfs.OpFileSync, segSuffix), errno: syscall.EIO,
			trigger: func(s *Store, data []byte, _ []Extent) error {
				exts, err := tryWriteObject(s, data, 100)
				if err != nil {
					return errors.New("write must not fail")
				}
				return s.Sync(exts)
			},
			wantBroken: true,
		},
		{
			name: "ENOSPC on segment create", match: opIs(errorfs.OpCreate, segSuffix), errno: syscall.ENOSPC,
			before: (*Store).Seal, trigger: writeB,
		},
		{
			name: "ENOSPC on header write", match: opIs(errorfs.OpFileWrite, segSuffix), errno: syscall.ENOSPC,
			before: (*Store).Seal, trigger: writeB,
		},
		{
			name: "EIO on dir sync at create", match: opIs(errorfs.OpFileSync, "segs"), errno: syscall.EIO,
			before: (*Store).Seal, trigger: writeB,
		},
		{
			name: "ENOSPC on seal footer", match: opIs(errorfs.OpFileWrite, segSuffix), errno: syscall.ENOSPC,
			trigger: func(s *Store, _ []byte, _ []Extent) error { return s.Seal() }, wantBroken: true,
		},
		{
			name: "EIO on seal sync", match: opIs(errorfs.OpFileSync, segSuffix), errno: syscall.EIO,
			trigger: func(s *Store, _ []byte, _ []Extent) error { return s.Seal() }, wantBroken: true,
		},
		{
			name: "EIO on read", match: opIs(errorfs.OpFileReadAt, segSuffix), errno: syscall.EIO,
			trigger: func(s *Store, _ []byte, acked []Extent) error {
				_, err := readRange(s, acked, 0, 1)
				return err
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := vfs.NewCrashableMem()
			inj := &faultInjector{match: tt.match, errno: tt.errno}
			fs := errorfs.Wrap(mem, inj)
			opts := Options{BlockSize: bs}
			s := openTest(t, fs, opts)
			rng := rand.New(rand.NewPCG(9, 9))
			dataA := randomBytes(rng, 3*bs+1)
			extsA := writeObject(t, s, dataA, 0)
			require.NoError(t, s.Sync(extsA))
			if tt.before != nil {
				require.NoError(t, tt.before(s))
			}
			active := s.ActiveID()

			inj.set(true)
			err := tt.trigger(s, compressibleBytes(rng, 3*bs), extsA)
			inj.set(false)
			require.Error(t, err)
			require.Positive(t, inj.hits)
			require.ErrorIs(t, err, tt.errno, "got %v", err)
			require.NotErrorIs(t, err, ErrCorrupt)
			if tt.wantBroken {
				require.ErrorIs(t, err, ErrBroken)
				require.NotEqual(t, active, s.ActiveID(), "broken segment is no longer active")
				var found bool
				for _, info := range s.Segments() {
					if info.ID == active {
						found = true
						require.True(t, info.Broken)
						require.False(t, info.Sealed)
					}
				}
				require.True(t, found)
			}

			// Synced data survives and stays durable; the store goes on.
			require.NoError(t, s.Sync(extsA))
			requireRead(t, s, extsA, dataA, 0, int64(len(dataA)))
			dataC := randomBytes(rng, 2*bs+7)
			extsC := writeObject(t, s, dataC, 0)
			require.NoError(t, s.Sync(extsC))
			if tt.wantBroken {
				require.Greater(t, extsC[0].Seg, active, "new writes go to a fresh segment")
			}
			requireRead(t, s, extsC, dataC, 0, int64(len(dataC)))

			// Crash (keeping only synced data) and reopen.
			crashed := mem.CrashClone(vfs.CrashCloneCfg{})
			require.NoError(t, s.Close())
			s2 := openTest(t, crashed, opts)
			requireRead(t, s2, extsA, dataA, 0, int64(len(dataA)))
			requireRead(t, s2, extsC, dataC, 0, int64(len(dataC)))
			for _, info := range s2.Segments() {
				require.True(t, info.Sealed)
			}
		})
	}
}

// TestFaultDuringRecovery fails the sealing of an unsealed segment at
// Open, both in place (no torn tail) and by rewrite (torn tail): Open
// returns the error and a later Open recovers.
func TestFaultDuringRecovery(t *testing.T) {
	tests := []struct {
		name  string
		torn  bool
		match func(errorfs.Op) bool
	}{
		{"in place: open", false, opIs(errorfs.OpOpen, segSuffix)},
		{"in place: sync", false, opIs(errorfs.OpFileSync, segSuffix)},
		{"in place: footer write", false, opIs(errorfs.OpFileWriteAt, segSuffix)},
		{"rewrite: create", true, opIs(errorfs.OpCreate, tmpSuffix)},
		{"rewrite: write", true, opIs(errorfs.OpFileWrite, tmpSuffix)},
		{"rewrite: sync", true, opIs(errorfs.OpFileSync, tmpSuffix)},
		{"rewrite: rename", true, opIs(errorfs.OpRename, tmpSuffix)},
		{"rewrite: dir sync", true, opIs(errorfs.OpFileSync, "segs")},
	}
	for _, tt := range tests {
		for _, errno := range []syscall.Errno{syscall.ENOSPC, syscall.EIO} {
			t.Run(tt.name+"/"+errno.Error(), func(t *testing.T) {
				mem := vfs.NewCrashableMem()
				s := openTest(t, mem, Options{BlockSize: 128})
				data := randomBytes(rand.New(rand.NewPCG(10, 10)), 1000)
				exts := writeObject(t, s, data, 0)
				require.NoError(t, s.Sync(exts))
				crashed := mem.CrashClone(vfs.CrashCloneCfg{}) // unsealed
				if tt.torn {
					path := crashed.PathJoin(testDir, segName(exts[0].Seg))
					f, err := crashed.OpenReadWrite(path, vfs.WriteCategoryUnspecified)
					require.NoError(t, err)
					st, err := f.Stat()
					require.NoError(t, err)
					_, err = f.WriteAt([]byte("torn"), st.Size())
					require.NoError(t, err)
					require.NoError(t, f.Close())
				}
				inj := &faultInjector{match: tt.match, errno: errno, on: true}
				_, err := Open(Options{FS: errorfs.Wrap(crashed, inj), Dir: testDir, BlockSize: 128})
				require.ErrorIs(t, err, errno)
				require.Positive(t, inj.hits)

				s2 := openTest(t, crashed, Options{BlockSize: 128})
				requireRead(t, s2, exts, data, 0, int64(len(data)))
				require.True(t, s2.Segments()[0].Sealed)
			})
		}
	}
}

// TestRandomFaults runs a seeded workload while random write-type operations
// fail with EIO or ENOSPC. Every call either succeeds or returns an error;
// after a crash, every object whose Sync returned nil reads back.
func TestRandomFaults(t *testing.T) {
	for seed := uint64(1); seed <= 6; seed++ {
		t.Run("", func(t *testing.T) {
			t.Logf("seed %d", seed)
			rng := rand.New(rand.NewPCG(seed, 11))
			faultRNG := rand.New(rand.NewPCG(seed, 12))
			var mu sync.Mutex
			on := false
			var injected int
			inj := errorfs.InjectorFunc(func(op errorfs.Op) error {
				mu.Lock()
				defer mu.Unlock()
				if !on || op.Kind.ReadOrWrite() != errorfs.OpIsWrite || faultRNG.IntN(100) >= 4 {
					return nil
				}
				injected++
				errno := syscall.EIO
				if faultRNG.IntN(2) == 0 {
					errno = syscall.ENOSPC
				}
				return &iofs.PathError{Op: fmt.Sprint(op.Kind), Path: op.Path, Err: errno}
			})
			setFaults := func(v bool) { mu.Lock(); on = v; mu.Unlock() }
			mem := vfs.NewCrashableMem()
			opts := Options{FS: errorfs.Wrap(mem, inj), Dir: testDir, BlockSize: 200, TargetSize: 3000}
			s, err := Open(opts)
			require.NoError(t, err)
			setFaults(true)
			var acked []object
			var failures int
			for range 150 {
				data := compressibleBytes(rng, rng.IntN(1000))
				if rng.IntN(2) == 0 {
					data = randomBytes(rng, len(data))
				}
				exts, err := tryWriteObject(s, data, 1+rng.IntN(300))
				if err == nil {
					err = s.Sync(exts)
				}
				if err != nil {
					failures++
					require.True(t, errors.Is(err, syscall.EIO) || errors.Is(err, syscall.ENOSPC), "got %v", err)
					continue
				}
				acked = append(acked, object{data, exts})
				if rng.IntN(10) == 0 {
					if err := s.Seal(); err != nil {
						failures++
						require.True(t, errors.Is(err, syscall.EIO) || errors.Is(err, syscall.ENOSPC), "got %v", err)
					}
				}
			}
			t.Logf("%d faults injected, %d calls failed, %d objects acknowledged", injected, failures, len(acked))
			require.Positive(t, failures)
			setFaults(false)
			for _, o := range acked {
				requireRead(t, s, o.exts, o.data, 0, int64(len(o.data)))
			}
			crashed := mem.CrashClone(vfs.CrashCloneCfg{})
			_ = s.Close()
			checkRecovered(t, crashed, Options{BlockSize: 200, TargetSize: 3000}, acked, "after random faults")
		})
	}
}

// TestWriteFailureKeepsEarlierFrames: after an append fails, frames other
// writers appended before it (not yet synced) can still be synced and
// survive a crash; after a failed fsync they cannot.
func TestWriteFailureKeepsEarlierFrames(t *testing.T) {
	tests := []struct {
		name     string
		match    func(errorfs.Op) bool
		wantSync error // from Sync of the earlier, unsynced object
	}{
		{"write fails", opIs(errorfs.OpFileWrite, segSuffix), nil},
		{"fsync fails", opIs(errorfs.OpFileSync, segSuffix), ErrBroken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := vfs.NewCrashableMem()
			inj := &faultInjector{match: tt.match, errno: syscall.ENOSPC}
			s := openTest(t, errorfs.Wrap(mem, inj), Options{BlockSize: 128})
			rng := rand.New(rand.NewPCG(15, 15))
			a := randomBytes(rng, 300)
			extsA := writeObject(t, s, a, 0) // appended, not synced
			inj.set(true)
			b := randomBytes(rng, 300)
			extsB, err := tryWriteObject(s, b, 0)
			if err == nil {
				err = s.Sync(extsB)
			}
			require.ErrorIs(t, err, syscall.ENOSPC)
			require.ErrorIs(t, err, ErrBroken)
			inj.set(false)

			err = s.Sync(extsA)
			if tt.wantSync != nil {
				require.ErrorIs(t, err, tt.wantSync)
				require.ErrorIs(t, err, syscall.ENOSPC)
				return
			}
			require.NoError(t, err)
			crashed := mem.CrashClone(vfs.CrashCloneCfg{})
			s2 := openTest(t, crashed, Options{BlockSize: 128})
			requireRead(t, s2, extsA, a, 0, int64(len(a)))
		})
	}
}
