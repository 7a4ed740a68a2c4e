package engine_test

import (
	"context"
	"flag"
	"fmt"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/wormstore/wormstore/engine"
)

var scaleVersions = flag.Int("scale.versions", 100_000, "BenchmarkScale: versions in the fixture")

// BenchmarkScale states the cost of the whole-state operations as a
// function of the number of versions and the WAL size: one fixture of
// -scale.versions versions (4-byte objects, one put record each), then
// once each: a full listing (pages of 1000), a restart (Open with the
// index intact), WAL replay (Open with the index deleted), Verify (fsck:
// every block, every extent, WAL replay into a scratch index), and a
// compaction round that finds nothing to rewrite (its cost is the scan of
// every extent reference). Run it at several sizes and compare the
// per-version figures; the sizes are logged.
//
//	go test -run '^$' -bench BenchmarkScale -benchtime 1x ./engine/ -args -scale.versions=300000
func BenchmarkScale(b *testing.B) {
	n := *scaleVersions
	dir := b.TempDir()
	e, _ := openBench(b, dir, engine.CreateBucketOptions{})
	t0 := time.Now()
	loadObjects(b, e, 0, n, randomData()[:4], engine.PutOptions{ContentType: "application/octet-stream"})
	load := time.Since(t0)
	ctx := context.Background()
	fs := vfs.Default
	walBytes := dirSize(b, fs, fs.PathJoin(dir, "wal"))
	b.Logf("scale fixture: %d versions loaded in %v, WAL %d bytes (%.0f B/version)", n, load, walBytes, float64(walBytes)/float64(n))
	report := func(b *testing.B, d time.Duration, bytesToo bool) {
		b.ReportMetric(float64(d.Nanoseconds())/1e3/float64(n), "us/version")
		b.ReportMetric(d.Seconds()*1e6/float64(n), "s/Mversions")
		if bytesToo {
			b.ReportMetric(d.Seconds()*float64(1<<30)/float64(walBytes), "s/GiB_WAL")
		}
		b.ReportMetric(float64(n), "versions")
	}
	timed := func(b *testing.B, fn func() error) time.Duration {
		b.ResetTimer()
		start := time.Now()
		for range b.N {
			if err := fn(); err != nil {
				b.Fatal(err)
			}
		}
		return time.Since(start) / time.Duration(b.N)
	}
	b.Run("List", func(b *testing.B) {
		d := timed(b, func() error { return listAll(ctx, e, n) })
		report(b, d, false)
	})
	b.Run("CompactRound", func(b *testing.B) {
		d := timed(b, func() error {
			_, err := e.Compact(ctx, engine.CompactOptions{MinGarbage: 1.1})
			return err
		})
		report(b, d, false)
	})
	b.Run("Verify", func(b *testing.B) {
		d := timed(b, func() error {
			rep, err := e.Verify(ctx, nil)
			if err == nil && !rep.OK() {
				err = fmt.Errorf("verify: %+v", rep)
			}
			return err
		})
		report(b, d, true)
	})
	if err := e.Close(); err != nil {
		b.Fatal(err)
	}
	opts := benchOptions(dir)
	b.Run("Restart", func(b *testing.B) {
		d := timed(b, func() error {
			e, err := engine.Open(ctx, opts)
			if err != nil {
				return err
			}
			return e.Close()
		})
		report(b, d, true)
	})
	b.Run("ReplayWAL", func(b *testing.B) {
		var total time.Duration
		for range b.N {
			if err := fs.RemoveAll(fs.PathJoin(dir, "index")); err != nil {
				b.Fatal(err)
			}
			start := time.Now()
			e, err := engine.Open(ctx, opts)
			total += time.Since(start)
			if err != nil {
				b.Fatal(err)
			}
			if err := e.Close(); err != nil {
				b.Fatal(err)
			}
		}
		report(b, total/time.Duration(b.N), true)
	})
}
