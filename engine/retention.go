package engine

import (
	"context"
	"fmt"
	"time"
)

// lockTarget resolves the version a lock call addresses and checks the
// bucket has Object Lock.
func (e *Engine) lockTarget(bucket, key, versionID string) (*version, error) {
	bi, err := e.loadBucket(bucket)
	if err != nil {
		return nil, err
	}
	if !bi.ObjectLock {
		return nil, fmt.Errorf("%w: bucket %q", ErrLockNotEnabled, bucket)
	}
	v, err := e.findVersion(bucket, key, versionID)
	if err != nil {
		return nil, err
	}
	if v.DeleteMarker {
		return nil, &DeleteMarkerError{Err: ErrMethodNotAllowed, VersionID: v.id(), ModTime: time.Unix(0, v.ModTime).UTC()}
	}
	return v, nil
}

// PutObjectRetention appends a retention record for a version (versionID ""
// = latest). COMPLIANCE may only be extended; GOVERNANCE may be shortened or
// removed (ret.Mode == ModeNone) only with bypass, and every bypass is
// recorded. It returns the lock state before and after.
func (e *Engine) PutObjectRetention(ctx context.Context, bucket, key, versionID string, ret Retention, bypass bool) (prev, next LockState, err error) {
	if ret.Mode == ModeNone {
		ret.Until = time.Time{}
	} else {
		ret.Until = ret.Until.UTC()
	}
	_, err = e.commitLockChange(ctx, func(now time.Time, seq uint64) (*record, error) {
		v, err := e.lockTarget(bucket, key, versionID)
		if err != nil {
			return nil, err
		}
		used, err := checkRetention(now, v.Lock.Retention, ret, bypass)
		if err != nil {
			return nil, err
		}
		prev = v.Lock
		next = v.Lock
		next.Retention = ret
		if err := e.tierLockCheckLocked(v, next); err != nil {
			return nil, err // remote lock first (commitLockChange)
		}
		return &record{Type: recRetention, Bucket: bucket, Key: key, Seq: v.Seq, Retention: &ret, Bypass: used, Prev: &prev}, nil
	})
	return prev, next, err
}

// GetObjectRetention returns a version's retention, or
// ErrNoSuchLockConfiguration if it has none.
func (e *Engine) GetObjectRetention(ctx context.Context, bucket, key, versionID string) (Retention, error) {
	if err := ctx.Err(); err != nil {
		return Retention{}, err
	}
	v, err := e.lockTarget(bucket, key, versionID)
	if err != nil {
		return Retention{}, err
	}
	if v.Lock.Retention.IsZero() {
		return Retention{}, ErrNoSuchLockConfiguration
	}
	return v.Lock.Retention, nil
}

// PutObjectLegalHold appends a legal-hold record (ON or OFF) for a version.
// Holds are independent of retention and need no bypass; who may set them is
// the caller's policy decision.
func (e *Engine) PutObjectLegalHold(ctx context.Context, bucket, key, versionID string, on bool) (prev LockState, err error) {
	_, err = e.commitLockChange(ctx, func(now time.Time, seq uint64) (*record, error) {
		v, err := e.lockTarget(bucket, key, versionID)
		if err != nil {
			return nil, err
		}
		prev = v.Lock
		next := v.Lock
		next.LegalHold = on
		if err := e.tierLockCheckLocked(v, next); err != nil {
			return nil, err // remote lock first (commitLockChange)
		}
		hold := on
		return &record{Type: recLegalHold, Bucket: bucket, Key: key, Seq: v.Seq, LegalHold: &hold, Prev: &prev}, nil
	})
	return prev, err
}

// GetObjectLegalHold returns a version's legal hold status, or
// ErrNoSuchLockConfiguration if none was ever set.
func (e *Engine) GetObjectLegalHold(ctx context.Context, bucket, key, versionID string) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	v, err := e.lockTarget(bucket, key, versionID)
	if err != nil {
		return false, err
	}
	if !v.Lock.LegalHoldSet {
		return false, ErrNoSuchLockConfiguration
	}
	return v.Lock.LegalHold, nil
}
