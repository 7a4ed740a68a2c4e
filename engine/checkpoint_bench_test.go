package engine

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/stretchr/testify/require"
)

// BenchmarkRebuildCheckpoint measures Rebuild of a store holding the same
// versions (10 000 small PUTs) without a checkpoint (replay of every
// record) and with a checkpoint taken 100 records before the end (copy of
// the checkpoint plus replay of 100 records). The ratio of the two is the
// saving; see docs/notes-checkpoint.md.
func BenchmarkRebuildCheckpoint(b *testing.B) {
	const versions, tail = 10000, 100
	for _, withCkpt := range []bool{false, true} {
		b.Run(fmt.Sprintf("checkpoint=%v", withCkpt), func(b *testing.B) {
			clock := newFakeClock()
			fs := vfs.NewMem()
			opts := testOptions(fs, clock)
			opts.WALSegmentSize = 1 << 20
			opts.SegmentSize = 64 << 20
			e, err := Open(ctx, opts)
			require.NoError(b, err)
			require.NoError(b, e.CreateBucket(ctx, "b", CreateBucketOptions{}))
			data := []byte("payload")
			for i := 0; i < versions; i++ {
				if withCkpt && i == versions-tail {
					_, err := e.Checkpoint(ctx)
					require.NoError(b, err)
				}
				_, err := e.PutObject(ctx, "b", fmt.Sprintf("k/%06d", i), bytes.NewReader(data), PutOptions{Size: int64(len(data))})
				require.NoError(b, err)
			}
			require.NoError(b, e.Close())
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				require.NoError(b, Rebuild(ctx, opts))
			}
		})
	}
}
