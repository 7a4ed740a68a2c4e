package engine

import (
	"bytes"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/stretchr/testify/require"
)

// countTag counts index keys starting with tag.
func countTag(t *testing.T, e *Engine, tag byte) int {
	t.Helper()
	n := 0
	for _, kv := range dumpIndex(t, e.db) {
		if k := kv[0]; k != "" && k[0] == tag {
			n++
		}
	}
	return n
}

// TestCompleteRepeated: a repeated CompleteMultipartUpload of a completed
// upload answers the same version and writes nothing; the memory of it
// lives exactly as long as the version, and survives a rebuild.
func TestCompleteRepeated(t *testing.T) {
	fs := vfs.NewMem()
	opts := testOptions(fs, newFakeClock())
	e := openTest(t, opts)
	require.NoError(t, e.CreateBucket(ctx, "b", CreateBucketOptions{}))
	require.NoError(t, e.SetVersioning(ctx, "b", VersioningEnabled))
	id, err := e.CreateMultipartUpload(ctx, "b", "k", PutOptions{ContentType: "text/plain"})
	require.NoError(t, err)
	pi, err := e.UploadPart(ctx, "b", "k", id, 1, bytes.NewReader(randBytes(1, 1000)), PartOptions{Size: 1000})
	require.NoError(t, err)
	parts := []CompletePart{{1, pi.ETag}}
	first, err := e.CompleteMultipartUpload(ctx, "b", "k", id, parts, CompleteOptions{})
	require.NoError(t, err)
	require.Equal(t, 2, countTag(t, e, tagCompleted), "the entry and its reverse")

	lsn := e.wal.LastLSN()
	again, err := e.CompleteMultipartUpload(ctx, "b", "k", id, parts, CompleteOptions{})
	require.NoError(t, err)
	require.Equal(t, first.VersionID, again.VersionID)
	require.Equal(t, first.ETag, again.ETag)
	require.Equal(t, lsn, e.wal.LastLSN(), "a repeated Complete logs nothing")
	got, err := e.CompletedUpload(ctx, "b", "k", id, parts)
	require.NoError(t, err)
	require.Equal(t, first.VersionID, got.VersionID)
	require.True(t, got.IsLatest)
	vs, err := e.ListVersions(ctx, "b", VersionListOptions{})
	require.NoError(t, err)
	require.Len(t, vs.Versions, 1, "no second version")

	// Other parts than the completed ones: the upload is unknown.
	_, err = e.CompleteMultipartUpload(ctx, "b", "k", id, []CompletePart{{1, "00"}}, CompleteOptions{})
	require.ErrorIs(t, err, ErrNoSuchUpload)
	_, err = e.CompletedUpload(ctx, "b", "k", id, []CompletePart{{1, pi.ETag}, {2, pi.ETag}})
	require.ErrorIs(t, err, ErrNoSuchUpload)

	// A newer version: the completed one is no longer the latest.
	put(t, e, "b", "k", []byte("newer"))
	got, err = e.CompletedUpload(ctx, "b", "k", id, nil)
	require.NoError(t, err)
	require.False(t, got.IsLatest)

	// The memory survives a rebuild byte for byte.
	before := dumpIndex(t, e.db)
	require.NoError(t, e.Close())
	require.NoError(t, Rebuild(ctx, opts))
	e = openTest(t, opts)
	require.Equal(t, before, dumpIndex(t, e.db))

	// Removing the version forgets the upload.
	_, err = e.DeleteObject(ctx, "b", "k", DeleteOptions{VersionID: first.VersionID})
	require.NoError(t, err)
	require.Equal(t, 0, countTag(t, e, tagCompleted))
	_, err = e.CompleteMultipartUpload(ctx, "b", "k", id, parts, CompleteOptions{})
	require.ErrorIs(t, err, ErrNoSuchUpload)

	// A null version replaced by an unversioned overwrite is forgotten too.
	require.NoError(t, e.CreateBucket(ctx, "plain", CreateBucketOptions{}))
	id, err = e.CreateMultipartUpload(ctx, "plain", "k", PutOptions{})
	require.NoError(t, err)
	pi, err = e.UploadPart(ctx, "plain", "k", id, 1, bytes.NewReader(randBytes(2, 10)), PartOptions{Size: 10})
	require.NoError(t, err)
	_, err = e.CompleteMultipartUpload(ctx, "plain", "k", id, []CompletePart{{1, pi.ETag}}, CompleteOptions{})
	require.NoError(t, err)
	require.Equal(t, 2, countTag(t, e, tagCompleted))
	put(t, e, "plain", "k", []byte("overwrite"))
	require.Equal(t, 0, countTag(t, e, tagCompleted))
}

// TestDeleteBucketAbortsUploads: a bucket holding only in-progress uploads
// is deleted, its uploads aborted; a bucket with a version keeps them.
func TestDeleteBucketAbortsUploads(t *testing.T) {
	e := openTest(t, testOptions(vfs.NewMem(), newFakeClock()))
	require.NoError(t, e.CreateBucket(ctx, "b", CreateBucketOptions{}))
	for _, k := range []string{"a", "b/c", "b/c"} {
		id, err := e.CreateMultipartUpload(ctx, "b", k, PutOptions{})
		require.NoError(t, err)
		_, err = e.UploadPart(ctx, "b", k, id, 1, bytes.NewReader(randBytes(3, 100)), PartOptions{Size: 100})
		require.NoError(t, err)
	}
	put(t, e, "b", "v", []byte("x"))
	require.ErrorIs(t, e.DeleteBucket(ctx, "b"), ErrBucketNotEmpty)
	ups, err := e.ListMultipartUploads(ctx, "b", UploadListOptions{})
	require.NoError(t, err)
	require.Len(t, ups.Uploads, 3, "uploads of a non-empty bucket are kept")

	_, err = e.DeleteObject(ctx, "b", "v", DeleteOptions{})
	require.NoError(t, err)
	require.NoError(t, e.DeleteBucket(ctx, "b"))
	_, err = e.Bucket(ctx, "b")
	require.ErrorIs(t, err, ErrNoSuchBucket)
	require.Equal(t, 0, countTag(t, e, tagUpload))
	require.Equal(t, 0, countTag(t, e, tagPart))
}
