package wal

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// benchDir returns a directory on the real filesystem for benchmarks
// (b.TempDir, normally under $TMPDIR; point TMPDIR at the disk to measure).
func benchDir(b *testing.B) string { return b.TempDir() }

// BenchmarkCommit measures Commit of 100-byte records on the real
// filesystem, from one goroutine and from 32, reporting records/s and the
// fsyncs issued (group commit shows as records/fsync > 1).
func BenchmarkCommit(b *testing.B) {
	for _, goroutines := range []int{1, 32} {
		b.Run(fmt.Sprintf("goroutines=%d", goroutines), func(b *testing.B) {
			var syncs atomic.Int64
			l, err := Open(Options{FS: vfs.Default, Dir: benchDir(b), OnSync: func(_ time.Duration, records int) {
				if records > 0 {
					syncs.Add(1)
				}
			}})
			if err != nil {
				b.Fatal(err)
			}
			defer l.Close()
			payload := make([]byte, 100)
			var next atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			for range goroutines {
				wg.Go(func() {
					for next.Add(1) <= int64(b.N) {
						if _, err := l.Commit(payload); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			b.StopTimer()
			n := syncs.Load()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
			b.ReportMetric(float64(n), "fsyncs")
			b.ReportMetric(float64(b.N)/float64(max(n, 1)), "records/fsync")
		})
	}
}

// BenchmarkRawWriteFdatasync measures the raw serial rate of a 4 KiB write
// followed by fdatasync in the same kind of directory, the ceiling for
// serial commits.
func BenchmarkRawWriteFdatasync(b *testing.B) {
	fs := vfs.Default
	f, err := fs.Create(fs.PathJoin(benchDir(b), "raw"), vfs.WriteCategoryUnspecified)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 4<<10)
	b.SetBytes(int64(len(buf)))
	b.ResetTimer()
	for range b.N {
		if _, err := f.Write(buf); err != nil {
			b.Fatal(err)
		}
		if err := f.SyncData(); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "fdatasyncs/s")
}
