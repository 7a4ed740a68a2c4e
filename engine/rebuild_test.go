package engine

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/stretchr/testify/require"
)

// dumpIndex returns every key/value of the index, in order.
func dumpIndex(t *testing.T, db *pebble.DB) [][2]string {
	t.Helper()
	it, err := db.NewIter(nil)
	require.NoError(t, err)
	defer it.Close()
	var out [][2]string
	for ok := it.First(); ok; ok = it.Next() {
		v, err := it.ValueAndErr()
		require.NoError(t, err)
		out = append(out, [2]string{string(it.Key()), string(v)})
	}
	require.NoError(t, it.Error())
	return out
}

// populate runs a workload touching every record type.
// openPopulated opens an engine with testOptions on a fresh MemFS and
// writes populate's workload; the caller closes the engine.
func openPopulated(t *testing.T) (*Engine, Options, *vfs.MemFS) {
	t.Helper()
	clock := newFakeClock()
	fs := vfs.NewMem()
	opts := testOptions(fs, clock)
	e, err := Open(ctx, opts)
	require.NoError(t, err)
	populate(t, e, clock)
	return e, opts, fs
}

func populate(t *testing.T, e *Engine, clock *fakeClock) {
	require.NoError(t, e.CreateBucket(ctx, "lk", CreateBucketOptions{ObjectLock: true}))
	require.NoError(t, e.CreateBucket(ctx, "plain", CreateBucketOptions{}))
	require.NoError(t, e.CreateBucket(ctx, "gone", CreateBucketOptions{}))
	require.NoError(t, e.DeleteBucket(ctx, "gone"))
	require.NoError(t, e.SetObjectLockConfig(ctx, "lk", &DefaultRetention{Mode: ModeGovernance, Days: 2}))
	require.NoError(t, e.SetBucketPolicy(ctx, "lk", []byte(`{"Version":"2012-10-17","Statement":[]}`)))
	require.NoError(t, e.SetBucketConfig(ctx, "lk", ConfigLifecycle, []byte(`{"rules":[]}`)))
	require.NoError(t, e.SetBucketConfig(ctx, "plain", ConfigCORS, []byte(`<CORSConfiguration/>`)))
	require.NoError(t, e.SetBucketConfig(ctx, "plain", ConfigCORS, nil))
	for i := 0; i < 30; i++ {
		put(t, e, "plain", fmt.Sprintf("k/%d", i%7), randBytes(i, 500+i*300))
		v := put(t, e, "lk", fmt.Sprintf("l/%d", i%5), textBytes(i, 200+i*400))
		if i%4 == 0 {
			// Raising the default GOVERNANCE to COMPLIANCE needs bypass.
			_, _, err := e.PutObjectRetention(ctx, "lk", v.Key, v.VersionID, Retention{ModeCompliance, clock.Now().Add(72 * time.Hour)}, true)
			require.NoError(t, err)
		}
		if i%6 == 0 {
			_, err := e.PutObjectLegalHold(ctx, "lk", v.Key, v.VersionID, i%12 == 0)
			require.NoError(t, err)
		}
		clock.Advance(time.Hour)
	}
	_, err := e.PutObjectTagging(ctx, "lk", "l/2", "", map[string]string{"env": "prod"})
	require.NoError(t, err)
	_, err = e.PutObjectTagging(ctx, "plain", "k/4", "", map[string]string{"x": "1"})
	require.NoError(t, err)
	_, err = e.PutObjectTagging(ctx, "plain", "k/4", "", nil)
	require.NoError(t, err)
	tagged, err := e.PutObject(ctx, "plain", "tagged", bytes.NewReader([]byte("t")), PutOptions{Size: 1, Tags: map[string]string{"a": "b"}})
	require.NoError(t, err)
	require.Equal(t, map[string]string{"a": "b"}, tagged.Tags)
	_, err = e.DeleteObject(ctx, "lk", "l/1", DeleteOptions{})
	require.NoError(t, err)
	_, err = e.DeleteObject(ctx, "plain", "k/3", DeleteOptions{})
	require.NoError(t, err)
	require.NoError(t, e.SetVersioning(ctx, "plain", VersioningEnabled))
	put(t, e, "plain", "k/1", []byte("versioned"))
	require.NoError(t, e.SetVersioning(ctx, "plain", VersioningSuspended))
	put(t, e, "plain", "k/1", []byte("suspended"))
	id, err := e.CreateMultipartUpload(ctx, "lk", "mp", PutOptions{LegalHold: true})
	require.NoError(t, err)
	pi, err := e.UploadPart(ctx, "lk", "mp", id, 1, bytes.NewReader(randBytes(7, 9000)), PartOptions{Size: -1})
	require.NoError(t, err)
	_, err = e.CompleteMultipartUpload(ctx, "lk", "mp", id, []CompletePart{{1, pi.ETag}}, CompleteOptions{})
	require.NoError(t, err)
	open, err := e.CreateMultipartUpload(ctx, "lk", "pending", PutOptions{})
	require.NoError(t, err)
	_, err = e.UploadPart(ctx, "lk", "pending", open, 2, bytes.NewReader(randBytes(8, 100)), PartOptions{Size: -1})
	require.NoError(t, err)
	_, err = e.Compact(ctx, CompactOptions{SealActive: true})
	require.NoError(t, err)
}

// TestRebuildIdentical: the index is derived state; rebuilding it from the
// WAL yields exactly the same keys and values.
func TestRebuildIdentical(t *testing.T) {
	e, opts, _ := openPopulated(t)
	before := dumpIndex(t, e.db)
	require.NoError(t, e.Close())

	require.NoError(t, Rebuild(ctx, opts))
	e = openTest(t, opts)
	after := dumpIndex(t, e.db)
	require.Equal(t, len(before), len(after))
	require.Equal(t, before, after, "rebuilt index differs")
	require.Greater(t, len(after), 50)
}

// TestIndexLostIsRebuilt: deleting the index directory loses nothing.
func TestIndexLostIsRebuilt(t *testing.T) {
	e, opts, fs := openPopulated(t)
	before := dumpIndex(t, e.db)
	require.NoError(t, e.Close())
	require.NoError(t, fs.RemoveAll("/data/index"))
	e = openTest(t, opts)
	require.Equal(t, before, dumpIndex(t, e.db))
}

// TestVerifyFindsProblems damages a segment and the index and expects
// Verify to name each problem.
func TestVerifyFindsProblems(t *testing.T) {
	clock := newFakeClock()
	fs := vfs.NewMem()
	opts := testOptions(fs, clock)
	e, err := Open(ctx, opts)
	require.NoError(t, err)
	require.NoError(t, e.CreateBucket(ctx, "b", CreateBucketOptions{}))
	put(t, e, "b", "k", randBytes(1, 10000))
	rep, err := e.Verify(ctx, nil)
	require.NoError(t, err)
	require.True(t, rep.OK(), "%v", rep.Problems)
	require.Positive(t, rep.Blocks)
	require.Equal(t, int64(1), rep.Versions)

	// An index entry no WAL record explains.
	b := e.db.NewBatch()
	require.NoError(t, b.Set([]byte("Bbogus"), []byte(`{"n":"bogus"}`), nil))
	require.NoError(t, b.Commit(pebble.NoSync))
	rep, err = e.Verify(ctx, nil)
	require.NoError(t, err)
	require.Len(t, rep.Problems, 1)
	require.Equal(t, "index", rep.Problems[0].Kind)
	require.Contains(t, rep.Problems[0].String(), "Bbogus")
	require.NoError(t, e.db.Delete([]byte("Bbogus"), pebble.NoSync))
	require.NoError(t, e.Close())

	// Flip one byte of the object's data in its segment file.
	segs, err := fs.List("/data/segments")
	require.NoError(t, err)
	var flipped bool
	for _, name := range segs {
		if len(name) < 4 || name[len(name)-4:] != ".seg" {
			continue
		}
		path := "/data/segments/" + name
		data, err := fs.UnsafeGetFileDataBuffer(path)
		require.NoError(t, err)
		if len(data) > 5000 {
			data[len(data)/2] ^= 0xff
			flipped = true
		}
	}
	require.True(t, flipped)
	e, err = Open(ctx, opts)
	if err != nil {
		// A sealed segment with a bad block is refused at open only if its
		// header or footer is hit; a data block is found by Verify.
		t.Fatalf("open: %v", err)
	}
	defer e.Close()
	rep, err = e.Verify(ctx, nil)
	require.NoError(t, err)
	require.False(t, rep.OK())
	require.Equal(t, "segment", rep.Problems[0].Kind)
	_, err = readObject(e, "b", "k", "")
	require.ErrorContains(t, err, "corrupt")
}

func TestCompactionReclaimsAndKeepsLocked(t *testing.T) {
	clock := newFakeClock()
	e := openTest(t, testOptions(vfs.NewMem(), clock))
	require.NoError(t, e.CreateBucket(ctx, "lk", CreateBucketOptions{ObjectLock: true}))
	require.NoError(t, e.CreateBucket(ctx, "plain", CreateBucketOptions{}))
	keep := map[string][]byte{}
	var locked []*ObjectInfo
	for i := 0; i < 60; i++ {
		put(t, e, "plain", "scratch", randBytes(i, 6000)) // each overwrite leaves garbage
		data := randBytes(1000+i, 1500)
		v, err := e.PutObject(ctx, "lk", fmt.Sprintf("l%d", i), bytes.NewReader(data), PutOptions{Size: int64(len(data)),
			Retention: &Retention{ModeCompliance, clock.Now().Add(time.Hour)}})
		require.NoError(t, err)
		keep[v.Key] = data
		locked = append(locked, v)
	}
	before, err := e.Stats(ctx)
	require.NoError(t, err)
	require.Positive(t, before.GarbageBytes)
	require.Equal(t, int64(60), before.LockedVersions)

	res, err := e.Compact(ctx, CompactOptions{SealActive: true})
	require.NoError(t, err)
	require.Positive(t, res.SegmentsRemoved)
	require.Positive(t, res.BytesReclaimed)
	after, err := e.Stats(ctx)
	require.NoError(t, err)
	require.Less(t, after.SegmentBytes, before.SegmentBytes)
	require.Less(t, after.GarbageBytes, before.GarbageBytes/2)
	require.Equal(t, before.LiveBytes, after.LiveBytes)
	require.Equal(t, before.LockedBytes, after.LockedBytes)
	for k, data := range keep {
		require.True(t, bytes.Equal(data, get(t, e, "lk", k, "")), "locked %s after compaction", k)
	}
	// A reader opened before compaction keeps working after its segment
	// is gone.
	o, err := e.OpenObject(ctx, "lk", locked[0].Key, locked[0].VersionID)
	require.NoError(t, err)
	for i := 0; i < 30; i++ {
		put(t, e, "plain", "scratch", randBytes(i, 6000))
	}
	_, err = e.Compact(ctx, CompactOptions{SealActive: true})
	require.NoError(t, err)
	rc, err := o.NewReader(0, o.Info.Size)
	require.NoError(t, err)
	rc.Close()
	// Once retention expires and versions are deleted, their bytes go too.
	clock.Advance(2 * time.Hour)
	for _, v := range locked {
		_, err := e.DeleteObject(ctx, "lk", v.Key, DeleteOptions{VersionID: v.VersionID})
		require.NoError(t, err)
	}
	_, err = e.Compact(ctx, CompactOptions{SealActive: true})
	require.NoError(t, err)
	final, err := e.Stats(ctx)
	require.NoError(t, err)
	require.Zero(t, final.LockedBytes)
	require.Less(t, final.SegmentBytes, after.SegmentBytes)
}
