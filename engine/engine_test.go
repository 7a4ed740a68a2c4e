package engine

import (
	"bytes"
	"context"
	"crypto/md5"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/stretchr/testify/require"
)

var ctx = context.Background()

func TestBuckets(t *testing.T) {
	e := openTest(t, testOptions(vfs.NewMem(), newFakeClock()))
	require.NoError(t, e.CreateBucket(ctx, "plain", CreateBucketOptions{}))
	require.ErrorIs(t, e.CreateBucket(ctx, "plain", CreateBucketOptions{}), ErrBucketExists)
	require.ErrorIs(t, e.CreateBucket(ctx, "", CreateBucketOptions{}), ErrInvalidBucketName)
	require.NoError(t, e.CreateBucket(ctx, "locked", CreateBucketOptions{ObjectLock: true}))

	bi, err := e.Bucket(ctx, "locked")
	require.NoError(t, err)
	require.True(t, bi.ObjectLock)
	require.Equal(t, VersioningEnabled, bi.Versioning, "object lock implies versioning")
	require.ErrorIs(t, e.SetVersioning(ctx, "locked", VersioningSuspended), ErrInvalidBucketState)
	require.NoError(t, e.SetVersioning(ctx, "plain", VersioningSuspended))
	require.ErrorIs(t, e.SetVersioning(ctx, "plain", "Bogus"), ErrInvalidArgument)

	// Lock configuration: default retention, only on versioned buckets.
	require.ErrorIs(t, e.SetObjectLockConfig(ctx, "plain", &DefaultRetention{Mode: ModeCompliance, Days: 1}), ErrInvalidBucketState)
	require.ErrorIs(t, e.SetObjectLockConfig(ctx, "locked", &DefaultRetention{Mode: ModeCompliance}), ErrInvalidRetention)
	require.NoError(t, e.SetObjectLockConfig(ctx, "locked", &DefaultRetention{Mode: ModeCompliance, Days: 30}))
	bi, err = e.Bucket(ctx, "locked")
	require.NoError(t, err)
	require.Equal(t, &DefaultRetention{Mode: ModeCompliance, Days: 30}, bi.DefaultRetention)

	pol := []byte(`{"Version":"2012-10-17","Statement":[]}`)
	require.NoError(t, e.SetBucketPolicy(ctx, "locked", pol))
	bi, err = e.Bucket(ctx, "locked")
	require.NoError(t, err)
	require.Equal(t, string(pol), bi.Policy)
	require.NoError(t, e.SetBucketPolicy(ctx, "locked", nil))
	bi, err = e.Bucket(ctx, "locked")
	require.NoError(t, err)
	require.Empty(t, bi.Policy)
	require.ErrorIs(t, e.SetBucketPolicy(ctx, "nope", pol), ErrNoSuchBucket)

	bs, err := e.ListBuckets(ctx)
	require.NoError(t, err)
	require.Len(t, bs, 2)
	require.Equal(t, "locked", bs[0].Name)

	put(t, e, "plain", "k", []byte("x"))
	require.ErrorIs(t, e.DeleteBucket(ctx, "plain"), ErrBucketNotEmpty)
	_, err = e.DeleteObject(ctx, "plain", "k", DeleteOptions{})
	require.NoError(t, err)
	// Suspended: the delete left a null delete marker, which still counts.
	require.ErrorIs(t, e.DeleteBucket(ctx, "plain"), ErrBucketNotEmpty)
	_, err = e.DeleteObject(ctx, "plain", "k", DeleteOptions{VersionID: NullVersionID})
	require.NoError(t, err)
	require.NoError(t, e.DeleteBucket(ctx, "plain"))
	require.ErrorIs(t, e.DeleteBucket(ctx, "plain"), ErrNoSuchBucket)
	_, err = e.Bucket(ctx, "plain")
	require.ErrorIs(t, err, ErrNoSuchBucket)
}

func TestPutGetRanges(t *testing.T) {
	e := openTest(t, testOptions(vfs.NewMem(), newFakeClock()))
	require.NoError(t, e.CreateBucket(ctx, "b", CreateBucketOptions{}))
	bs := 4 << 10
	for _, n := range []int{0, 1, bs - 1, bs, bs + 1, 5*bs + 17, 100 << 10} {
		for _, kind := range []string{"random", "text"} {
			data := randBytes(n, n)
			if kind == "text" {
				data = textBytes(n, n)
			}
			key := fmt.Sprintf("obj-%s-%d", kind, n)
			info := put(t, e, "b", key, data)
			require.Equal(t, int64(n), info.Size)
			require.Equal(t, NullVersionID, info.VersionID)
			require.Equal(t, md5hex(data), info.ETag)
			require.True(t, bytes.Equal(data, get(t, e, "b", key, "")), "%s round trip", key)
			o, err := e.OpenObject(ctx, "b", key, "")
			require.NoError(t, err)
			for _, r := range [][2]int{{0, 1}, {bs - 1, 2}, {bs, bs}, {n / 3, n / 2}, {n - 1, 1}} {
				off, ln := r[0], r[1]
				if off < 0 || off+ln > n {
					continue
				}
				rc, err := o.NewReader(int64(off), int64(ln))
				require.NoError(t, err)
				got, err := io.ReadAll(rc)
				require.NoError(t, err)
				require.NoError(t, rc.Close())
				require.True(t, bytes.Equal(data[off:off+ln], got), "range %d+%d of %s", off, ln, key)
			}
			_, err = o.NewReader(int64(n), 1)
			require.ErrorIs(t, err, ErrInvalidArgument)
		}
	}
}

func md5hex(b []byte) string { return fmt.Sprintf("%x", md5sum(b)) }

func TestPutMetadataAndConditions(t *testing.T) {
	e := openTest(t, testOptions(vfs.NewMem(), newFakeClock()))
	require.NoError(t, e.CreateBucket(ctx, "b", CreateBucketOptions{}))
	opts := PutOptions{
		Size: 3, ContentType: "text/plain", UserMeta: map[string]string{"owner": "ops"},
		Headers: map[string]string{"Cache-Control": "no-cache"}, IfNoneMatch: "*",
		Finalize: func() (map[string]string, error) { return map[string]string{"CRC32": "NSRBwg=="}, nil },
	}
	info, err := e.PutObject(ctx, "b", "k", bytes.NewReader([]byte("abc")), opts)
	require.NoError(t, err)
	st, err := e.StatObject(ctx, "b", "k", "")
	require.NoError(t, err)
	require.Equal(t, "text/plain", st.ContentType)
	require.Equal(t, map[string]string{"owner": "ops"}, st.UserMeta)
	require.Equal(t, map[string]string{"Cache-Control": "no-cache"}, st.Headers)
	require.Equal(t, map[string]string{"CRC32": "NSRBwg=="}, st.Checksums)
	require.Equal(t, "FULL_OBJECT", st.ChecksumType)
	require.Equal(t, info.ETag, st.ETag)

	// If-None-Match: * refuses an existing key; If-Match checks the ETag.
	_, err = e.PutObject(ctx, "b", "k", bytes.NewReader([]byte("x")), PutOptions{Size: -1, IfNoneMatch: "*"})
	require.ErrorIs(t, err, ErrPreconditionFailed)
	_, err = e.PutObject(ctx, "b", "k", bytes.NewReader([]byte("x")), PutOptions{Size: -1, IfMatch: `"nope"`})
	require.ErrorIs(t, err, ErrPreconditionFailed)
	_, err = e.PutObject(ctx, "b", "k", bytes.NewReader([]byte("x")), PutOptions{Size: -1, IfMatch: `"` + info.ETag + `"`})
	require.NoError(t, err)
	_, err = e.PutObject(ctx, "b", "missing", bytes.NewReader([]byte("x")), PutOptions{Size: -1, IfMatch: "abc"})
	require.ErrorIs(t, err, ErrNoSuchKey)
}

// failingReader returns data then an error, like a client hanging up.
type failingReader struct {
	data []byte
	err  error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, f.err
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

func TestFailedPutLeavesNoVersion(t *testing.T) {
	e := openTest(t, testOptions(vfs.NewMem(), newFakeClock()))
	require.NoError(t, e.CreateBucket(ctx, "b", CreateBucketOptions{ObjectLock: true}))
	first := put(t, e, "b", "k", []byte("original"))
	hangup := errors.New("client hung up")
	_, err := e.PutObject(ctx, "b", "k", &failingReader{data: randBytes(1, 20000), err: hangup}, PutOptions{Size: -1})
	require.ErrorIs(t, err, hangup)
	badSum := errors.New("checksum mismatch")
	_, err = e.PutObject(ctx, "b", "k", bytes.NewReader(randBytes(2, 100)), PutOptions{Size: -1,
		Finalize: func() (map[string]string, error) { return nil, badSum }})
	require.ErrorIs(t, err, badSum)
	_, err = e.PutObject(ctx, "b", "k", bytes.NewReader(randBytes(3, 100)), PutOptions{Size: 101})
	require.ErrorIs(t, err, ErrIncompleteBody)
	_, err = e.PutObject(ctx, "b", "k", bytes.NewReader(randBytes(3, 100)), PutOptions{Size: 99})
	require.ErrorIs(t, err, ErrIncompleteBody)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = e.PutObject(cctx, "b", "k", bytes.NewReader(randBytes(3, 100)), PutOptions{Size: -1})
	require.ErrorIs(t, err, context.Canceled)

	vs, err := e.ListVersions(ctx, "b", VersionListOptions{})
	require.NoError(t, err)
	require.Len(t, vs.Versions, 1)
	require.Equal(t, first.VersionID, vs.Versions[0].VersionID)
	require.Equal(t, []byte("original"), get(t, e, "b", "k", ""))
}

func TestVersioningSemantics(t *testing.T) {
	e := openTest(t, testOptions(vfs.NewMem(), newFakeClock()))
	require.NoError(t, e.CreateBucket(ctx, "b", CreateBucketOptions{}))

	// Unversioned: overwrite replaces the null version.
	put(t, e, "b", "k", []byte("v0"))
	put(t, e, "b", "k", []byte("v0b"))
	vs, err := e.ListVersions(ctx, "b", VersionListOptions{})
	require.NoError(t, err)
	require.Len(t, vs.Versions, 1)
	require.Equal(t, NullVersionID, vs.Versions[0].VersionID)

	// Enabled: new versions sort newest first; the null version stays.
	require.NoError(t, e.SetVersioning(ctx, "b", VersioningEnabled))
	v1 := put(t, e, "b", "k", []byte("v1"))
	v2 := put(t, e, "b", "k", []byte("v2"))
	require.NotEqual(t, NullVersionID, v1.VersionID)
	require.Less(t, v2.VersionID, v1.VersionID, "version ids sort newest first")
	require.Equal(t, []byte("v2"), get(t, e, "b", "k", ""))
	require.Equal(t, []byte("v1"), get(t, e, "b", "k", v1.VersionID))
	require.Equal(t, []byte("v0b"), get(t, e, "b", "k", NullVersionID))

	// Delete without version id adds a delete marker.
	dr, err := e.DeleteObject(ctx, "b", "k", DeleteOptions{})
	require.NoError(t, err)
	require.True(t, dr.DeleteMarker)
	_, err = e.OpenObject(ctx, "b", "k", "")
	var dme *DeleteMarkerError
	require.ErrorAs(t, err, &dme)
	require.ErrorIs(t, err, ErrNoSuchKey)
	require.Equal(t, dr.VersionID, dme.VersionID)
	_, err = e.OpenObject(ctx, "b", "k", dr.VersionID)
	require.ErrorIs(t, err, ErrMethodNotAllowed)
	require.Equal(t, []byte("v2"), get(t, e, "b", "k", v2.VersionID))

	lst, err := e.ListObjects(ctx, "b", ListOptions{})
	require.NoError(t, err)
	require.Empty(t, lst.Objects, "a key whose latest is a delete marker is not listed")

	vs, err = e.ListVersions(ctx, "b", VersionListOptions{})
	require.NoError(t, err)
	require.Len(t, vs.Versions, 4)
	require.True(t, vs.Versions[0].DeleteMarker)
	require.True(t, vs.Versions[0].IsLatest)
	require.False(t, vs.Versions[1].IsLatest)
	require.Equal(t, NullVersionID, vs.Versions[3].VersionID)

	// Removing the delete marker restores the previous version.
	dr2, err := e.DeleteObject(ctx, "b", "k", DeleteOptions{VersionID: dr.VersionID})
	require.NoError(t, err)
	require.True(t, dr2.DeleteMarker)
	require.Equal(t, []byte("v2"), get(t, e, "b", "k", ""))

	// Malformed and unknown version ids.
	_, err = e.OpenObject(ctx, "b", "k", "garbage")
	require.ErrorIs(t, err, ErrInvalidVersionID)
	_, err = e.OpenObject(ctx, "b", "k", versionID(999999))
	require.ErrorIs(t, err, ErrNoSuchVersion)
	_, err = e.DeleteObject(ctx, "b", "k", DeleteOptions{VersionID: versionID(999999)})
	require.ErrorIs(t, err, ErrNoSuchVersion)

	// Suspended: puts and deletes replace the null version only.
	require.NoError(t, e.SetVersioning(ctx, "b", VersioningSuspended))
	n1 := put(t, e, "b", "k", []byte("s1"))
	require.Equal(t, NullVersionID, n1.VersionID)
	dr3, err := e.DeleteObject(ctx, "b", "k", DeleteOptions{})
	require.NoError(t, err)
	require.Equal(t, NullVersionID, dr3.VersionID)
	require.True(t, dr3.DeleteMarker)
	vs, err = e.ListVersions(ctx, "b", VersionListOptions{})
	require.NoError(t, err)
	ids := []string{}
	for _, v := range vs.Versions {
		ids = append(ids, v.VersionID)
	}
	require.Equal(t, []string{NullVersionID, v2.VersionID, v1.VersionID}, ids)
	require.True(t, vs.Versions[0].DeleteMarker)

	// Deleting a missing key in an unversioned bucket is a no-op success.
	require.NoError(t, e.CreateBucket(ctx, "u", CreateBucketOptions{}))
	dr4, err := e.DeleteObject(ctx, "u", "nothing", DeleteOptions{})
	require.NoError(t, err)
	require.False(t, dr4.Removed)
}

func TestObjectLock(t *testing.T) {
	clock := newFakeClock()
	e := openTest(t, testOptions(vfs.NewMem(), clock))
	require.NoError(t, e.CreateBucket(ctx, "plain", CreateBucketOptions{}))
	require.NoError(t, e.CreateBucket(ctx, "lk", CreateBucketOptions{ObjectLock: true}))
	put(t, e, "plain", "k", []byte("x"))

	// Lock calls on a bucket without Object Lock.
	_, _, err := e.PutObjectRetention(ctx, "plain", "k", "", Retention{ModeGovernance, clock.Now().Add(time.Hour)}, false)
	require.ErrorIs(t, err, ErrLockNotEnabled)
	_, err = e.PutObjectLegalHold(ctx, "plain", "k", "", true)
	require.ErrorIs(t, err, ErrLockNotEnabled)
	_, err = e.PutObject(ctx, "plain", "k2", bytes.NewReader(nil), PutOptions{Size: 0, LegalHold: true})
	require.ErrorIs(t, err, ErrLockNotEnabled)

	v := put(t, e, "lk", "k", []byte("data"))
	_, err = e.GetObjectRetention(ctx, "lk", "k", v.VersionID)
	require.ErrorIs(t, err, ErrNoSuchLockConfiguration)
	_, err = e.GetObjectLegalHold(ctx, "lk", "k", v.VersionID)
	require.ErrorIs(t, err, ErrNoSuchLockConfiguration)

	until := clock.Now().Add(30 * 24 * time.Hour)
	_, _, err = e.PutObjectRetention(ctx, "lk", "k", v.VersionID, Retention{ModeCompliance, clock.Now().Add(-time.Second)}, false)
	require.ErrorIs(t, err, ErrInvalidRetention)
	_, _, err = e.PutObjectRetention(ctx, "lk", "k", v.VersionID, Retention{ModeCompliance, until}, false)
	require.NoError(t, err)
	r, err := e.GetObjectRetention(ctx, "lk", "k", v.VersionID)
	require.NoError(t, err)
	require.Equal(t, Retention{ModeCompliance, until}, r)

	// COMPLIANCE: no delete, no shortening, not even with bypass.
	_, err = e.DeleteObject(ctx, "lk", "k", DeleteOptions{VersionID: v.VersionID, Bypass: true})
	require.ErrorIs(t, err, ErrObjectLocked)
	var le *LockedError
	require.ErrorAs(t, err, &le)
	require.Contains(t, le.Reason, "COMPLIANCE retention until")
	_, _, err = e.PutObjectRetention(ctx, "lk", "k", v.VersionID, Retention{ModeCompliance, until.Add(-time.Hour)}, true)
	require.ErrorIs(t, err, ErrObjectLocked)
	_, _, err = e.PutObjectRetention(ctx, "lk", "k", v.VersionID, Retention{ModeCompliance, until.Add(time.Hour)}, false)
	require.NoError(t, err)

	// Overwrites and plain deletes still work: they add versions/markers.
	v2 := put(t, e, "lk", "k", nil)
	dr, err := e.DeleteObject(ctx, "lk", "k", DeleteOptions{})
	require.NoError(t, err)
	require.True(t, dr.DeleteMarker)
	require.Equal(t, []byte("data"), get(t, e, "lk", "k", v.VersionID))

	// GOVERNANCE: bypass needed to shorten or delete.
	_, _, err = e.PutObjectRetention(ctx, "lk", "k", v2.VersionID, Retention{ModeGovernance, until}, false)
	require.NoError(t, err)
	_, err = e.DeleteObject(ctx, "lk", "k", DeleteOptions{VersionID: v2.VersionID})
	require.ErrorIs(t, err, ErrObjectLocked)
	_, _, err = e.PutObjectRetention(ctx, "lk", "k", v2.VersionID, Retention{}, false)
	require.ErrorIs(t, err, ErrObjectLocked)

	// Legal hold blocks even a bypassing delete of a governance version.
	_, err = e.PutObjectLegalHold(ctx, "lk", "k", v2.VersionID, true)
	require.NoError(t, err)
	_, err = e.DeleteObject(ctx, "lk", "k", DeleteOptions{VersionID: v2.VersionID, Bypass: true})
	require.ErrorIs(t, err, ErrObjectLocked)
	_, err = e.PutObjectLegalHold(ctx, "lk", "k", v2.VersionID, false)
	require.NoError(t, err)
	on, err := e.GetObjectLegalHold(ctx, "lk", "k", v2.VersionID)
	require.NoError(t, err)
	require.False(t, on)
	_, err = e.DeleteObject(ctx, "lk", "k", DeleteOptions{VersionID: v2.VersionID, Bypass: true})
	require.NoError(t, err)

	// Retention on a delete marker is refused.
	_, _, err = e.PutObjectRetention(ctx, "lk", "k", dr.VersionID, Retention{ModeGovernance, until}, false)
	require.ErrorIs(t, err, ErrMethodNotAllowed)

	// Once retention expires, the version can be deleted.
	clock.Advance(31 * 24 * time.Hour)
	_, err = e.DeleteObject(ctx, "lk", "k", DeleteOptions{VersionID: v.VersionID})
	require.NoError(t, err)
}

func TestDefaultRetentionAppliesAtPut(t *testing.T) {
	clock := newFakeClock()
	e := openTest(t, testOptions(vfs.NewMem(), clock))
	require.NoError(t, e.CreateBucket(ctx, "lk", CreateBucketOptions{ObjectLock: true}))
	before := put(t, e, "lk", "a", []byte("1"))
	require.NoError(t, e.SetObjectLockConfig(ctx, "lk", &DefaultRetention{Mode: ModeGovernance, Days: 10}))
	after := put(t, e, "lk", "a", []byte("2"))
	explicit, err := e.PutObject(ctx, "lk", "b", bytes.NewReader([]byte("3")), PutOptions{Size: 1,
		Retention: &Retention{ModeCompliance, clock.Now().Add(time.Hour)}, LegalHold: true})
	require.NoError(t, err)

	require.True(t, before.Lock.Retention.IsZero())
	require.Equal(t, Retention{ModeGovernance, clock.Now().AddDate(0, 0, 10)}, after.Lock.Retention)
	require.Equal(t, ModeCompliance, explicit.Lock.Retention.Mode, "explicit retention wins over the default")
	require.True(t, explicit.Lock.LegalHold)
	_, err = e.PutObject(ctx, "lk", "c", bytes.NewReader(nil), PutOptions{Size: 0,
		Retention: &Retention{ModeCompliance, clock.Now().Add(-time.Hour)}})
	require.ErrorIs(t, err, ErrInvalidRetention)

	// Clearing the default stops applying it.
	require.NoError(t, e.SetObjectLockConfig(ctx, "lk", nil))
	later := put(t, e, "lk", "a", []byte("4"))
	require.True(t, later.Lock.Retention.IsZero())
}

func TestClockRollbackDoesNotUnlock(t *testing.T) {
	clock := newFakeClock()
	fs := vfs.NewMem()
	opts := testOptions(fs, clock)
	e, err := Open(ctx, opts)
	require.NoError(t, err)
	require.NoError(t, e.CreateBucket(ctx, "lk", CreateBucketOptions{ObjectLock: true}))
	v := put(t, e, "lk", "k", []byte("x"))
	_, _, err = e.PutObjectRetention(ctx, "lk", "k", v.VersionID, Retention{ModeCompliance, clock.Now().Add(24 * time.Hour)}, false)
	require.NoError(t, err)
	// Time passes while the server runs, with no writes.
	clock.Advance(12 * time.Hour)
	require.NoError(t, e.persistClock())
	clock.Advance(-10 * 24 * time.Hour) // someone sets the clock back ten days
	_, err = e.DeleteObject(ctx, "lk", "k", DeleteOptions{VersionID: v.VersionID})
	require.ErrorIs(t, err, ErrObjectLocked)
	require.NoError(t, e.Close())

	// Across a restart the high-water mark still holds, and a retention
	// date that is in the "future" by the rolled-back clock but in the past
	// by the high-water mark is refused.
	e = openTest(t, opts)
	require.Equal(t, time.Date(2026, 1, 11, 0, 0, 0, 0, time.UTC), e.Now())
	_, _, err = e.PutObjectRetention(ctx, "lk", "k", v.VersionID, Retention{ModeCompliance, clock.Now().Add(48 * time.Hour)}, false)
	require.ErrorIs(t, err, ErrInvalidRetention, "a date in the past of the high-water mark is not in the future")
	clock.Set(time.Date(2026, 1, 11, 12, 0, 1, 0, time.UTC))
	_, err = e.DeleteObject(ctx, "lk", "k", DeleteOptions{VersionID: v.VersionID})
	require.NoError(t, err)
}

func TestListObjects(t *testing.T) {
	e := openTest(t, testOptions(vfs.NewMem(), newFakeClock()))
	require.NoError(t, e.CreateBucket(ctx, "b", CreateBucketOptions{ObjectLock: true}))
	keys := []string{"a", "a/b", "a/c/d", "a/c/e", "b", "b\x00x", "c/", "c/x", "d+e", "zz"}
	for _, k := range keys {
		put(t, e, "b", k, []byte(k))
	}
	_, err := e.DeleteObject(ctx, "b", "b", DeleteOptions{}) // delete marker hides "b"
	require.NoError(t, err)

	all := func(opts ListOptions) (objs, prefixes []string) {
		for {
			res, err := e.ListObjects(ctx, "b", opts)
			require.NoError(t, err)
			for _, o := range res.Objects {
				objs = append(objs, o.Key)
			}
			prefixes = append(prefixes, res.CommonPrefixes...)
			if !res.IsTruncated {
				return
			}
			opts.After = res.NextAfter
		}
	}
	for _, page := range []int{0, 1, 2, 3} {
		objs, pfx := all(ListOptions{MaxKeys: page})
		require.Equal(t, []string{"a", "a/b", "a/c/d", "a/c/e", "b\x00x", "c/", "c/x", "d+e", "zz"}, objs, "page %d", page)
		require.Empty(t, pfx)

		objs, pfx = all(ListOptions{Delimiter: "/", MaxKeys: page})
		require.Equal(t, []string{"a", "b\x00x", "d+e", "zz"}, objs, "page %d", page)
		require.Equal(t, []string{"a/", "c/"}, pfx, "page %d", page)

		objs, pfx = all(ListOptions{Prefix: "a/", Delimiter: "/", MaxKeys: page})
		require.Equal(t, []string{"a/b"}, objs)
		require.Equal(t, []string{"a/c/"}, pfx)
	}
	objs, _ := all(ListOptions{After: "a/c/d"})
	require.Equal(t, []string{"a/c/e", "b\x00x", "c/", "c/x", "d+e", "zz"}, objs)
	objs, pfx := all(ListOptions{Delimiter: "/", After: "a/"})
	require.Equal(t, []string{"b\x00x", "d+e", "zz"}, objs, "after a common prefix skips it")
	require.Equal(t, []string{"c/"}, pfx)
	objs, _ = all(ListOptions{Prefix: "zz", After: "a"})
	require.Equal(t, []string{"zz"}, objs)

	res, err := e.ListObjects(ctx, "b", ListOptions{MaxKeys: 2})
	require.NoError(t, err)
	require.True(t, res.IsTruncated)
	require.Equal(t, "a/b", res.NextAfter)
	_, err = e.ListObjects(ctx, "nope", ListOptions{})
	require.ErrorIs(t, err, ErrNoSuchBucket)
}

func TestListVersionsPaging(t *testing.T) {
	e := openTest(t, testOptions(vfs.NewMem(), newFakeClock()))
	require.NoError(t, e.CreateBucket(ctx, "b", CreateBucketOptions{}))
	put(t, e, "b", "a", []byte("null"))
	require.NoError(t, e.SetVersioning(ctx, "b", VersioningEnabled))
	var want []string
	for _, k := range []string{"a", "b", "p/x", "p/y"} {
		for i := 0; i < 3; i++ {
			put(t, e, "b", k, []byte{byte(i)})
		}
	}
	_, err := e.DeleteObject(ctx, "b", "b", DeleteOptions{})
	require.NoError(t, err)
	full, err := e.ListVersions(ctx, "b", VersionListOptions{})
	require.NoError(t, err)
	require.False(t, full.IsTruncated)
	for _, v := range full.Versions {
		want = append(want, v.Key+"@"+v.VersionID)
	}
	require.Len(t, want, 14)
	require.Equal(t, "a@null", want[3])
	for page := 1; page <= 5; page++ {
		var got []string
		var latest int
		opts := VersionListOptions{MaxKeys: page}
		for {
			res, err := e.ListVersions(ctx, "b", opts)
			require.NoError(t, err)
			for _, v := range res.Versions {
				got = append(got, v.Key+"@"+v.VersionID)
				if v.IsLatest {
					latest++
				}
			}
			if !res.IsTruncated {
				break
			}
			opts.KeyMarker, opts.VersionIDMarker = res.NextKeyMarker, res.NextVersionIDMarker
		}
		require.Equal(t, want, got, "page size %d", page)
		require.Equal(t, 4, latest, "one latest per key, page size %d", page)
	}
	res, err := e.ListVersions(ctx, "b", VersionListOptions{Delimiter: "/"})
	require.NoError(t, err)
	require.Equal(t, []string{"p/"}, res.CommonPrefixes)
	require.Len(t, res.Versions, 8)
}

func TestMultipart(t *testing.T) {
	e := openTest(t, testOptions(vfs.NewMem(), newFakeClock()))
	require.NoError(t, e.CreateBucket(ctx, "b", CreateBucketOptions{ObjectLock: true}))
	id, err := e.CreateMultipartUpload(ctx, "b", "big", PutOptions{ContentType: "application/x-tar", LegalHold: true})
	require.NoError(t, err)
	min := int(e.opts.MinPartSize)
	p1, p2, p3 := randBytes(1, min), randBytes(2, min+100), randBytes(3, 10)
	var infos []*PartInfo
	for i, p := range [][]byte{p1, randBytes(9, min), p3} {
		pi, err := e.UploadPart(ctx, "b", "big", id, i+1, bytes.NewReader(p), PartOptions{Size: int64(len(p))})
		require.NoError(t, err)
		infos = append(infos, pi)
	}
	// Re-upload part 2 with other data: the newer one wins.
	pi2, err := e.UploadPart(ctx, "b", "big", id, 2, bytes.NewReader(p2), PartOptions{Size: int64(len(p2))})
	require.NoError(t, err)
	infos[1] = pi2
	parts, trunc, err := e.ListParts(ctx, "b", "big", id, 0, 2)
	require.NoError(t, err)
	require.True(t, trunc)
	require.Len(t, parts, 2)
	ups, err := e.ListMultipartUploads(ctx, "b", UploadListOptions{})
	require.NoError(t, err)
	require.Len(t, ups.Uploads, 1)
	require.Equal(t, id, ups.Uploads[0].UploadID)

	cp := func(nums ...int) []CompletePart {
		var out []CompletePart
		for _, n := range nums {
			out = append(out, CompletePart{Number: n, ETag: infos[n-1].ETag})
		}
		return out
	}
	_, err = e.CompleteMultipartUpload(ctx, "b", "big", id, []CompletePart{{2, infos[1].ETag}, {1, infos[0].ETag}}, CompleteOptions{})
	require.ErrorIs(t, err, ErrInvalidPartOrder)
	_, err = e.CompleteMultipartUpload(ctx, "b", "big", id, []CompletePart{{1, infos[0].ETag}, {2, "beef"}}, CompleteOptions{})
	require.ErrorIs(t, err, ErrInvalidPart)
	_, err = e.CompleteMultipartUpload(ctx, "b", "big", id, []CompletePart{{1, infos[0].ETag}, {7, infos[0].ETag}}, CompleteOptions{})
	require.ErrorIs(t, err, ErrInvalidPart)
	_, err = e.CompleteMultipartUpload(ctx, "b", "big", id, cp(3, 2)[:1:1], CompleteOptions{})
	require.NoError(t, err, "a single small last part is fine")
	_, err = e.CompleteMultipartUpload(ctx, "b", "big", id, cp(1, 2, 3), CompleteOptions{})
	require.ErrorIs(t, err, ErrNoSuchUpload, "completed uploads are gone")

	// A fresh upload to check sizes and the md5-of-md5s ETag.
	id, err = e.CreateMultipartUpload(ctx, "b", "big", PutOptions{ContentType: "application/x-tar", LegalHold: true})
	require.NoError(t, err)
	var sums []byte
	var all []byte
	for i, p := range [][]byte{p1, p2, p3} {
		pi, err := e.UploadPart(ctx, "b", "big", id, i+1, bytes.NewReader(p), PartOptions{Size: int64(len(p))})
		require.NoError(t, err)
		infos[i] = pi
		sums = append(sums, md5sum(p)...)
		all = append(all, p...)
	}
	_, err = e.CompleteMultipartUpload(ctx, "b", "big", id, []CompletePart{{1, infos[0].ETag}, {3, infos[2].ETag}, {2, infos[1].ETag}}, CompleteOptions{})
	require.ErrorIs(t, err, ErrInvalidPartOrder)
	_, err = e.CompleteMultipartUpload(ctx, "b", "big", id, []CompletePart{{3, infos[2].ETag}}, CompleteOptions{})
	require.NoError(t, err)
	require.ErrorIs(t, e.AbortMultipartUpload(ctx, "b", "big", id), ErrNoSuchUpload)

	id, err = e.CreateMultipartUpload(ctx, "b", "big", PutOptions{ContentType: "application/x-tar", LegalHold: true})
	require.NoError(t, err)
	for i, p := range [][]byte{p3, p2} {
		pi, err := e.UploadPart(ctx, "b", "big", id, i+1, bytes.NewReader(p), PartOptions{Size: int64(len(p))})
		require.NoError(t, err)
		infos[i] = pi
	}
	_, err = e.CompleteMultipartUpload(ctx, "b", "big", id, []CompletePart{{1, infos[0].ETag}, {2, infos[1].ETag}}, CompleteOptions{})
	require.ErrorIs(t, err, ErrEntityTooSmall)
	require.NoError(t, e.AbortMultipartUpload(ctx, "b", "big", id))

	id, err = e.CreateMultipartUpload(ctx, "b", "big", PutOptions{ContentType: "application/x-tar", LegalHold: true})
	require.NoError(t, err)
	for i, p := range [][]byte{p1, p2, p3} {
		pi, err := e.UploadPart(ctx, "b", "big", id, i+1, bytes.NewReader(p), PartOptions{Size: int64(len(p))})
		require.NoError(t, err)
		infos[i] = pi
	}
	partsBefore, _, err := e.ListParts(ctx, "b", "big", id, 0, 0)
	require.NoError(t, err)
	require.Len(t, partsBefore, 3)
	segBytesBefore := segmentBytes(e)
	info, err := e.CompleteMultipartUpload(ctx, "b", "big", id, cp(1, 2, 3), CompleteOptions{})
	require.NoError(t, err)
	require.Equal(t, segBytesBefore, segmentBytes(e), "complete must not copy part data")
	require.Equal(t, fmt.Sprintf("%x-3", md5sum(sums)), info.ETag)
	require.Equal(t, int64(len(all)), info.Size)
	require.True(t, info.Lock.LegalHold)
	require.Len(t, info.Parts, 3)
	require.Equal(t, all, get(t, e, "b", "big", ""))
	st, err := e.StatObject(ctx, "b", "big", "")
	require.NoError(t, err)
	require.Equal(t, "application/x-tar", st.ContentType)

	_, err = e.UploadPart(ctx, "b", "big", id, 1, bytes.NewReader(p1), PartOptions{Size: -1})
	require.ErrorIs(t, err, ErrNoSuchUpload)
	_, err = e.UploadPart(ctx, "b", "big", "zzzz", 1, bytes.NewReader(p1), PartOptions{Size: -1})
	require.ErrorIs(t, err, ErrNoSuchUpload)
	_, err = e.UploadPart(ctx, "b", "big", id, 10001, bytes.NewReader(p1), PartOptions{Size: -1})
	require.ErrorIs(t, err, ErrInvalidArgument)
}

func segmentBytes(e *Engine) int64 {
	var n int64
	for _, s := range e.segs.Segments() {
		n += s.Size
	}
	return n
}

func TestPutWithCallerMD5(t *testing.T) {
	e := openTest(t, testOptions(vfs.NewMem(), newFakeClock()))
	require.NoError(t, e.CreateBucket(ctx, "b", CreateBucketOptions{}))
	data := randBytes(5, 3<<20) // several chunks
	info, err := e.PutObject(ctx, "b", "k", bytes.NewReader(data), PutOptions{Size: -1,
		MD5: func() [16]byte { return md5.Sum(data) }})
	require.NoError(t, err)
	require.Equal(t, md5hex(data), info.ETag)
	require.True(t, bytes.Equal(data, get(t, e, "b", "k", "")))
	id, err := e.CreateMultipartUpload(ctx, "b", "mp", PutOptions{})
	require.NoError(t, err)
	pi, err := e.UploadPart(ctx, "b", "mp", id, 1, bytes.NewReader(data), PartOptions{Size: int64(len(data)),
		MD5: func() [16]byte { return md5.Sum(data) }})
	require.NoError(t, err)
	require.Equal(t, md5hex(data), pi.ETag)
	require.Equal(t, int64(5<<30), e.MaxObjectSize())
}
