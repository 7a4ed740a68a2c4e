package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/cockroachdb/pebble/v2"
)

// LifecycleCond is what must still hold when a lifecycle removal commits.
// The lifecycle worker decides from a listing; by the time its removal is
// logged a client may have changed the key, so the engine re-checks the
// decision under its lock and refuses with ErrPreconditionFailed when it
// no longer holds.
type LifecycleCond int

// Lifecycle conditions.
const (
	// LifecycleCurrent: the version is still the key's current version and
	// not a delete marker. The key is then deleted as DeleteObject without
	// a version id does (a delete marker on versioned buckets; a removal of
	// the null version, which the lock rules must allow, otherwise).
	LifecycleCurrent LifecycleCond = iota + 1
	// LifecycleNoncurrent: the version still exists and is not the key's
	// current version. It is removed.
	LifecycleNoncurrent
	// LifecycleSoleDeleteMarker: the version is a delete marker and the
	// key's only version. It is removed.
	LifecycleSoleDeleteMarker
)

// LifecycleRemove carries out one lifecycle action on bucket/key at
// versionID, re-checking cond. It never exercises a governance bypass:
// a version under retention or legal hold is refused with an error
// wrapping ErrObjectLocked (the worker skips it and tries again on a later
// pass), whatever the caller's permissions. Like every mutation it is
// audited from the scope in ctx.
func (e *Engine) LifecycleRemove(ctx context.Context, bucket, key, versionID string, cond LifecycleCond) (*DeleteResult, error) {
	if versionID == "" {
		return nil, fmt.Errorf("%w: lifecycle removal without a version id", ErrInvalidArgument)
	}
	var res DeleteResult
	_, err := e.commit(ctx, func(now time.Time, seq uint64) (*record, error) {
		res = DeleteResult{}
		bi, err := e.loadBucket(bucket)
		if err != nil {
			return nil, err
		}
		v, isLatest, err := e.resolve(bucket, key, versionID)
		if err != nil {
			return nil, err
		}
		switch cond {
		case LifecycleCurrent:
			if !isLatest || v.DeleteMarker {
				return nil, fmt.Errorf("%w: %s/%s version %s is no longer current", ErrPreconditionFailed, bucket, key, versionID)
			}
			return e.lifecycleExpireCurrent(bi, key, v, now, seq, &res)
		case LifecycleNoncurrent:
			if isLatest {
				return nil, fmt.Errorf("%w: %s/%s version %s is current again", ErrPreconditionFailed, bucket, key, versionID)
			}
		case LifecycleSoleDeleteMarker:
			if !isLatest || !v.DeleteMarker {
				return nil, fmt.Errorf("%w: %s/%s version %s is not a current delete marker", ErrPreconditionFailed, bucket, key, versionID)
			}
			n, err := e.countVersions(bucket, key, 2)
			if err != nil {
				return nil, err
			}
			if n != 1 {
				return nil, fmt.Errorf("%w: %s/%s has versions besides delete marker %s", ErrPreconditionFailed, bucket, key, versionID)
			}
		default:
			return nil, fmt.Errorf("%w: lifecycle condition %d", ErrInvalidArgument, cond)
		}
		if _, err := checkDelete(now, v.Lock, false); err != nil {
			return nil, err
		}
		res = DeleteResult{VersionID: v.id(), DeleteMarker: v.DeleteMarker, Removed: true}
		return &record{Type: recRemove, Bucket: bucket, Key: key, Seq: v.Seq}, nil
	})
	if err != nil {
		return nil, err
	}
	return &res, nil
}

// lifecycleExpireCurrent builds the record that expires cur, the key's
// current version: what DeleteObject without a version id does.
func (e *Engine) lifecycleExpireCurrent(bi *BucketInfo, key string, cur *version, now time.Time, seq uint64, res *DeleteResult) (*record, error) {
	bucket := bi.Name
	switch bi.Versioning {
	case VersioningEnabled:
		dm := &version{Seq: seq, DeleteMarker: true, ModTime: now.UnixNano()}
		*res = DeleteResult{VersionID: dm.id(), DeleteMarker: true, Removed: true}
		return &record{Type: recPut, Bucket: bucket, Key: key, Version: dm}, nil
	case VersioningSuspended:
		replaces, _, err := e.replaceNull(bucket, key, now)
		if err != nil {
			return nil, err
		}
		dm := &version{Seq: seq, Null: true, DeleteMarker: true, ModTime: now.UnixNano()}
		*res = DeleteResult{VersionID: NullVersionID, DeleteMarker: true, Removed: true}
		return &record{Type: recPut, Bucket: bucket, Key: key, Version: dm, Replaces: replaces}, nil
	default:
		if _, err := checkDelete(now, cur.Lock, false); err != nil {
			return nil, err
		}
		*res = DeleteResult{VersionID: cur.id(), Removed: true}
		return &record{Type: recRemove, Bucket: bucket, Key: key, Seq: cur.Seq}, nil
	}
}

// countVersions counts the versions and delete markers of a key, stopping
// at limit.
func (e *Engine) countVersions(bucket, key string, limit int) (int, error) {
	p := objectPrefix(tagVersion, bucket, key)
	it, err := e.db.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: prefixEnd(p)})
	if err != nil {
		return 0, err
	}
	defer it.Close()
	n := 0
	for ok := it.First(); ok && n < limit; ok = it.Next() {
		n++
	}
	return n, it.Error()
}
