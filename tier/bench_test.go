package tier_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/wormstore/wormstore/engine"
	"github.com/wormstore/wormstore/tier"
	"github.com/wormstore/wormstore/tier/tiertest"
)

// BenchmarkTierMove measures, on the local disk and a loopback remote,
// moving 16 MiB segments (upload + full read-back verification + record +
// release) and reading tiered data cold (no cache), as ratios to writing
// and reading the same data locally:
//
//	go test -run '^$' -bench BenchmarkTierMove -benchtime 1x ./tier/
func BenchmarkTierMove(b *testing.B) {
	for _, name := range []string{"versitygw", "wormstore"} {
		b.Run(name, func(b *testing.B) {
			var r *tiertest.Remote
			if name == "versitygw" {
				r = tiertest.StartVersity(b)
			} else {
				r = tiertest.StartWormstore(b)
			}
			for i := 0; i < b.N; i++ {
				benchMove(b, r)
			}
		})
	}
}

func benchMove(b *testing.B, r *tiertest.Remote) {
	ctx := context.Background()
	c, err := tier.New(r.Config(fmt.Sprintf("bench-%d/", time.Now().UnixNano())))
	if err != nil {
		b.Fatal(err)
	}
	opts := engine.Options{FS: vfs.Default, Dir: b.TempDir(), SegmentSize: 16 << 20, CompactionInterval: -1,
		Tier: &engine.TierOptions{Remote: c, Prefix: c.Prefix(), CacheBytes: 1}}
	e, err := engine.Open(ctx, opts)
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	if err := e.CreateBucket(ctx, "b", engine.CreateBucketOptions{}); err != nil {
		b.Fatal(err)
	}
	const objs, size = 4, 16 << 20
	data := pattern(size, 1)
	start := time.Now()
	for i := 0; i < objs; i++ {
		if _, err := e.PutObject(ctx, "b", fmt.Sprint(i), bytes.NewReader(data), engine.PutOptions{Size: size}); err != nil {
			b.Fatal(err)
		}
	}
	putSecs := time.Since(start).Seconds()
	readAll := func() float64 {
		start := time.Now()
		for i := 0; i < objs; i++ {
			o, err := e.OpenObject(ctx, "b", fmt.Sprint(i), "")
			if err != nil {
				b.Fatal(err)
			}
			rc, err := o.NewReader(0, o.Info.Size)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := io.Copy(io.Discard, rc); err != nil {
				b.Fatal(err)
			}
			rc.Close()
		}
		return time.Since(start).Seconds()
	}
	localRead := readAll()
	var moved int64
	start = time.Now()
	for _, si := range e.Segments() {
		if si.Sealed && !si.Remote {
			res, err := e.TierSegment(ctx, si.ID)
			if err != nil {
				b.Fatal(err)
			}
			moved += res.Bytes
		}
	}
	moveSecs := time.Since(start).Seconds()
	coldRead := readAll()
	total := float64(objs * size)
	b.ReportMetric(float64(moved)/moveSecs/1e6, "move-MB/s")
	b.ReportMetric(total/putSecs/1e6, "local-put-MB/s")
	b.ReportMetric(total/coldRead/1e6, "cold-read-MB/s")
	b.ReportMetric(total/localRead/1e6, "local-read-MB/s")
	b.ReportMetric((float64(moved)/moveSecs)/(total/putSecs), "move/put")
	b.ReportMetric(localRead/coldRead, "cold/local-read")
}
