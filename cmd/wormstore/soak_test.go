package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/stretchr/testify/require"
	"github.com/wormstore/wormstore/engine"
)

// The soak tests run the real binary as a child process and talk to it with
// aws-sdk-go-v2, as an operator's clients would.
//
// TestCrashSoak, short version (part of `go test ./...`, about 20 s):
//
//	go test -run TestCrashSoak -v ./cmd/wormstore/
//
// Long version (200 kill/restart cycles; about 30 minutes and 4 GB of disk
// on a 2-core machine):
//
//	WORMSTORE_SOAK_CYCLES=200 go test -run TestCrashSoak -timeout 2h -v ./cmd/wormstore/
//
// Knobs: WORMSTORE_SOAK_CYCLES (default 5), WORMSTORE_SOAK_WORKERS
// (concurrent clients, default 4), WORMSTORE_SOAK_SEED (the seed logged by
// a failed run; it fixes the kill schedule and every client's choice of
// operations and bodies, not the interleaving). A failed run copies the
// data directory to $TMPDIR/wormstore-soak-* and logs where.
//
// TestDiskFullSoak mounts a 48 MiB tmpfs (root only; skipped otherwise):
//
//	go test -run TestDiskFullSoak -v ./cmd/wormstore/

// soakFailures collects failures from concurrent checkers, prefixed with
// the seed and phase, and stops printing after a while.
type soakFailures struct {
	t      *testing.T
	mu     sync.Mutex
	prefix string // guarded by mu
	n      int    // guarded by mu
}

const soakMaxFailures = 25

func (f *soakFailures) setPhase(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.prefix = fmt.Sprintf(format, args...) + ": "
}

func (f *soakFailures) fail(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n++
	switch {
	case f.n <= soakMaxFailures:
		f.t.Errorf(f.prefix+format, args...)
	case f.n == soakMaxFailures+1:
		f.t.Errorf("%smore failures not shown", f.prefix)
	}
}

func soakEnvInt(t *testing.T, name string, def int) int {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	require.NoError(t, err, "%s", name)
	require.Positive(t, n, "%s", name)
	return n
}

func soakSeed(t *testing.T) uint64 {
	if s := os.Getenv("WORMSTORE_SOAK_SEED"); s != "" {
		seed, err := strconv.ParseUint(s, 10, 64)
		require.NoError(t, err, "WORMSTORE_SOAK_SEED")
		return seed
	}
	return uint64(time.Now().UnixNano())
}

func createSoakBuckets(t *testing.T, c *s3.Client) {
	ctx := context.Background()
	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(soakLockBucket), ObjectLockEnabledForBucket: aws.Bool(true)})
	require.NoError(t, err)
	_, err = c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(soakPlainBucket)})
	require.NoError(t, err)
}

// soakCheckAll runs ck over every worker, one goroutine per worker.
func soakCheckAll(ck *soakCheck, ws []*soakWorker) (checked int) {
	var n atomic.Int64
	var wg sync.WaitGroup
	for _, w := range ws {
		wg.Go(func() { n.Add(int64(ck.check(w))) })
	}
	wg.Wait()
	return int(n.Load())
}

// soakTotals summarises the workers' models.
type soakTotals struct {
	versions, locked, held, plain int
	acks, fails                   map[string]int
}

func soakTotalsOf(ws []*soakWorker) soakTotals {
	tt := soakTotals{acks: map[string]int{}, fails: map[string]int{}}
	now := time.Now()
	for _, w := range ws {
		for _, v := range w.versions {
			if v.deleted {
				continue
			}
			tt.versions++
			if v.ret.After(now) {
				tt.locked++
			}
			if v.hold {
				tt.held++
			}
		}
		for _, p := range w.plain {
			if p.acked.exists {
				tt.plain++
			}
		}
		for k, n := range w.acks {
			tt.acks[k] += n
		}
		for k, n := range w.fails {
			tt.fails[k] += n
		}
	}
	return tt
}

func soakSum(m map[string]int) (n int) {
	for _, v := range m {
		n += v
	}
	return n
}

func soakFormatCounts(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %d", k, m[k])
	}
	return b.String()
}

// soakVerifyDataDir opens a stopped server's data directory in this process and
// runs the engine's fsck over it.
func soakVerifyDataDir(t *testing.T, dir string) {
	t.Helper()
	ctx := context.Background()
	start := time.Now()
	e, err := engine.Open(ctx, engine.Options{FS: vfs.Default, Dir: dir, CompactionInterval: -1})
	require.NoError(t, err, "engine.Open %s", dir)
	rep, err := e.Verify(ctx, nil)
	require.NoError(t, err, "engine.Verify")
	require.NoError(t, e.Close())
	for i, p := range rep.Problems {
		if i == soakMaxFailures {
			t.Errorf("verify: %d more problems", len(rep.Problems)-i)
			break
		}
		t.Errorf("verify: %s", p)
	}
	t.Logf("verify in %v: %d segments, %d blocks, %d bytes, %d versions, %d WAL records, %d problems",
		time.Since(start).Round(time.Millisecond), rep.Segments, rep.Blocks, rep.Bytes, rep.Versions, rep.Records, len(rep.Problems))
}

// TestCrashSoak drives concurrent PUT / retention / legal-hold / delete load
// against a real server process, kills it with SIGKILL at a random moment,
// restarts it on the same data directory and checks that everything it
// acknowledged is there: every version reads back byte-identical by version
// id, every acknowledged retention is in force with the acknowledged
// retain-until (or a later one the client sent without getting an answer),
// legal holds are as last acknowledged, locked versions refuse deletion with
// 403 AccessDenied, acknowledged deletes stay deleted, and no version or
// object appears that no request created. A quarter of the cycles send
// SIGTERM first and SIGKILL in the middle of the drain; a quarter kill the
// server again during its restart. After the last cycle the server is
// stopped with SIGTERM and the engine's Verify must find no problem.
func TestCrashSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills a real server process")
	}
	cycles := soakEnvInt(t, "WORMSTORE_SOAK_CYCLES", 5)
	nworkers := soakEnvInt(t, "WORMSTORE_SOAK_WORKERS", 4)
	seed := soakSeed(t)
	t.Logf("seed %d, %d cycles, %d workers (replay the schedule with WORMSTORE_SOAK_SEED=%d)", seed, cycles, nworkers, seed)
	rng := rand.New(rand.NewPCG(seed, 0x50a4))
	f := &soakFailures{t: t}
	f.setPhase("seed %d setup", seed)

	bin := buildSoakBinary(t)
	data := filepath.Join(t.TempDir(), "data")
	soakPreserveOnFailure(t, "soak", data)
	srv := newSoakServer(t, bin, data)
	_, err := srv.start(2 * time.Minute)
	require.NoError(t, err)
	createSoakBuckets(t, srv.client())

	ws := make([]*soakWorker, nworkers)
	for i := range ws {
		ws[i] = newSoakWorker(seed, i)
	}
	began := time.Now()
	lastRecovery := 100 * time.Millisecond
	for cycle := 1; cycle <= cycles && !t.Failed(); cycle++ {
		f.setPhase("seed %d cycle %d", seed, cycle)
		before := soakTotalsOf(ws)
		load := 300*time.Millisecond + time.Duration(rng.Int64N(int64(2*time.Second)))

		// Load, then SIGKILL while every worker has a request in flight or
		// about to be.
		var killed atomic.Bool
		onErr := func(op string, err error) {
			if !killed.Load() {
				f.fail("%s failed before the kill: %v", op, err)
			}
		}
		c := srv.client()
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for _, w := range ws {
			wg.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
					}
					w.step(c, onErr)
				}
			})
		}
		time.Sleep(load)
		killed.Store(true)
		how := "SIGKILL"
		if rng.IntN(4) == 0 {
			// Kill in the middle of a graceful shutdown: requests
			// answered while draining are acknowledged all the same.
			d := time.Duration(rng.Int64N(int64(50 * time.Millisecond)))
			require.NoError(t, srv.cmd.Process.Signal(syscall.SIGTERM))
			time.Sleep(d)
			how = fmt.Sprintf("SIGTERM, SIGKILL %v later", d.Round(time.Millisecond))
		}
		srv.kill()
		close(stop)
		wg.Wait()

		if rng.IntN(4) == 0 {
			// Kill again during start-up and recovery.
			d := time.Duration(rng.Int64N(int64(lastRecovery) + 1))
			srv.spawn()
			time.Sleep(d)
			srv.kill()
			how += fmt.Sprintf(", killed again %v into the restart", d.Round(time.Millisecond))
		}
		recovery, err := srv.start(2 * time.Minute)
		lastRecovery = recovery
		require.NoError(t, err, "seed %d cycle %d: restart after SIGKILL", seed, cycle)

		checkStart := time.Now()
		tt := soakTotalsOf(ws)
		// Every cycle checks what changed since the last one and, once the
		// model is large (long runs), a random sample of the rest; the
		// final check reads everything.
		sample := 1.0
		if tt.versions > 1000 {
			sample = 1000 / float64(tt.versions)
		}
		ck := &soakCheck{c: srv.client(), sample: sample, resolve: true, denyDeletes: true, fail: f.fail}
		checked := soakCheckAll(ck, ws)
		after := soakTotalsOf(ws)
		t.Logf("cycle %d: %v of load, %d acknowledged, %d cut off; %s; ready in %v; checked %d versions/keys in %v; model: %d versions (%d retained, %d held), %d plain objects",
			cycle, load.Round(time.Millisecond), soakSum(after.acks)-soakSum(before.acks), soakSum(after.fails)-soakSum(before.fails),
			how, recovery.Round(time.Millisecond), checked, time.Since(checkStart).Round(time.Millisecond),
			after.versions, after.locked, after.held, after.plain)
	}
	if t.Failed() {
		t.Logf("server log tail:\n%s", srv.logTail(40))
		return
	}

	f.setPhase("seed %d final check", seed)
	checkStart := time.Now()
	ck := &soakCheck{c: srv.client(), sample: 1, resolve: true, denyDeletes: true, fail: f.fail}
	checked := soakCheckAll(ck, ws)
	tt := soakTotalsOf(ws)
	t.Logf("final check: %d versions/keys in %v; %d cycles in %v; acknowledged: %s; cut off by kills: %s",
		checked, time.Since(checkStart).Round(time.Millisecond), cycles, time.Since(began).Round(time.Second),
		soakFormatCounts(tt.acks), soakFormatCounts(tt.fails))
	require.NoError(t, srv.stop(), "SIGTERM: clean exit; log tail:\n%s", srv.logTail(20))
	soakVerifyDataDir(t, data)
}

// soakFillDisk writes filler files into dir until the filesystem is full and
// returns their paths.
func soakFillDisk(t *testing.T, dir string) []string {
	t.Helper()
	buf := make([]byte, 1<<20)
	var paths []string
	for chunk := len(buf); chunk >= 4096; chunk /= 16 {
		p := filepath.Join(dir, fmt.Sprintf("filler-%d-%d", time.Now().UnixNano(), chunk))
		fh, err := os.Create(p)
		if errors.Is(err, syscall.ENOSPC) {
			break
		}
		require.NoError(t, err)
		paths = append(paths, p)
		for {
			if _, err := fh.Write(buf[:chunk]); err != nil {
				require.ErrorIs(t, err, syscall.ENOSPC)
				break
			}
		}
		require.NoError(t, fh.Close())
	}
	return paths
}

func soakFreeDisk(t *testing.T, paths []string) {
	t.Helper()
	for _, p := range paths {
		require.NoError(t, os.Remove(p))
	}
}

func soakDiskFree(t *testing.T, dir string) string {
	var st syscall.Statfs_t
	require.NoError(t, syscall.Statfs(dir, &st))
	return fmt.Sprintf("%d KiB free of %d KiB", st.Bavail*uint64(st.Bsize)>>10, st.Blocks*uint64(st.Bsize)>>10)
}

// TestDiskFullSoak runs the server on a small tmpfs, fills the filesystem
// with files beside the data directory and checks that writes then fail
// with a clean 5xx S3 error (not a hang, not a crash), that reads of
// everything acknowledged still work, and that after the space is freed and
// the server restarted everything acknowledged is intact and writes work.
// A second round kills the server while the disk is full and restarts it
// before freeing space: it must either come up or exit with a message,
// never hang or lose acknowledged data. Needs root to mount the tmpfs.
func TestDiskFullSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real server process on a tmpfs")
	}
	if runtime.GOOS != "linux" {
		t.Skip("needs a Linux tmpfs")
	}
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Skipf("needs a small filesystem: mount -t tmpfs failed (not root?): %v %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", mnt).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", mnt, err, out)
		}
	})
	seed := soakSeed(t)
	t.Logf("seed %d (replay with WORMSTORE_SOAK_SEED=%d)", seed, seed)
	f := &soakFailures{t: t}

	bin := buildSoakBinary(t)
	data := filepath.Join(mnt, "data")
	soakPreserveOnFailure(t, "diskfull", data)
	srv := newSoakServer(t, bin, data)
	_, err := srv.start(time.Minute)
	require.NoError(t, err)
	createSoakBuckets(t, srv.client())

	w := newSoakWorker(seed, 0)
	w.maxBody = 512 << 10
	strict := func(op string, err error) { f.fail("%s: %v", op, err) }
	codes := map[string]int{}
	onFull := func(op string, err error) {
		code, status := soakS3Error(err)
		codes[fmt.Sprintf("%d %s", status, code)]++
		if status != 507 && status != 503 && status != 500 {
			f.fail("%s on a full disk: %v; want a 5xx S3 error", op, err)
		}
	}
	// check reads everything back; before a restart (!resolve) the engine
	// may be in its sticky failed state, refusing every mutation.
	check := func(resolve bool) {
		t.Helper()
		ck := &soakCheck{c: srv.client(), sample: 1, resolve: resolve, denyDeletes: true, failedEngine: !resolve, fail: f.fail}
		ck.check(w)
	}
	// fullRound fills the disk and sends writes that must fail cleanly.
	fullRound := func(n int) []string {
		t.Helper()
		fillers := soakFillDisk(t, mnt)
		t.Logf("filled: %s", soakDiskFree(t, mnt))
		clear(codes)
		acks := soakSum(w.acks)
		c := srv.client()
		for range n {
			w.step(c, onFull)
			require.True(t, srv.running(), "the server died on a full disk; log tail:\n%s", srv.logTail(30))
		}
		t.Logf("%d writes on a full disk: %d acknowledged, failures: %s", n, soakSum(w.acks)-acks, soakFormatCounts(codes))
		require.NotEmpty(t, codes, "no write failed on a full disk")
		require.Positive(t, codes["507 InsufficientStorage"], "no write was answered 507 InsufficientStorage")
		return fillers
	}

	f.setPhase("seed %d baseline", seed)
	c := srv.client()
	for range 80 {
		w.step(c, strict)
	}
	tt := soakTotalsOf([]*soakWorker{w})
	t.Logf("baseline: %d versions (%d retained, %d held), %d plain objects; %s", tt.versions, tt.locked, tt.held, tt.plain, soakDiskFree(t, mnt))

	// Round 1: full disk, reads, free, clean restart.
	f.setPhase("seed %d round 1 (disk full)", seed)
	fillers := fullRound(40)
	check(false)
	soakFreeDisk(t, fillers)
	f.setPhase("seed %d round 1 (space freed, no restart)", seed)
	clear(codes)
	acks := soakSum(w.acks)
	for range 10 {
		w.step(srv.client(), onFull)
	}
	t.Logf("after freeing space, without a restart: %d of 10 writes acknowledged; failures: %s", soakSum(w.acks)-acks, soakFormatCounts(codes))
	check(false)
	if err := srv.stop(); err != nil {
		f.fail("SIGTERM after a disk-full episode: %v; log tail:\n%s", err, srv.logTail(20))
	}
	f.setPhase("seed %d round 1 (restarted)", seed)
	_, err = srv.start(time.Minute)
	require.NoError(t, err)
	check(true)
	c = srv.client()
	for range 30 {
		w.step(c, strict)
	}
	check(true)

	// Round 2: SIGKILL on a full disk, restart while still full.
	f.setPhase("seed %d round 2 (disk full)", seed)
	fillers = fullRound(20)
	srv.kill()
	f.setPhase("seed %d round 2 (restart on a full disk)", seed)
	if d, err := srv.start(30 * time.Second); err != nil {
		if srv.running() {
			srv.kill()
			f.fail("restart on a full disk neither became ready nor exited: %v", err)
		}
		t.Logf("restart on a full disk refused: %s", srv.logTail(1))
	} else {
		t.Logf("restart on a full disk: ready in %v", d.Round(time.Millisecond))
		check(false)
		srv.kill()
	}
	soakFreeDisk(t, fillers)
	f.setPhase("seed %d round 2 (space freed, restarted)", seed)
	_, err = srv.start(time.Minute)
	require.NoError(t, err)
	check(true)
	c = srv.client()
	for range 30 {
		w.step(c, strict)
	}
	check(true)
	tt = soakTotalsOf([]*soakWorker{w})
	t.Logf("end: %d versions (%d retained, %d held), %d plain objects; acknowledged: %s", tt.versions, tt.locked, tt.held, tt.plain, soakFormatCounts(tt.acks))
	require.NoError(t, srv.stop(), "SIGTERM: clean exit; log tail:\n%s", srv.logTail(20))
	soakVerifyDataDir(t, data)
}
