package engine

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/cockroachdb/pebble/v2"
)

// CreateBucketOptions configures a new bucket.
type CreateBucketOptions struct {
	// ObjectLock enables Object Lock, which also enables versioning for good.
	ObjectLock bool
}

// CreateBucket creates a bucket. Name rules are the S3 layer's business;
// the engine only refuses an empty name or one with a NUL or '/'.
func (e *Engine) CreateBucket(ctx context.Context, name string, opts CreateBucketOptions) error {
	if name == "" || len(name) > 255 {
		return fmt.Errorf("%w: %q", ErrInvalidBucketName, name)
	}
	for i := 0; i < len(name); i++ {
		if name[i] == 0 || name[i] == '/' {
			return fmt.Errorf("%w: %q", ErrInvalidBucketName, name)
		}
	}
	_, err := e.commit(ctx, func(now time.Time, seq uint64) (*record, error) {
		if _, err := e.loadBucket(name); err == nil {
			return nil, fmt.Errorf("%w: %q", ErrBucketExists, name)
		} else if !errors.Is(err, ErrNoSuchBucket) {
			return nil, err
		}
		bi := &BucketInfo{Name: name, Created: now, ObjectLock: opts.ObjectLock}
		if opts.ObjectLock {
			bi.Versioning = VersioningEnabled
		}
		return &record{Type: recBucketCreate, Bucket: name, BucketInfo: bi}, nil
	})
	return err
}

// DeleteBucket deletes an empty bucket: no versions, no delete markers and
// no multipart uploads may remain.
func (e *Engine) DeleteBucket(ctx context.Context, name string) error {
	if err := e.abortBucketUploads(ctx, name); err != nil {
		return err
	}
	_, err := e.commit(ctx, func(now time.Time, seq uint64) (*record, error) {
		if _, err := e.loadBucket(name); err != nil {
			return nil, err
		}
		for _, tag := range []byte{tagVersion, tagUpload} {
			nonEmpty, err := e.hasPrefix(bucketPrefix(tag, name))
			if err != nil {
				return nil, err
			}
			if nonEmpty {
				return nil, fmt.Errorf("%w: %q", ErrBucketNotEmpty, name)
			}
		}
		return &record{Type: recBucketDelete, Bucket: name}, nil
	})
	return err
}

// abortBucketUploads aborts every in-progress upload of a bucket that
// holds no version or delete marker, as AWS's DeleteBucket does: each
// abort is its own record (audited in the caller's scope: operation
// DeleteBucket, detail upload-abort, the upload's key). A bucket with
// versions keeps its uploads (DeleteBucket then answers BucketNotEmpty).
func (e *Engine) abortBucketUploads(ctx context.Context, name string) error {
	type pending struct {
		key string
		seq uint64
	}
	var ups []pending
	p := bucketPrefix(tagUpload, name)
	it, err := e.db.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: prefixEnd(p)})
	if err != nil {
		return err
	}
	for ok := it.First(); ok; ok = it.Next() {
		key, seq, err := decodeObjectKey(it.Key(), len(name))
		if err != nil {
			it.Close()
			return err
		}
		ups = append(ups, pending{key, seq})
	}
	if err := errors.Join(it.Error(), it.Close()); err != nil {
		return err
	}
	for _, u := range ups {
		_, err := e.commit(ctx, func(now time.Time, seq uint64) (*record, error) {
			if _, err := e.loadBucket(name); err != nil {
				return nil, err
			}
			nonEmpty, err := e.hasPrefix(bucketPrefix(tagVersion, name))
			if err != nil {
				return nil, err
			}
			if nonEmpty {
				return nil, fmt.Errorf("%w: %q", ErrBucketNotEmpty, name)
			}
			found, err := e.hasPrefix(uploadKey(name, u.key, u.seq))
			if err != nil || !found {
				return nil, errOr(err, errUploadGone)
			}
			return &record{Type: recUploadAbort, Bucket: name, Key: u.key, UpSeq: u.seq}, nil
		})
		if err != nil && !errors.Is(err, errUploadGone) {
			return err
		}
	}
	return nil
}

// errUploadGone skips an upload that completed or was aborted meanwhile.
var errUploadGone = errors.New("engine: upload no longer in progress")

func (e *Engine) hasPrefix(p []byte) (bool, error) {
	it, err := e.db.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: prefixEnd(p)})
	if err != nil {
		return false, err
	}
	defer it.Close()
	return it.First(), it.Error()
}

// Bucket returns a bucket's configuration.
func (e *Engine) Bucket(ctx context.Context, name string) (*BucketInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return e.loadBucket(name)
}

func (e *Engine) loadBucket(name string) (*BucketInfo, error) {
	if e.closed.Load() {
		return nil, ErrClosed
	}
	e.bucketsMu.RLock()
	bi, ok := e.buckets[name]
	gen := e.bucketsGen
	e.bucketsMu.RUnlock()
	if ok {
		bi.Configs = maps.Clone(bi.Configs) // the cached map is shared
		return &bi, nil
	}
	found, err := getJSON(e.db, bucketKey(name), &bi)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, fmt.Errorf("%w: %q", ErrNoSuchBucket, name)
	}
	e.bucketsMu.Lock()
	if e.bucketsGen == gen { // no bucket record was applied meanwhile
		e.buckets[name] = bi
	}
	e.bucketsMu.Unlock()
	c := bi
	c.Configs = maps.Clone(c.Configs)
	return &c, nil
}

// invalidateBuckets drops the bucket cache after a bucket record is applied.
func (e *Engine) invalidateBuckets() {
	e.bucketsMu.Lock()
	e.bucketsGen++
	clear(e.buckets)
	e.bucketsMu.Unlock()
}

// ListBuckets returns all buckets sorted by name.
func (e *Engine) ListBuckets(ctx context.Context) ([]BucketInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p := []byte{tagBucket}
	it, err := e.db.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: prefixEnd(p)})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []BucketInfo
	for ok := it.First(); ok; ok = it.Next() {
		var bi BucketInfo
		if err := jsonValue(it, &bi); err != nil {
			return nil, err
		}
		out = append(out, bi)
	}
	return out, it.Error()
}

// SetVersioning sets a bucket's versioning state to Enabled or Suspended.
// Suspending a bucket with Object Lock fails with ErrInvalidBucketState.
func (e *Engine) SetVersioning(ctx context.Context, name string, state Versioning) error {
	if state != VersioningEnabled && state != VersioningSuspended {
		return fmt.Errorf("%w: versioning status %q", ErrInvalidArgument, state)
	}
	_, err := e.commit(ctx, func(now time.Time, seq uint64) (*record, error) {
		bi, err := e.loadBucket(name)
		if err != nil {
			return nil, err
		}
		if bi.ObjectLock && state != VersioningEnabled {
			return nil, fmt.Errorf("%w: versioning cannot be suspended on a bucket with Object Lock", ErrInvalidBucketState)
		}
		return &record{Type: recBucketVersioning, Bucket: name, Versioning: state}, nil
	})
	return err
}

// SetObjectLockConfig enables Object Lock on the bucket (if it is not yet;
// versioning must then be Enabled, as S3 requires) and sets or clears
// (def == nil) its default retention.
func (e *Engine) SetObjectLockConfig(ctx context.Context, name string, def *DefaultRetention) error {
	if def != nil {
		if err := def.Validate(); err != nil {
			return err
		}
	}
	_, err := e.commit(ctx, func(now time.Time, seq uint64) (*record, error) {
		bi, err := e.loadBucket(name)
		if err != nil {
			return nil, err
		}
		if !bi.ObjectLock && bi.Versioning != VersioningEnabled {
			return nil, fmt.Errorf("%w: versioning must be Enabled to turn on Object Lock", ErrInvalidBucketState)
		}
		return &record{Type: recBucketLockConfig, Bucket: name, Default: def}, nil
	})
	return err
}

// latest returns the newest version or delete marker of a key, or nil.
func (e *Engine) latest(bucket, key string) (*version, error) {
	p := objectPrefix(tagVersion, bucket, key)
	it, err := e.db.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: prefixEnd(p)})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	if !it.First() {
		return nil, it.Error()
	}
	raw, err := it.ValueAndErr()
	if err != nil {
		return nil, err
	}
	return e.vcache.decode(it.Key(), raw)
}

// getVersion reads the version stored under key (versionKey) through the
// decoded-value cache; v is nil if there is none.
func (e *Engine) getVersion(key []byte) (*version, error) {
	raw, c, err := e.db.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer c.Close()
	return e.vcache.decode(key, raw)
}

func (e *Engine) nullVersion(bucket, key string) (*version, error) {
	raw, c, err := e.db.Get(nullKey(bucket, key))
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if len(raw) != 8 {
		c.Close()
		return nil, fmt.Errorf("%w: null pointer of %s/%s", ErrCorrupt, bucket, key)
	}
	seq := binary.BigEndian.Uint64(raw)
	c.Close()
	v, err := e.getVersion(versionKey(bucket, key, seq))
	if err != nil {
		return nil, err
	}
	if v == nil {
		return nil, fmt.Errorf("%w: null pointer of %s/%s names a missing version", ErrCorrupt, bucket, key)
	}
	return v, nil
}

// resolve finds a version by id ("" = latest) and reports whether it is
// the latest.
func (e *Engine) resolve(bucket, key, versionID string) (v *version, isLatest bool, err error) {
	if versionID == "" {
		latest, err := e.latest(bucket, key)
		if err != nil {
			return nil, false, err
		}
		if latest == nil {
			return nil, false, fmt.Errorf("%w: %s/%s", ErrNoSuchKey, bucket, key)
		}
		return latest, true, nil
	}
	// A specific version: which one is the latest needs only its key, not
	// its decoded value.
	latestSeq, hasLatest, err := e.latestSeq(bucket, key)
	if err != nil {
		return nil, false, err
	}
	v, err = e.findVersion(bucket, key, versionID)
	if err != nil {
		return nil, false, err
	}
	return v, hasLatest && latestSeq == v.Seq, nil
}

// findVersion is resolve without the "is it the latest" answer, which
// costs an index iterator: one point lookup for a version id.
func (e *Engine) findVersion(bucket, key, versionID string) (v *version, err error) {
	if versionID == "" {
		v, _, err := e.resolve(bucket, key, "")
		return v, err
	}
	if versionID == NullVersionID {
		v, err = e.nullVersion(bucket, key)
	} else {
		seq, perr := parseVersionID(versionID)
		if perr != nil {
			return nil, perr
		}
		v, err = e.getVersion(versionKey(bucket, key, seq))
	}
	if err != nil {
		return nil, err
	}
	if v == nil {
		return nil, fmt.Errorf("%w: %s/%s version %s", ErrNoSuchVersion, bucket, key, versionID)
	}
	return v, nil
}

// latestSeq returns the sequence number of the key's newest version (or
// delete marker) from its index key alone; ok is false if it has none.
func (e *Engine) latestSeq(bucket, key string) (seq uint64, ok bool, err error) {
	p := objectPrefix(tagVersion, bucket, key)
	it, err := e.db.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: prefixEnd(p)})
	if err != nil {
		return 0, false, err
	}
	defer it.Close()
	if !it.First() {
		return 0, false, it.Error()
	}
	k := it.Key()
	if len(k) != len(p)+8 {
		return 0, false, fmt.Errorf("%w: version key of %s/%s has %d bytes after its prefix", ErrCorrupt, bucket, key, len(k)-len(p))
	}
	return ^binary.BigEndian.Uint64(k[len(p):]), true, nil
}

func jsonValue(it *pebble.Iterator, v any) error {
	raw, err := it.ValueAndErr()
	if err != nil {
		return err
	}
	return unmarshalIndex(it.Key(), raw, v)
}

// SetBucketPolicy stores (or, with an empty document, deletes) the bucket's
// policy document. Validating the document is the caller's business (the
// S3 layer parses it with package iam before storing).
func (e *Engine) SetBucketPolicy(ctx context.Context, name string, policy []byte) error {
	_, err := e.commit(ctx, func(now time.Time, seq uint64) (*record, error) {
		if _, err := e.loadBucket(name); err != nil {
			return nil, err
		}
		return &record{Type: recBucketPolicy, Bucket: name, Policy: string(policy)}, nil
	})
	return err
}
