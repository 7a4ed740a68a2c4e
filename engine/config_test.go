package engine

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/stretchr/testify/require"
)

// TestBucketConfigSetDeleteRebuild: configuration documents are kept
// verbatim per name, deleted by an empty document, and survive a rebuild of
// the index from the WAL.
func TestBucketConfigSetDeleteRebuild(t *testing.T) {
	clock := newFakeClock()
	opts := testOptions(vfs.NewMem(), clock)
	e := openTest(t, opts)
	require.NoError(t, e.CreateBucket(ctx, "b", CreateBucketOptions{}))
	require.NoError(t, e.SetBucketConfig(ctx, "b", ConfigLifecycle, []byte("L1")))
	require.NoError(t, e.SetBucketConfig(ctx, "b", ConfigTagging, []byte("T1")))
	require.NoError(t, e.SetBucketConfig(ctx, "b", ConfigLifecycle, []byte("L2")))
	require.NoError(t, e.SetBucketConfig(ctx, "b", ConfigTagging, nil))
	bi, err := e.Bucket(ctx, "b")
	require.NoError(t, err)
	require.Equal(t, "L2", bi.Config(ConfigLifecycle))
	require.Equal(t, "", bi.Config(ConfigTagging))
	require.Equal(t, map[BucketConfig]string{ConfigLifecycle: "L2"}, bi.Configs)

	err = e.SetBucketConfig(ctx, "nope", ConfigCORS, []byte("x"))
	require.ErrorIs(t, err, ErrNoSuchBucket)
	require.ErrorIs(t, e.SetBucketConfig(ctx, "b", "", []byte("x")), ErrInvalidArgument)

	require.NoError(t, e.Close())
	require.NoError(t, Rebuild(ctx, opts))
	e = openTest(t, opts)
	bi, err = e.Bucket(ctx, "b")
	require.NoError(t, err)
	require.Equal(t, map[BucketConfig]string{ConfigLifecycle: "L2"}, bi.Configs)
}

// TestObjectTaggingLockedAndVersions: tags change on a version under
// COMPLIANCE retention and legal hold without touching its lock or data,
// target the named version, are refused on a delete marker, travel from a
// multipart upload's options to the version, and survive a rebuild.
func TestObjectTaggingLockedAndVersions(t *testing.T) {
	clock := newFakeClock()
	opts := testOptions(vfs.NewMem(), clock)
	e := openTest(t, opts)
	require.NoError(t, e.CreateBucket(ctx, "lk", CreateBucketOptions{ObjectLock: true}))
	v1, err := e.PutObject(ctx, "lk", "k", bytes.NewReader([]byte("one")), PutOptions{Size: 3, LegalHold: true,
		Retention: &Retention{Mode: ModeCompliance, Until: clock.Now().Add(time.Hour)}, Tags: map[string]string{"a": "1"}})
	require.NoError(t, err)
	v2 := put(t, e, "lk", "k", []byte("two"))

	tags, vid, err := e.GetObjectTagging(ctx, "lk", "k", v1.VersionID)
	require.NoError(t, err)
	require.Equal(t, v1.VersionID, vid)
	require.Equal(t, map[string]string{"a": "1"}, tags)

	vid, err = e.PutObjectTagging(ctx, "lk", "k", v1.VersionID, map[string]string{"b": "2", "c": ""})
	require.NoError(t, err)
	require.Equal(t, v1.VersionID, vid)
	vid, err = e.PutObjectTagging(ctx, "lk", "k", "", map[string]string{"cur": "y"})
	require.NoError(t, err)
	require.Equal(t, v2.VersionID, vid, "no version ID means the current version")

	info, err := e.StatObject(ctx, "lk", "k", v1.VersionID)
	require.NoError(t, err)
	require.Equal(t, map[string]string{"b": "2", "c": ""}, info.Tags)
	require.Equal(t, v1.Lock, info.Lock, "tagging must not change the lock state")
	require.Equal(t, []byte("one"), get(t, e, "lk", "k", v1.VersionID))

	_, err = e.PutObjectTagging(ctx, "lk", "k", v1.VersionID, nil)
	require.NoError(t, err)
	tags, _, err = e.GetObjectTagging(ctx, "lk", "k", v1.VersionID)
	require.NoError(t, err)
	require.Nil(t, tags)

	dm, err := e.DeleteObject(ctx, "lk", "k", DeleteOptions{})
	require.NoError(t, err)
	_, err = e.PutObjectTagging(ctx, "lk", "k", "", map[string]string{"x": "1"})
	var dme *DeleteMarkerError
	require.True(t, errors.As(err, &dme), "%v", err)
	require.ErrorIs(t, err, ErrMethodNotAllowed)
	_, _, err = e.GetObjectTagging(ctx, "lk", "k", dm.VersionID)
	require.ErrorIs(t, err, ErrMethodNotAllowed)
	_, err = e.PutObjectTagging(ctx, "lk", "k", "nosuchversion", nil)
	require.Error(t, err)

	id, err := e.CreateMultipartUpload(ctx, "lk", "mp", PutOptions{Tags: map[string]string{"mp": "yes"}})
	require.NoError(t, err)
	pi, err := e.UploadPart(ctx, "lk", "mp", id, 1, bytes.NewReader(randBytes(1, 100)), PartOptions{Size: -1})
	require.NoError(t, err)
	mp, err := e.CompleteMultipartUpload(ctx, "lk", "mp", id, []CompletePart{{1, pi.ETag}}, CompleteOptions{})
	require.NoError(t, err)
	require.Equal(t, map[string]string{"mp": "yes"}, mp.Tags)

	before := dumpIndex(t, e.db)
	require.NoError(t, e.Close())
	require.NoError(t, Rebuild(ctx, opts))
	e = openTest(t, opts)
	require.Equal(t, before, dumpIndex(t, e.db))
	info, err = e.StatObject(ctx, "lk", "k", v2.VersionID)
	require.NoError(t, err)
	require.Equal(t, map[string]string{"cur": "y"}, info.Tags)
}
