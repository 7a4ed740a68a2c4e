package engine

import (
	"fmt"
	"testing"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/stretchr/testify/require"
)

// dumpRev returns the reverse index ('R', 'L' tables) of db.
func dumpRev(t *testing.T, db *pebble.DB) [][2]string {
	t.Helper()
	var out [][2]string
	for _, kv := range dumpIndex(t, db) {
		if isRevKey([]byte(kv[0])) {
			out = append(out, kv)
		}
	}
	return out
}

// TestRevIndexIncrementalEqualsScan: the reverse index maintained record by
// record (puts, overwrites, deletes, multipart parts and completion,
// compaction moves) equals the one derived from a full scan, and Rebuild
// from the WAL produces the same.
func TestRevIndexIncrementalEqualsScan(t *testing.T) {
	e, opts, _ := openPopulated(t)
	inc := dumpRev(t, e.db)
	require.Greater(t, len(inc), 20)
	b, err := buildRevIndex(ctx, e.db)
	require.NoError(t, err)
	require.NoError(t, b.Commit(pebble.NoSync))
	require.NoError(t, b.Close())
	require.Equal(t, inc, dumpRev(t, e.db), "incremental reverse index differs from a full scan")
	require.NoError(t, e.Close())

	require.NoError(t, Rebuild(ctx, opts))
	e = openTest(t, opts)
	require.Equal(t, inc, dumpRev(t, e.db), "rebuilt reverse index differs")
}

// TestRevIndexBackfill: an index without the reverse index (an old data
// dir) gets it built once at Open, equal to incremental maintenance.
func TestRevIndexBackfill(t *testing.T) {
	e, opts, _ := openPopulated(t)
	want := dumpRev(t, e.db)
	b := e.db.NewBatch()
	require.NoError(t, b.DeleteRange([]byte{tagRevRef}, []byte{tagRevRef + 1}, nil))
	require.NoError(t, b.DeleteRange([]byte{tagRevLive}, []byte{tagRevLive + 1}, nil))
	require.NoError(t, b.Commit(pebble.NoSync))
	require.Empty(t, dumpRev(t, e.db))
	require.NoError(t, e.Close())
	e = openTest(t, opts)
	require.Equal(t, want, dumpRev(t, e.db))
}

// TestCompactNothingReclaimableIsOSegments: a compaction round with no
// garbage visits index entries in proportion to segments, not versions.
func TestCompactNothingReclaimableIsOSegments(t *testing.T) {
	clock := newFakeClock()
	e := openTest(t, testOptions(vfs.NewMem(), clock))
	require.NoError(t, e.CreateBucket(ctx, "b", CreateBucketOptions{}))
	const n = 2000
	for i := 0; i < n; i++ {
		put(t, e, "b", fmt.Sprintf("k%05d", i), randBytes(i, 64))
	}
	_, err := e.Compact(ctx, CompactOptions{SealActive: true})
	require.NoError(t, err)
	segs := len(e.segs.Segments())
	before := e.compactor.indexSteps.Load()
	res, err := e.Compact(ctx, CompactOptions{})
	require.NoError(t, err)
	require.Zero(t, res.SegmentsRewritten)
	steps := e.compactor.indexSteps.Load() - before
	require.LessOrEqual(t, steps, int64(segs+1), "round visited %d index entries for %d segments, %d versions", steps, segs, n)
	require.Positive(t, steps)
}

// TestCompactStaleRevIndexKeepsData: a reverse index that misses a holder
// (a lost update) makes compaction keep the segment, never drop the data.
func TestCompactStaleRevIndexKeepsData(t *testing.T) {
	clock := newFakeClock()
	e := openTest(t, testOptions(vfs.NewMem(), clock))
	require.NoError(t, e.CreateBucket(ctx, "b", CreateBucketOptions{}))
	data := randBytes(1, 3000)
	put(t, e, "b", "keep", data)
	for i := 0; i < 10; i++ {
		put(t, e, "b", "scratch", randBytes(i+10, 6000))
	}
	require.NoError(t, e.segs.Seal())
	// Drop every 'R' entry of the holder "keep": compaction no longer sees it.
	vk := versionKey("b", "keep", 0)
	var dropped int
	b := e.db.NewBatch()
	for _, kv := range dumpRev(t, e.db) {
		k := []byte(kv[0])
		if k[0] == tagRevRef && len(k) > 9 && string(k[9:len(k)-8]) == string(vk[:len(vk)-8]) {
			require.NoError(t, b.Delete(k, nil))
			dropped++
		}
	}
	require.NoError(t, b.Commit(pebble.NoSync))
	require.Positive(t, dropped)
	_, err := e.Compact(ctx, CompactOptions{})
	require.NoError(t, err)
	require.Equal(t, data, get(t, e, "b", "keep", ""))
	// Verify reports the damaged reverse index; a rebuild of it repairs it.
	rb, err := buildRevIndex(ctx, e.db)
	require.NoError(t, err)
	require.NoError(t, rb.Commit(pebble.NoSync))
	require.NoError(t, rb.Close())
}
