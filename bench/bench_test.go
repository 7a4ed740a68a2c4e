package bench_test

import (
	"testing"

	"github.com/wormstore/wormstore/bench"
)

// BenchmarkDisk prints the raw limits of the disk under the test's temp
// directory: go test -run '^$' -bench . ./bench/
func BenchmarkDisk(b *testing.B) {
	b.Run("SeqWrite1MiB", func(b *testing.B) {
		// One op is one 1 MiB write; the single fdatasync at the end is
		// inside the timing.
		dir := b.TempDir()
		b.SetBytes(1 << 20)
		bw, err := bench.SeqWriteBandwidth(dir, int64(b.N)<<20)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(bw/1e6, "raw_MB/s")
	})
	b.Run("SerialFsync4KiB", func(b *testing.B) {
		// One op is one 4 KiB append + fdatasync.
		dir := b.TempDir()
		rate, err := bench.SerialFsyncRate(dir, b.N)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(rate, "fsync/s")
	})
}

// BenchmarkMeasure runs Measure as the engine benchmarks do, and logs it.
func BenchmarkMeasure(b *testing.B) {
	dir := b.TempDir()
	for range b.N {
		l, err := bench.Measure(dir)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(l.SeqWrite/1e6, "seq_MB/s")
		b.ReportMetric(l.FsyncRate, "fsync/s")
		b.Logf("disk limits under %s: %s", dir, l)
	}
}

func TestProbesSmall(t *testing.T) {
	// Not a timing test: only that the probes work and clean up.
	dir := t.TempDir()
	bw, err := bench.SeqWriteBandwidth(dir, 2<<20)
	if err != nil || bw <= 0 {
		t.Fatalf("SeqWriteBandwidth = %v, %v; want > 0, nil", bw, err)
	}
	rate, err := bench.SerialFsyncRate(dir, 3)
	if err != nil || rate <= 0 {
		t.Fatalf("SerialFsyncRate = %v, %v; want > 0, nil", rate, err)
	}
	if _, err := bench.SeqWriteBandwidth(dir, 0); err == nil {
		t.Errorf("SeqWriteBandwidth(0): got nil error, want one")
	}
	ents, err := readDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 0 {
		t.Errorf("probe files left behind: %v", ents)
	}
}

func TestUsageCounters(t *testing.T) {
	cpu0 := bench.ProcessCPUTime()
	x := 0
	for i := range 20_000_000 {
		x += i
	}
	_ = x
	if cpu := bench.ProcessCPUTime(); cpu < cpu0 {
		t.Errorf("ProcessCPUTime went back: got %v after %v", cpu, cpu0)
	}
	if w := bench.RunQueueWait(); w < 0 {
		t.Errorf("RunQueueWait = %v, want >= 0", w)
	}
}
