package engine_test

// Engine benchmarks on a real directory (vfs.Default under b.TempDir) with
// full durability: PutObject returns after the data and then its WAL
// record are fsynced. Figures are also reported as ratios to the raw
// limits of the same disk, measured once per process by package bench
// (median of 5 trials, logged with their range):
//
//	ratio_seq_write  engine put MB/s ÷ raw sequential write MB/s
//	                 (1 MiB writes, one fdatasync at the end)
//	x_fsync_rate     engine durable ops/s ÷ serial 4 KiB append+fdatasync/s
//	recs/wal_sync    records made durable per WAL fsync (group commit)
//	cpu_us/op        process CPU time per op (see usage)
//	runq_us/op       time threads waited for a CPU per op (machine load)
//
// Targets: large puts ratio_seq_write ≥ 0.7; 4 KiB puts at conc=32
// x_fsync_rate ≥ 10 (group commit); peak heap flat in object size.
//
// CI only compiles these. Run, e.g.:
//
//	go test -run '^$' -bench . -benchtime 1x ./engine/         # smoke
//	go test -run '^$' -bench '^BenchmarkPut$/^size=(4KiB|64KiB|1MiB)' -benchtime 2s ./engine/
//	go test -run '^$' -bench '^BenchmarkPut$/^size=64MiB$' -benchtime 64x ./engine/
//	go test -run '^$' -bench 'Get|LockRecord' -benchtime 2s ./engine/
//	go test -run '^$' -bench 'List|Recovery' -benchtime 3x ./engine/
//	go test -run '^$' -bench PutStreamMemory -benchtime 2x ./engine/
//
// The 1 GiB streaming put and the large fixtures shrink or skip with -short.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/wormstore/wormstore/bench"
	"github.com/wormstore/wormstore/engine"
)

const benchBucket = "bench"

// objSize is one object size under test.
type objSize struct {
	name string
	size int
}

var benchSizes = []objSize{
	{"4KiB", 4 << 10},
	{"64KiB", 64 << 10},
	{"1MiB", 1 << 20},
	{"64MiB", 64 << 20},
}

var benchConcurrency = []int{1, 32}

// diskLimits measures the raw disk limits once per process, in the temp
// directory of the first benchmark that asks (all temp dirs share one file
// system), and logs them.
var diskLimits struct {
	once sync.Once
	l    bench.Limits
	err  error
}

func limits(b *testing.B) bench.Limits {
	b.Helper()
	diskLimits.once.Do(func() {
		dir := b.TempDir()
		diskLimits.l, diskLimits.err = bench.Measure(dir)
		if diskLimits.err == nil {
			b.Logf("disk limits (%s): %s", dir, diskLimits.l)
		}
	})
	if diskLimits.err != nil {
		b.Fatalf("measure disk limits: %v", diskLimits.err)
	}
	return diskLimits.l
}

// randomData is 64 MiB of incompressible bytes; objects are prefixes of it.
var randomData = sync.OnceValue(func() []byte {
	b := make([]byte, 64<<20)
	rng := rand.NewChaCha8([32]byte{'b', 'e', 'n', 'c', 'h'})
	_, _ = rng.Read(b)
	return b
})

// textData returns n bytes of compressible, log-like text (zstd shrinks it
// several-fold, as it would real logs).
func textData(n int) []byte {
	rng := rand.New(rand.NewPCG(1, 2))
	levels := []string{"INFO", "INFO", "INFO", "WARN", "DEBUG"}
	ops := []string{"GET", "PUT", "HEAD", "DELETE"}
	var buf bytes.Buffer
	for buf.Len() < n {
		fmt.Fprintf(&buf, "2026-01-10T12:%02d:%02d.%03dZ %s request_id=%016x op=%s bucket=archive key=records/%04d/%06d.json status=200 bytes=%d\n",
			rng.IntN(60), rng.IntN(60), rng.IntN(1000), levels[rng.IntN(len(levels))], rng.Uint64(),
			ops[rng.IntN(len(ops))], rng.IntN(100), rng.IntN(1000000), rng.IntN(1<<20))
	}
	return buf.Bytes()[:n]
}

func benchOptions(dir string) engine.Options {
	return engine.Options{
		FS:                 vfs.Default,
		Dir:                dir,
		CompactionInterval: -1, // no background work competing with the figures
	}
}

// walSyncs counts the WAL's fsyncs and the records they made durable.
type walSyncs struct{ syncs, records atomic.Int64 }

func (w *walSyncs) observe(_ time.Duration, records int) {
	if records > 0 {
		w.syncs.Add(1)
		w.records.Add(int64(records))
	}
}

func (w *walSyncs) reset() { w.syncs.Store(0); w.records.Store(0) }

// openBench opens an engine in dir with one bucket and closes it at
// cleanup (after the timer stopped).
func openBench(b *testing.B, dir string, bucket engine.CreateBucketOptions) (*engine.Engine, *walSyncs) {
	b.Helper()
	ws := &walSyncs{}
	opts := benchOptions(dir)
	opts.OnWALSync = ws.observe
	e, err := engine.Open(context.Background(), opts)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if err := e.Close(); err != nil && !errors.Is(err, engine.ErrClosed) {
			b.Errorf("close: %v", err)
		}
	})
	if err := e.CreateBucket(context.Background(), benchBucket, bucket); err != nil {
		b.Fatal(err)
	}
	return e, ws
}

// usage accumulates the process CPU time and run-queue wait of timed
// sections. Reported per op, they tell the engine's cost apart from the
// machine's load: cpu_us/op is what the work costs (engine, Go runtime and
// kernel time of this process), runq_us/op is how long its threads were
// runnable but had no CPU (other processes on the machine). cpu_us/op ×
// obj/s near 2e6 means CPU-bound on two cores.
type usage struct{ cpu, wait, cpu0, wait0 time.Duration }

func (u *usage) start() { u.cpu0, u.wait0 = bench.ProcessCPUTime(), bench.RunQueueWait() }

func (u *usage) stop() {
	u.cpu += bench.ProcessCPUTime() - u.cpu0
	u.wait += bench.RunQueueWait() - u.wait0
}

func (u *usage) report(b *testing.B) {
	if u.cpu > 0 {
		b.ReportMetric(float64(u.cpu.Microseconds())/float64(b.N), "cpu_us/op")
	}
	if u.wait > 0 {
		b.ReportMetric(float64(u.wait.Microseconds())/float64(b.N), "runq_us/op")
	}
}

// runConcurrent runs b.N ops on conc goroutines, timed, stops the timer
// and reports the usage. op gets its worker number and the op number.
func runConcurrent(b *testing.B, conc int, op func(worker, i int) error) {
	b.Helper()
	var next atomic.Int64
	var failed atomic.Bool
	errs := make([]error, conc)
	var wg sync.WaitGroup
	var u usage
	b.ResetTimer()
	u.start()
	for w := range conc {
		wg.Go(func() {
			for !failed.Load() {
				i := int(next.Add(1) - 1)
				if i >= b.N {
					return
				}
				if err := op(w, i); err != nil {
					errs[w] = fmt.Errorf("op %d: %w", i, err)
					failed.Store(true)
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	u.stop()
	if err := errors.Join(errs...); err != nil {
		b.Fatal(err)
	}
	u.report(b)
}

// perSec is b.N over the timed duration.
func perSec(b *testing.B) float64 { return float64(b.N) / b.Elapsed().Seconds() }

// reportWAL reports the group-commit batch size.
func reportWAL(b *testing.B, ws *walSyncs) {
	if s := ws.syncs.Load(); s > 0 {
		b.ReportMetric(float64(ws.records.Load())/float64(s), "recs/wal_sync")
	}
}

func objKey(i int) string { return fmt.Sprintf("objects/%02d/%09d", i%100, i) }

// loadObjects puts count objects of data under objKey(base..base+count-1)
// with 32 writers.
func loadObjects(b *testing.B, e *engine.Engine, base, count int, data []byte, opts engine.PutOptions) {
	b.Helper()
	opts.Size = int64(len(data))
	var next atomic.Int64
	errs := make([]error, 32)
	var wg sync.WaitGroup
	for w := range 32 {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < count; i = int(next.Add(1) - 1) {
				if _, err := e.PutObject(context.Background(), benchBucket, objKey(base+i), bytes.NewReader(data), opts); err != nil {
					errs[w] = err
					return
				}
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkPut measures durable PutObject of new keys, one object per op,
// each sub-benchmark round on a fresh engine.
func BenchmarkPut(b *testing.B) {
	for _, sz := range benchSizes {
		for _, conc := range benchConcurrency {
			b.Run(fmt.Sprintf("size=%s/conc=%d", sz.name, conc), func(b *testing.B) {
				benchPut(b, randomData()[:sz.size], conc)
			})
		}
	}
	text := textData(1 << 20)
	for _, conc := range benchConcurrency {
		b.Run(fmt.Sprintf("size=1MiB-text/conc=%d", conc), func(b *testing.B) {
			benchPut(b, text, conc)
		})
	}
}

func benchPut(b *testing.B, data []byte, conc int) {
	lim := limits(b)
	e, ws := openBench(b, b.TempDir(), engine.CreateBucketOptions{})
	ctx := context.Background()
	b.SetBytes(int64(len(data)))
	ws.reset()
	runConcurrent(b, conc, func(_, i int) error {
		_, err := e.PutObject(ctx, benchBucket, objKey(i), bytes.NewReader(data), engine.PutOptions{Size: int64(len(data))})
		return err
	})
	ops := perSec(b)
	b.ReportMetric(ops, "obj/s")
	if len(data) >= 1<<20 {
		b.ReportMetric(ops*float64(len(data))/lim.SeqWrite, "ratio_seq_write")
	} else {
		b.ReportMetric(ops/lim.FsyncRate, "x_fsync_rate")
	}
	reportWAL(b, ws)
}

// BenchmarkGet measures full reads of existing objects (OpenObject +
// NewReader + read to EOF). The objects were just written, so reads are
// mostly served from the page cache: this is the engine's CPU path
// (pread, checksum, decompression, copies), not the disk's.
func BenchmarkGet(b *testing.B) {
	e, _ := openBench(b, b.TempDir(), engine.CreateBucketOptions{})
	type fixture struct {
		name  string
		data  []byte
		count int
		base  int // first object number
	}
	var fixtures []fixture
	base := 0
	for _, sz := range benchSizes {
		n := min(max((256<<20)/sz.size, 8), 1024)
		fixtures = append(fixtures, fixture{sz.name, randomData()[:sz.size], n, base})
		base += n
	}
	fixtures = append(fixtures, fixture{"1MiB-text", textData(1 << 20), 64, base})
	for _, f := range fixtures {
		loadObjects(b, e, f.base, f.count, f.data, engine.PutOptions{})
	}
	for _, f := range fixtures {
		for _, conc := range benchConcurrency {
			b.Run(fmt.Sprintf("size=%s/conc=%d", f.name, conc), func(b *testing.B) {
				ctx := context.Background()
				bufs := make([][]byte, conc)
				for w := range bufs {
					bufs[w] = make([]byte, 256<<10)
				}
				b.SetBytes(int64(len(f.data)))
				runConcurrent(b, conc, func(w, i int) error {
					o, err := e.OpenObject(ctx, benchBucket, objKey(f.base+i%f.count), "")
					if err != nil {
						return err
					}
					rc, err := o.NewReader(0, o.Info.Size)
					if err != nil {
						return err
					}
					var n int
					for {
						k, err := rc.Read(bufs[w])
						n += k
						if err == io.EOF {
							break
						}
						if err != nil {
							rc.Close()
							return err
						}
					}
					if n != len(f.data) {
						rc.Close()
						return fmt.Errorf("read %d bytes, want %d", n, len(f.data))
					}
					return rc.Close()
				})
				b.ReportMetric(perSec(b), "obj/s")
			})
		}
	}
}

// BenchmarkLockRecord measures PutObjectRetention extending the COMPLIANCE
// retention of existing versions: one WAL record and one (group) fsync per
// op, no data.
func BenchmarkLockRecord(b *testing.B) {
	const keys = 1024 // divisible by every concurrency
	e, ws := openBench(b, b.TempDir(), engine.CreateBucketOptions{ObjectLock: true})
	ctx := context.Background()
	start := time.Now()
	loadObjects(b, e, 0, keys, randomData()[:1<<10], engine.PutOptions{
		Retention: &engine.Retention{Mode: engine.ModeCompliance, Until: start.Add(24 * time.Hour)},
	})
	// Each op extends one key's retention to base + a process-wide
	// increasing number of µs. A key is only ever touched by one worker at
	// a time (worker w owns keys ≡ w mod conc), so its dates only grow.
	base := start.Add(48 * time.Hour)
	var tick atomic.Int64
	for _, conc := range benchConcurrency {
		b.Run(fmt.Sprintf("conc=%d", conc), func(b *testing.B) {
			lim := limits(b)
			perWorker := keys / conc
			counts := make([]int, conc)
			ws.reset()
			runConcurrent(b, conc, func(w, _ int) error {
				k := w + conc*(counts[w]%perWorker)
				counts[w]++
				until := base.Add(time.Duration(tick.Add(1)) * time.Microsecond)
				_, _, err := e.PutObjectRetention(ctx, benchBucket, objKey(k), "",
					engine.Retention{Mode: engine.ModeCompliance, Until: until}, false)
				return err
			})
			ops := perSec(b)
			b.ReportMetric(ops, "rec/s")
			b.ReportMetric(ops/lim.FsyncRate, "x_fsync_rate")
			reportWAL(b, ws)
		})
	}
}

// BenchmarkList measures listing a whole bucket of 100 000 keys in pages
// of 1000 (one op = the whole bucket). The fixture holds 64-byte objects.
func BenchmarkList(b *testing.B) {
	n := 100_000
	if testing.Short() {
		n = 10_000
	}
	e, _ := openBench(b, b.TempDir(), engine.CreateBucketOptions{})
	loadObjects(b, e, 0, n, randomData()[:64], engine.PutOptions{})
	b.Run(fmt.Sprintf("keys=%d", n), func(b *testing.B) {
		ctx := context.Background()
		runConcurrent(b, 1, func(_, _ int) error { return listAll(ctx, e, n) })
		b.ReportMetric(float64(n)*perSec(b), "keys/s")
		b.ReportMetric(b.Elapsed().Seconds()*1e9/float64(b.N)/float64(n), "ns/key")
	})
}

// BenchmarkRecovery measures rebuilding the index from the WAL: Open of a
// data directory whose index was deleted (WAL replay), and Rebuild. The
// WAL holds one put record per version (4-byte objects, so records carry
// an extent as real ones do). Rebuild includes closing the rebuilt index
// (flushing it to sstables); ReplayWAL times Open only.
func BenchmarkRecovery(b *testing.B) {
	versions := 100_000
	if testing.Short() {
		versions = 20_000
	}
	dir := b.TempDir()
	e, _ := openBench(b, dir, engine.CreateBucketOptions{})
	loadObjects(b, e, 0, versions, randomData()[:4], engine.PutOptions{ContentType: "application/octet-stream"})
	if err := e.Close(); err != nil {
		b.Fatal(err)
	}
	fs := vfs.Default
	walBytes := dirSize(b, fs, fs.PathJoin(dir, "wal"))
	b.Logf("recovery fixture: %d versions, WAL %d bytes (%.0f B/record)", versions, walBytes, float64(walBytes)/float64(versions))
	ctx := context.Background()
	opts := benchOptions(dir)

	b.Run("ReplayWAL", func(b *testing.B) {
		b.SetBytes(walBytes)
		var u usage
		b.ResetTimer()
		for range b.N {
			b.StopTimer()
			if err := fs.RemoveAll(fs.PathJoin(dir, "index")); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			u.start()
			e, err := engine.Open(ctx, opts)
			u.stop()
			if err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			if err := e.Close(); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
		b.StopTimer()
		u.report(b)
		perOp := b.Elapsed().Seconds() / float64(b.N)
		b.ReportMetric(perOp*1e9/float64(walBytes), "ns/WAL_byte")
		b.ReportMetric(perOp*float64(1<<30)/float64(walBytes), "s/GiB_WAL")
		b.ReportMetric(float64(versions)/perOp, "records/s")
		b.ReportMetric(float64(walBytes)/1e6, "WAL_MB")
	})
	b.Run("Rebuild", func(b *testing.B) {
		var u usage
		b.ResetTimer()
		u.start()
		for range b.N {
			if err := engine.Rebuild(ctx, opts); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		u.stop()
		u.report(b)
		perOp := b.Elapsed().Seconds() / float64(b.N)
		b.ReportMetric(perOp*1e6/float64(versions), "s/Mversions")
		b.ReportMetric(perOp*float64(1<<30)/float64(walBytes), "s/GiB_WAL")
	})
}

func dirSize(b *testing.B, fs vfs.FS, dir string) int64 {
	b.Helper()
	names, err := fs.List(dir)
	if err != nil {
		b.Fatal(err)
	}
	var n int64
	for _, name := range names {
		st, err := fs.Stat(fs.PathJoin(dir, name))
		if err != nil {
			b.Fatal(err)
		}
		if !st.IsDir() {
			n += st.Size()
		}
	}
	return n
}

// genReader yields size pseudo-random bytes without holding them.
type genReader struct {
	rng  *rand.ChaCha8
	left int64
}

func newGenReader(seed byte, size int64) *genReader {
	return &genReader{rng: rand.NewChaCha8([32]byte{seed}), left: size}
}

func (g *genReader) Read(p []byte) (int, error) {
	if g.left == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > g.left {
		p = p[:g.left]
	}
	n, _ := g.rng.Read(p)
	g.left -= int64(n)
	return n, nil
}

// heapSampler records the peak HeapInuse while it runs.
type heapSampler struct {
	stop chan struct{}
	done chan struct{}
	peak uint64
}

func startHeapSampler(every time.Duration) *heapSampler {
	s := &heapSampler{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		t := time.NewTicker(every)
		defer t.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			s.peak = max(s.peak, ms.HeapInuse)
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

// Stop ends sampling and returns the peak HeapInuse in bytes.
func (s *heapSampler) Stop() uint64 {
	close(s.stop)
	<-s.done
	return s.peak
}

// maxStreamHeapGrowth bounds the heap growth of one streaming put; the
// engine buffers at most a few blocks per writer.
const maxStreamHeapGrowth = 256 << 20

// BenchmarkPutStreamMemory streams objects from a generating reader (never
// a buffer of the object's size) through PutObject and reports the peak
// Go heap while doing so. It must not grow with the object size.
func BenchmarkPutStreamMemory(b *testing.B) {
	for _, sz := range []objSize{{"64MiB", 64 << 20}, {"1GiB", 1 << 30}} {
		b.Run("size="+sz.name, func(b *testing.B) {
			if sz.size >= 1<<30 && testing.Short() {
				b.Skip("1 GiB put skipped with -short")
			}
			lim := limits(b)
			e, _ := openBench(b, b.TempDir(), engine.CreateBucketOptions{})
			ctx := context.Background()
			b.SetBytes(int64(sz.size))
			runtime.GC()
			var before runtime.MemStats
			runtime.ReadMemStats(&before)
			s := startHeapSampler(2 * time.Millisecond)
			runConcurrent(b, 1, func(_, i int) error {
				_, err := e.PutObject(ctx, benchBucket, objKey(i), newGenReader(byte(i), int64(sz.size)),
					engine.PutOptions{Size: int64(sz.size)})
				return err
			})
			peak := s.Stop()
			var after runtime.MemStats
			runtime.ReadMemStats(&after)
			const mib = 1 << 20
			b.ReportMetric(float64(peak)/mib, "peak_heap_MiB")
			growth := peak - min(peak, before.HeapInuse)
			b.ReportMetric(float64(growth)/mib, "heap_growth_MiB")
			if growth > maxStreamHeapGrowth {
				b.Errorf("heap grew by %d MiB streaming %s objects, want at most %d MiB (memory must not grow with object size)",
					growth/mib, sz.name, maxStreamHeapGrowth/mib)
			}
			b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/mib/float64(b.N), "alloc_MiB/op")
			b.ReportMetric(perSec(b)*float64(sz.size)/lim.SeqWrite, "ratio_seq_write")
		})
	}
}

// listAll lists benchBucket in pages of 1 000 and checks it holds n keys.
func listAll(ctx context.Context, e *engine.Engine, n int) error {
	got := 0
	opts := engine.ListOptions{MaxKeys: 1000}
	for {
		res, err := e.ListObjects(ctx, benchBucket, opts)
		if err != nil {
			return err
		}
		got += len(res.Objects)
		if !res.IsTruncated {
			break
		}
		opts.After = res.NextAfter
	}
	if got != n {
		return fmt.Errorf("listed %d keys, want %d", got, n)
	}
	return nil
}
