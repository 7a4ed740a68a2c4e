package engine

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand"
	randv2 "math/rand/v2"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"
	"github.com/stretchr/testify/require"
)

// acked is what a test knows was acknowledged: version → data and lock.
type acked struct {
	mu sync.Mutex
	m  map[string]ackedVersion // "bucket/key@vid"
}

type ackedVersion struct {
	bucket, key, vid string
	data             []byte
	lock             LockState
}

func newAcked() *acked { return &acked{m: map[string]ackedVersion{}} }

func (a *acked) set(v ackedVersion) {
	a.mu.Lock()
	a.m[v.bucket+"/"+v.key+"@"+v.vid] = v
	a.mu.Unlock()
}

func (a *acked) del(bucket, key, vid string) {
	a.mu.Lock()
	delete(a.m, bucket+"/"+key+"@"+vid)
	a.mu.Unlock()
}

func (a *acked) snapshot() map[string]ackedVersion {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make(map[string]ackedVersion, len(a.m))
	for k, v := range a.m {
		out[k] = v
	}
	return out
}

// checkAcked opens the crashed filesystem and checks that every
// acknowledged version reads back byte-identical with its lock state, and
// that the store verifies clean. mayDiffer names versions whose state an
// in-flight operation may have changed.
func checkAcked(t *testing.T, fs vfs.FS, opts Options, want map[string]ackedVersion, mayDiffer map[string]bool) {
	t.Helper()
	opts.FS = fs
	e := openAfterCrash(t, opts)
	defer func() { require.NoError(t, e.Close()) }()
	for name, v := range want {
		if mayDiffer[name] {
			continue
		}
		o, err := e.OpenObject(ctx, v.bucket, v.key, v.vid)
		require.NoError(t, err, "acknowledged version %s lost", name)
		require.Equal(t, v.lock, o.Info.Lock, "lock state of %s", name)
		data, err := readObject(e, v.bucket, v.key, v.vid)
		require.NoError(t, err, "read %s", name)
		require.True(t, bytes.Equal(v.data, data), "data of %s differs after crash", name)
	}
	checkEngine(t, e)
}

// openAfterCrash opens the engine on a crashed filesystem. A crash may
// leave the index ahead of the WAL (Pebble flushed records applied to the
// index whose WAL batch was never synced, so never acknowledged): Open
// must then refuse, and only the operator's explicit recovery may rebuild
// the index; the caller's checks then prove nothing acknowledged was lost.
// The WAL_END record is only ever written for durable records, so a crash
// can never put it ahead of the log.
func openAfterCrash(t *testing.T, opts Options) *Engine {
	t.Helper()
	e, err := Open(ctx, opts)
	var behind *WALBehindError
	if errors.As(err, &behind) {
		require.LessOrEqual(t, behind.CleanLSN, behind.WALLast, "WAL_END ahead of the log after a crash: %v", err)
		require.Greater(t, behind.IndexApplied, behind.WALLast)
		t.Logf("index ahead of the wal after the crash (%v); recovering explicitly", err)
		res, err := Recover(ctx, opts, RecoverOptions{AcceptIndexAhead: true})
		require.NoError(t, err)
		require.True(t, res.IndexRebuilt)
		e, err = Open(ctx, opts)
		require.NoError(t, err, "reopen after explicit recovery")
		return e
	}
	require.NoError(t, err, "reopen after crash")
	return e
}

// TestCrashRandomPoints runs a seeded workload and takes crash clones of
// the filesystem between operations (keeping only synced data, or a random
// half of unsynced data): every acknowledged write must survive.
func TestCrashRandomPoints(t *testing.T) {
	for seed := int64(1); seed <= 6; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			t.Logf("seed %d", seed)
			rng := rand.New(rand.NewSource(seed))
			clock := newFakeClock()
			fs := vfs.NewCrashableMem()
			opts := testOptions(fs, clock)
			e, err := Open(ctx, opts)
			require.NoError(t, err)
			defer e.Close()
			require.NoError(t, e.CreateBucket(ctx, "lk", CreateBucketOptions{ObjectLock: true}))
			require.NoError(t, e.CreateBucket(ctx, "plain", CreateBucketOptions{}))
			ack := newAcked()
			var lkVersions []ackedVersion
			for i := 0; i < 120; i++ {
				switch op := rng.Intn(10); {
				case op < 5:
					bucket := []string{"lk", "plain"}[rng.Intn(2)]
					key := fmt.Sprintf("k%d", rng.Intn(6))
					data := randBytes(rng.Int(), rng.Intn(3*opts.BlockSize))
					info := put(t, e, bucket, key, data)
					if bucket == "plain" {
						ack.del(bucket, key, NullVersionID)
					}
					v := ackedVersion{bucket, key, info.VersionID, data, info.Lock}
					ack.set(v)
					if bucket == "lk" {
						lkVersions = append(lkVersions, v)
					}
				case op < 7 && len(lkVersions) > 0:
					v := lkVersions[rng.Intn(len(lkVersions))]
					until := clock.Now().Add(time.Duration(rng.Intn(1000)+1) * time.Hour)
					_, next, err := e.PutObjectRetention(ctx, v.bucket, v.key, v.vid, Retention{ModeCompliance, until}, false)
					if err == nil {
						cur := ack.snapshot()[v.bucket+"/"+v.key+"@"+v.vid]
						cur.lock = next
						ack.set(cur)
					} else {
						require.ErrorIs(t, err, ErrObjectLocked)
					}
				case op < 8 && len(lkVersions) > 0:
					v := lkVersions[rng.Intn(len(lkVersions))]
					on := rng.Intn(2) == 0
					_, err := e.PutObjectLegalHold(ctx, v.bucket, v.key, v.vid, on)
					require.NoError(t, err)
					cur := ack.snapshot()[v.bucket+"/"+v.key+"@"+v.vid]
					cur.lock.LegalHold, cur.lock.LegalHoldSet = on, true
					ack.set(cur)
				case op < 9:
					key := fmt.Sprintf("k%d", rng.Intn(6))
					dr, err := e.DeleteObject(ctx, "plain", key, DeleteOptions{})
					require.NoError(t, err)
					if dr.Removed {
						ack.del("plain", key, NullVersionID)
					}
				default:
					clock.Advance(time.Duration(rng.Intn(48)) * time.Hour)
				}
				if rng.Intn(8) == 0 {
					cfg := vfs.CrashCloneCfg{}
					if rng.Intn(2) == 0 {
						cfg = vfs.CrashCloneCfg{UnsyncedDataPercent: 50, RNG: randv2.New(randv2.NewPCG(uint64(rng.Int63()), 1))}
					}
					want := ack.snapshot()
					checkAcked(t, fs.CrashClone(cfg), opts, want, nil)
				}
			}
			checkAcked(t, fs.CrashClone(vfs.CrashCloneCfg{}), opts, ack.snapshot(), nil)
		})
	}
}

// TestCrashConcurrentPuts crashes while many goroutines put: everything
// acknowledged before the clone was taken must survive it.
func TestCrashConcurrentPuts(t *testing.T) {
	clock := newFakeClock()
	fs := vfs.NewCrashableMem()
	opts := testOptions(fs, clock)
	e, err := Open(ctx, opts)
	require.NoError(t, err)
	require.NoError(t, e.CreateBucket(ctx, "lk", CreateBucketOptions{ObjectLock: true}))
	require.NoError(t, e.SetObjectLockConfig(ctx, "lk", &DefaultRetention{Mode: ModeCompliance, Days: 1}))
	ack := newAcked()
	// Rounds of a fixed number of puts per writer. The clone is taken in
	// the middle of each round, while puts are in flight; the check runs
	// after the round. (The test used to let the writers run until 8 checks
	// were done, so a slow check, e.g. on a loaded machine, made every
	// later clone bigger and the next check slower still.)
	const writers, rounds, perRound = 8, 8, 25
	var next [writers]int
	total := 0
	for round := range rounds {
		var done atomic.Int64
		halfway, finished := make(chan struct{}), make(chan struct{})
		var wg sync.WaitGroup
		for w := range writers {
			wg.Go(func() {
				for range perRound {
					i := next[w]
					next[w]++
					data := randBytes(w*100000+i, (i*977)%(2*opts.BlockSize))
					key := fmt.Sprintf("w%d/%d", w, i%5)
					info, err := e.PutObject(ctx, "lk", key, bytes.NewReader(data), PutOptions{Size: int64(len(data))})
					if err != nil {
						t.Errorf("put: %v", err)
						return
					}
					ack.set(ackedVersion{"lk", key, info.VersionID, data, info.Lock})
					if done.Add(1) == writers*perRound/2 {
						close(halfway)
					}
				}
			})
		}
		go func() { wg.Wait(); close(finished) }()
		select {
		case <-halfway:
		case <-finished:
		}
		want := ack.snapshot()
		clone := fs.CrashClone(vfs.CrashCloneCfg{})
		<-finished
		if t.Failed() {
			return
		}
		total += int(done.Load())
		start := time.Now()
		checkAcked(t, clone, opts, want, nil)
		t.Logf("round %d: %d acknowledged at the clone, %d puts so far, check took %v", round, len(want), total, time.Since(start))
	}
	require.NoError(t, e.Close())
	checkAcked(t, fs, opts, ack.snapshot(), nil)
}

// crashPointFS counts write operations and takes a crash clone of mem when
// the count reaches at.
type crashPointFS struct {
	mem   *vfs.MemFS
	at    int64
	n     atomic.Int64
	clone *vfs.MemFS
	mu    sync.Mutex
}

func (c *crashPointFS) MaybeError(op errorfs.Op) error {
	if op.Kind.ReadOrWrite() != errorfs.OpIsWrite {
		return nil
	}
	if c.n.Add(1) == c.at {
		c.mu.Lock()
		c.clone = c.mem.CrashClone(vfs.CrashCloneCfg{})
		c.mu.Unlock()
	}
	return nil
}

func (c *crashPointFS) String() string { return "crash-point" }

// forEachCrashPoint builds a store with setup, then for every write
// operation op performs, re-runs op on a copy of the store and crashes at
// that point; check gets the crashed filesystem.
func forEachCrashPoint(t *testing.T, setup func(e *Engine) *acked, op func(e *Engine) error, check func(t *testing.T, fs vfs.FS, want map[string]ackedVersion)) {
	clock := newFakeClock()
	base := vfs.NewCrashableMem()
	opts := testOptions(base, clock)
	e, err := Open(ctx, opts)
	require.NoError(t, err)
	ack := setup(e)
	require.NoError(t, e.Close())
	want := ack.snapshot()

	run := func(at int64) (*crashPointFS, error) {
		mem := base.CrashClone(vfs.CrashCloneCfg{UnsyncedDataPercent: 100, RNG: randv2.New(randv2.NewPCG(1, 1))})
		cp := &crashPointFS{mem: mem, at: at}
		o := opts
		o.FS = errorfs.Wrap(mem, cp)
		e, err := Open(ctx, o)
		if err != nil {
			return nil, err
		}
		cp.n.Store(0) // count only op's writes
		opErr := op(e)
		require.NoError(t, e.Close())
		return cp, opErr
	}
	total, err := run(-1)
	require.NoError(t, err)
	n := total.n.Load()
	require.Positive(t, n)
	t.Logf("%d crash points", n)
	step := max(n/60, 1) // bound the test's run time
	for at := int64(1); at <= n; at += step {
		cp, err := run(at)
		require.NoError(t, err)
		if cp.clone == nil {
			// Background work (index flushes at close) makes the count of
			// the last few operations vary between runs.
			require.Greater(t, at, n-8, "crash point %d of %d not reached", at, n)
			continue
		}
		t.Run(fmt.Sprint("at", at), func(t *testing.T) { check(t, cp.clone, want) })
	}
}

func TestCrashPointsCompaction(t *testing.T) {
	clock := newFakeClock()
	forEachCrashPoint(t, func(e *Engine) *acked {
		ack := newAcked()
		require.NoError(t, e.CreateBucket(ctx, "lk", CreateBucketOptions{ObjectLock: true}))
		require.NoError(t, e.CreateBucket(ctx, "plain", CreateBucketOptions{}))
		for i := 0; i < 40; i++ {
			// Overwrites in the plain bucket make garbage; locked versions
			// sit in the same segments and must be carried over.
			data := randBytes(i, 3000+i*50)
			put(t, e, "plain", fmt.Sprintf("k%d", i%4), data)
			ld := randBytes(1000+i, 2000)
			info, err := e.PutObject(ctx, "lk", fmt.Sprintf("l%d", i), bytes.NewReader(ld), PutOptions{Size: int64(len(ld)),
				Retention: &Retention{ModeCompliance, clock.Now().Add(24 * time.Hour)}, LegalHold: i%3 == 0})
			require.NoError(t, err)
			ack.set(ackedVersion{"lk", info.Key, info.VersionID, ld, info.Lock})
		}
		for i := 0; i < 4; i++ {
			data := randBytes(500+i, 100)
			put(t, e, "plain", fmt.Sprintf("k%d", i), data)
			ack.set(ackedVersion{"plain", fmt.Sprintf("k%d", i), NullVersionID, data, LockState{}})
		}
		return ack
	}, func(e *Engine) error {
		res, err := e.Compact(ctx, CompactOptions{SealActive: true})
		if err == nil && res.SegmentsRemoved == 0 {
			return errors.New("compaction removed nothing")
		}
		return err
	}, func(t *testing.T, fs vfs.FS, want map[string]ackedVersion) {
		opts := testOptions(fs, clock)
		checkAcked(t, fs, opts, want, nil)
	})
}

func TestCrashPointsLockChanges(t *testing.T) {
	clock := newFakeClock()
	var target ackedVersion
	forEachCrashPoint(t, func(e *Engine) *acked {
		ack := newAcked()
		require.NoError(t, e.CreateBucket(ctx, "lk", CreateBucketOptions{ObjectLock: true}))
		info := put(t, e, "lk", "k", []byte("evidence"))
		target = ackedVersion{"lk", "k", info.VersionID, []byte("evidence"), LockState{}}
		_, next, err := e.PutObjectRetention(ctx, "lk", "k", info.VersionID, Retention{ModeGovernance, clock.Now().Add(time.Hour)}, false)
		require.NoError(t, err)
		target.lock = next
		ack.set(target)
		return ack
	}, func(e *Engine) error {
		// GOVERNANCE to COMPLIANCE needs bypass.
		if _, _, err := e.PutObjectRetention(ctx, "lk", "k", target.vid, Retention{ModeCompliance, clock.Now().Add(48 * time.Hour)}, true); err != nil {
			return err
		}
		_, err := e.PutObjectLegalHold(ctx, "lk", "k", target.vid, true)
		return err
	}, func(t *testing.T, fs vfs.FS, want map[string]ackedVersion) {
		// The in-flight changes may or may not have landed, but the
		// version must exist and be at least as protected as before.
		opts := testOptions(fs, clock)
		checkAcked(t, fs, opts, want, map[string]bool{"lk/k@" + target.vid: true})
		opts.FS = fs
		e := openAfterCrash(t, opts)
		defer e.Close()
		o, err := e.OpenObject(ctx, "lk", "k", target.vid)
		require.NoError(t, err)
		require.False(t, o.Info.Lock.Retention.Until.Before(target.lock.Retention.Until))
		_, err = e.DeleteObject(ctx, "lk", "k", DeleteOptions{VersionID: target.vid})
		require.ErrorIs(t, err, ErrObjectLocked)
	})
}

func TestCrashPointsMultipartComplete(t *testing.T) {
	clock := newFakeClock()
	var id string
	var parts [][]byte
	var infos []*PartInfo
	forEachCrashPoint(t, func(e *Engine) *acked {
		require.NoError(t, e.CreateBucket(ctx, "b", CreateBucketOptions{ObjectLock: true}))
		var err error
		id, err = e.CreateMultipartUpload(ctx, "b", "mp", PutOptions{})
		require.NoError(t, err)
		for i := 0; i < 3; i++ {
			p := randBytes(i, int(e.opts.MinPartSize)+i)
			pi, err := e.UploadPart(ctx, "b", "mp", id, i+1, bytes.NewReader(p), PartOptions{Size: -1})
			require.NoError(t, err)
			parts, infos = append(parts, p), append(infos, pi)
		}
		return newAcked()
	}, func(e *Engine) error {
		_, err := e.CompleteMultipartUpload(ctx, "b", "mp", id, []CompletePart{{1, infos[0].ETag}, {2, infos[1].ETag}, {3, infos[2].ETag}}, CompleteOptions{})
		return err
	}, func(t *testing.T, fs vfs.FS, _ map[string]ackedVersion) {
		// Either the upload is still there with its parts, or the object
		// exists whole.
		opts := testOptions(fs, clock)
		e := openAfterCrash(t, opts)
		defer e.Close()
		checkEngine(t, e)
		data, err := readObject(e, "b", "mp", "")
		if errors.Is(err, ErrNoSuchKey) {
			ps, _, err := e.ListParts(ctx, "b", "mp", id, 0, 0)
			require.NoError(t, err)
			require.Len(t, ps, 3)
			return
		}
		require.NoError(t, err)
		require.True(t, bytes.Equal(bytes.Join(parts, nil), data))
	})
}

// TestFaultInjection makes every write after the nth fail with ENOSPC or
// EIO: operations return errors (never panic), the engine refuses further
// writes, and after reopening on the crash-consistent state everything
// acknowledged before the fault is intact.
func TestFaultInjection(t *testing.T) {
	for _, fault := range []error{syscall.ENOSPC, syscall.EIO} {
		for _, after := range []int32{5, 40, 120, 300} {
			t.Run(fmt.Sprintf("%v-after-%d", fault, after), func(t *testing.T) {
				clock := newFakeClock()
				mem := vfs.NewCrashableMem()
				var armed atomic.Bool
				var count atomic.Int32
				inj := errorfs.InjectorFunc(func(op errorfs.Op) error {
					if !armed.Load() || op.Kind.ReadOrWrite() != errorfs.OpIsWrite {
						return nil
					}
					if count.Add(1) > after {
						return fault
					}
					return nil
				})
				opts := testOptions(errorfs.Wrap(mem, inj), clock)
				e, err := Open(ctx, opts)
				require.NoError(t, err)
				require.NoError(t, e.CreateBucket(ctx, "lk", CreateBucketOptions{ObjectLock: true}))
				ack := newAcked()
				armed.Store(true)
				var firstErr error
				for i := 0; i < 200 && firstErr == nil; i++ {
					data := randBytes(i, 1000+i*37)
					info, err := e.PutObject(ctx, "lk", fmt.Sprintf("k%d", i%7), bytes.NewReader(data), PutOptions{Size: int64(len(data)),
						Retention: &Retention{ModeCompliance, clock.Now().Add(time.Hour)}})
					if err != nil {
						firstErr = err
						break
					}
					ack.set(ackedVersion{"lk", info.Key, info.VersionID, data, info.Lock})
				}
				require.Error(t, firstErr, "the fault must surface")
				require.ErrorIs(t, firstErr, fault)
				// A failed engine does not accept further writes.
				_, err = e.PutObject(ctx, "lk", "after", bytes.NewReader([]byte("x")), PutOptions{Size: 1})
				require.Error(t, err)
				_ = e.Close() // may fail: the disk is "full"
				armed.Store(false)
				checkAcked(t, mem.CrashClone(vfs.CrashCloneCfg{}), testOptions(mem, clock), ack.snapshot(), nil)
			})
		}
	}
}
