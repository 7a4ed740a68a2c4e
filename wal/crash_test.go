package wal

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"
	"github.com/stretchr/testify/require"
	"github.com/wormstore/wormstore/internal/fsx/fsxtest"
)

// crashHookFS wraps fs so that hook runs before every mutating operation
// (create, write, sync, rename, remove, ...): the moment a crash could
// happen.
func crashHookFS(fs vfs.FS, hook func(op errorfs.Op)) vfs.FS {
	return errorfs.Wrap(fs, errorfs.InjectorFunc(func(op errorfs.Op) error {
		if op.Kind.ReadOrWrite() == errorfs.OpIsWrite {
			hook(op)
		}
		return nil
	}))
}

// crashPayload returns a payload of random length (some span several 4 KiB
// blocks, so a crash can keep some of its blocks and lose others).
func crashPayload(rng *rand.Rand, tag string) []byte {
	n := rng.IntN(600)
	if rng.IntN(8) == 0 {
		n = 4000 + rng.IntN(9000)
	}
	p := make([]byte, len(tag), len(tag)+n)
	copy(p, tag)
	for range n {
		p = append(p, byte(rng.Uint32()))
	}
	return p
}

// checkImage recovers the crash image img and checks it: Open succeeds;
// records are contiguous from LSN 1; every record was appended with exactly
// that payload (known); every acknowledged record (LSN <= mustHave) is
// present. Then it appends and commits more records, crashes again (only
// synced data survives), and checks the new records survived too. It
// returns the recovered records. img is consumed.
//
// With inPlace the image is opened through fsxtest, whose files can be
// truncated in place (as on a real disk); otherwise through the bare
// MemFS, where a torn tail is cut by the copy fallback.
func checkImage(img *vfs.MemFS, known func(LSN) ([]byte, bool), mustHave LSN, inPlace bool) ([]record, error) {
	l, err := Open(Options{FS: withTruncate(img, inPlace), Dir: testDir, SegmentSize: 8 << 10})
	if err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	defer l.Close()
	var recs []record
	err = l.Replay(0, func(lsn LSN, p []byte) error {
		if lsn != LSN(len(recs)+1) {
			return fmt.Errorf("replayed LSN %d after %d", lsn, len(recs))
		}
		want, ok := known(lsn)
		if !ok {
			return fmt.Errorf("replayed LSN %d, which was never appended", lsn)
		}
		if !bytes.Equal(p, want) {
			return fmt.Errorf("LSN %d: payload differs from the one appended (len %d, want %d)", lsn, len(p), len(want))
		}
		recs = append(recs, record{lsn, bytes.Clone(p)})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	if LSN(len(recs)) < mustHave {
		return nil, fmt.Errorf("recovered %d records, but LSN %d was acknowledged", len(recs), mustHave)
	}
	if got := l.LastLSN(); got != LSN(len(recs)) {
		return nil, fmt.Errorf("LastLSN %d after replaying %d records", got, len(recs))
	}

	// Appending after recovery works and survives another crash.
	all := recs[:len(recs):len(recs)]
	for i := range 3 {
		p := fmt.Appendf(nil, "after recovery %d", i)
		lsn, err := l.Commit(p)
		if err != nil {
			return nil, fmt.Errorf("commit after recovery: %w", err)
		}
		if lsn != LSN(len(all)+1) {
			return nil, fmt.Errorf("commit after recovery got LSN %d, want %d", lsn, len(all)+1)
		}
		all = append(all, record{lsn, p})
	}
	again := img.CrashClone(vfs.CrashCloneCfg{})
	l2, err := Open(Options{FS: withTruncate(again, inPlace), Dir: testDir})
	if err != nil {
		return nil, fmt.Errorf("second open: %w", err)
	}
	defer l2.Close()
	i := 0
	err = l2.Replay(0, func(lsn LSN, p []byte) error {
		if i >= len(all) || lsn != all[i].lsn || !bytes.Equal(p, all[i].payload) {
			return fmt.Errorf("after second crash: record %d is LSN %d, want %v", i, lsn, all[min(i, len(all)-1)].lsn)
		}
		i++
		return nil
	})
	if err == nil && i != len(all) {
		err = fmt.Errorf("after second crash: %d records, want %d", i, len(all))
	}
	return recs, err
}

// withTruncate wraps fs in fsxtest (in-place truncation) if inPlace.
func withTruncate(fs vfs.FS, inPlace bool) vfs.FS {
	if inPlace {
		return fsxtest.New(fs)
	}
	return fs
}

// crashConfigs returns the crash flavours checked at each crash point:
// exactly the synced data, and synced data plus a random half of the rest.
func crashConfigs(rng *rand.Rand) []vfs.CrashCloneCfg {
	return []vfs.CrashCloneCfg{{}, {UnsyncedDataPercent: 50, RNG: rng}}
}

// TestCrashPoints runs concurrent committers on a crashable MemFS and, before
// every mutating FS operation, crashes a copy of the FS and checks recovery
// of it. For some crash points it also crashes at every operation of the
// recovery itself.
func TestCrashPoints(t *testing.T) {
	seed := uint64(42)
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed))
	mem := vfs.NewCrashableMem()

	var (
		mu      sync.Mutex // serializes appends with crash checks
		known   = map[LSN][]byte{}
		acked   atomic.Uint64 // highest LSN whose Commit returned
		points  int
		nested  int
		failed  atomic.Bool
		payRNGs []*rand.Rand
	)
	lookup := func(lsn LSN) ([]byte, bool) { p, ok := known[lsn]; return p, ok }
	check := func(where string) {
		if failed.Load() {
			return
		}
		mustHave := LSN(acked.Load())
		mu.Lock()
		defer mu.Unlock()
		points++
		for ci, cfg := range crashConfigs(rng) {
			img := mem.CrashClone(cfg)
			var pristine *vfs.MemFS
			if points%15 == 0 && ci == 1 {
				pristine = img.CrashClone(vfs.CrashCloneCfg{})
			}
			recs, err := checkImage(img, lookup, mustHave, points%2 == 0)
			if err != nil {
				failed.Store(true)
				t.Errorf("crash point %d (%s, unsynced %d%%): %v", points, where, cfg.UnsyncedDataPercent, err)
				return
			}
			if pristine != nil {
				nested++
				if _, err := checkRecoveryCrashes(pristine, recs, rng, points%2 == 0); err != nil {
					failed.Store(true)
					t.Errorf("crash point %d (%s): crash during recovery: %v", points, where, err)
					return
				}
			}
		}
	}
	fs := crashHookFS(mem, func(op errorfs.Op) { check(fmt.Sprintf("before %s %s", op.Kind.ReadOrWrite(), op.Path)) })

	l, err := Open(Options{FS: fs, Dir: testDir, SegmentSize: 8 << 10})
	require.NoError(t, err)
	const writers, perWriter = 4, 40
	for w := range writers {
		payRNGs = append(payRNGs, rand.New(rand.NewPCG(seed, uint64(w+1))))
	}
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range perWriter {
				p := crashPayload(payRNGs[w], fmt.Sprintf("w%d-%d:", w, i))
				mu.Lock()
				lsn, err := l.Append(p)
				if err == nil {
					known[lsn] = p
				}
				mu.Unlock()
				if err == nil {
					err = l.Sync(lsn)
				}
				if err != nil {
					t.Errorf("commit: %v", err)
					return
				}
				for {
					cur := acked.Load()
					if uint64(lsn) <= cur || acked.CompareAndSwap(cur, uint64(lsn)) {
						break
					}
				}
			}
		})
	}
	wg.Wait()
	require.NoError(t, l.Close())
	check("after close")
	require.Equal(t, LSN(writers*perWriter), LSN(acked.Load()))
	t.Logf("%d crash points, %d with crashes during recovery", points, nested)
}

// checkRecoveryCrashes recovers img (whose valid prefix is base) while
// crashing before every mutating operation of the recovery, of three
// commits after it and of Close. Every crash image must still hold base and
// the acknowledged commits. With inPlace the recovery runs through fsxtest
// (a torn tail is truncated in place, and the crash points include every
// step of that); it returns how many files were truncated in place.
func checkRecoveryCrashes(img *vfs.MemFS, base []record, rng *rand.Rand, inPlace bool) (int, error) {
	known := map[LSN][]byte{}
	for _, r := range base {
		known[r.lsn] = r.payload
	}
	mustHave := LSN(len(base))
	var firstErr error
	fs := crashHookFS(img, func(op errorfs.Op) {
		if firstErr != nil {
			return
		}
		for _, cfg := range crashConfigs(rng) {
			if _, err := checkImage(img.CrashClone(cfg), func(lsn LSN) ([]byte, bool) {
				p, ok := known[lsn]
				return p, ok
			}, mustHave, inPlace); err != nil {
				firstErr = fmt.Errorf("before %v %s (unsynced %d%%): %w", op.Kind, op.Path, cfg.UnsyncedDataPercent, err)
				return
			}
		}
	})
	tfs := fsxtest.New(fs)
	if inPlace {
		fs = tfs
	}
	l, err := Open(Options{FS: fs, Dir: testDir, SegmentSize: 8 << 10})
	if err != nil {
		return 0, err
	}
	for i := range 3 {
		p := fmt.Appendf(nil, "nested %d", i)
		known[LSN(len(base)+i+1)] = p
		lsn, err := l.Commit(p)
		if err != nil {
			return 0, err
		}
		mustHave = lsn
	}
	if err := l.Close(); err != nil {
		return 0, err
	}
	return tfs.Truncates(), firstErr
}
