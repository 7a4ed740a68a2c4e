package engine

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/cockroachdb/pebble/v2"
)

// getter is what apply and validation read through: the DB, or an indexed
// batch that sees its own writes.
type getter interface {
	Get(key []byte) ([]byte, io.Closer, error)
}

// getJSON loads an index value (encoded by encodeIndexValue); found is
// false when the key is absent.
func getJSON(g getter, key []byte, v any) (found bool, err error) {
	raw, c, err := g.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer c.Close()
	if err := decodeIndexValue(key, raw, v); err != nil {
		return false, err
	}
	return true, nil
}

// setJSON stores an index value in its pinned encoding (record_wire.go).
func setJSON(b *pebble.Batch, key []byte, v any) error {
	raw, err := encodeIndexValue(v)
	if err != nil {
		return err
	}
	return b.Set(key, raw, nil)
}

// apply performs rec (logged as lsn) on the index batch. It is
// deterministic: the same records applied in order to an empty index always
// produce the same index, which is what Rebuild and Verify rely on. It does
// no validation beyond what consistency needs; validation happened before
// the record was logged.
func (e *Engine) apply(b *pebble.Batch, rec *record, lsn uint64) error {
	return applyRecordTo(b, &e.vcache, rec, lsn)
}

// getVersionIn reads the version stored under k through vc (nil: decode
// afresh); the result is the caller's to modify.
func getVersionIn(g getter, vc *versionCache, k []byte) (*version, bool, error) {
	raw, c, err := g.Get(k)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	defer c.Close()
	v, err := vc.decodeAt(k, raw)
	if err != nil {
		return nil, false, err
	}
	return v, true, nil
}

// setVersion stores v under k in its pinned encoding and tells vc what
// those bytes decode to.
func setVersion(b *pebble.Batch, vc *versionCache, k []byte, v *version) error {
	raw, err := encodeIndexValue(v)
	if err != nil {
		return err
	}
	if err := b.Set(k, raw, nil); err != nil {
		return err
	}
	vc.remember(raw, v)
	return nil
}

// applyRecordTo applies rec and records lsn and the record's time as
// applied. vc (nil in Verify's scratch replay) is the decoded-version
// cache the version reads and writes go through.
func applyRecordTo(b *pebble.Batch, vc *versionCache, rec *record, lsn uint64) error {
	if err := applyRecord(b, vc, rec, lsn); err != nil {
		return err
	}
	if err := b.Set(keyApplied, binary.BigEndian.AppendUint64(nil, lsn), nil); err != nil {
		return err
	}
	if rec.AuditSeq > 0 {
		cur, c, err := b.Get(keyAuditSeq)
		prev := uint64(0)
		if err == nil {
			if len(cur) == 8 {
				prev = binary.BigEndian.Uint64(cur)
			}
			c.Close()
		} else if !errors.Is(err, pebble.ErrNotFound) {
			return err
		}
		// The head only grows, except that the anchor of an
		// AuditStreamDamaged entry resets it to the stream as found.
		if rec.AuditSeq > prev || rec.Type == recAuditAnchor && rec.AuditHash != "" {
			if err := b.Set(keyAuditSeq, binary.BigEndian.AppendUint64(nil, rec.AuditSeq), nil); err != nil {
				return err
			}
			if rec.AuditHash != "" {
				err = b.Set(keyAuditHash, []byte(rec.AuditHash), nil)
			} else {
				err = b.Delete(keyAuditHash, nil)
			}
			if err != nil {
				return err
			}
		}
	}
	return b.Set(keyLastTime, binary.BigEndian.AppendUint64(nil, uint64(rec.Time)), nil)
}

func applyRecord(b *pebble.Batch, vc *versionCache, rec *record, lsn uint64) error {
	switch rec.Type {
	case recBucketCreate:
		return setJSON(b, bucketKey(rec.Bucket), rec.BucketInfo)
	case recBucketDelete:
		return b.Delete(bucketKey(rec.Bucket), nil)
	case recBucketVersioning, recBucketLockConfig, recBucketPolicy, recBucketConfig:
		var bi BucketInfo
		found, err := getJSON(b, bucketKey(rec.Bucket), &bi)
		if err != nil || !found {
			return errOr(err, fmt.Errorf("%w: %s for missing bucket %q", ErrCorrupt, rec.Type, rec.Bucket))
		}
		switch rec.Type {
		case recBucketVersioning:
			bi.Versioning = rec.Versioning
		case recBucketLockConfig:
			bi.ObjectLock = true
			bi.DefaultRetention = rec.Default
		case recBucketPolicy:
			bi.Policy = rec.Policy
		case recBucketConfig:
			setBucketConfig(&bi, rec.Config, rec.ConfigDoc)
		}
		return setJSON(b, bucketKey(rec.Bucket), &bi)
	case recPut:
		return applyPut(b, vc, rec.Bucket, rec.Key, rec.Version, rec.Replaces)
	case recRemove:
		return applyRemove(b, vc, rec.Bucket, rec.Key, rec.Seq)
	case recRetention, recLegalHold, recObjectTags:
		k := versionKey(rec.Bucket, rec.Key, rec.Seq)
		v, found, err := getVersionIn(b, vc, k)
		if err != nil || !found {
			return errOr(err, fmt.Errorf("%w: %s for missing version", ErrCorrupt, rec.Type))
		}
		switch rec.Type {
		case recRetention:
			v.Lock.Retention = *rec.Retention
		case recObjectTags:
			v.Tags = rec.Tags
		default:
			v.Lock.LegalHold = *rec.LegalHold
			v.Lock.LegalHoldSet = true
		}
		return setVersion(b, vc, k, v)
	case recUploadCreate:
		return setJSON(b, uploadKey(rec.Bucket, rec.Key, lsn), rec.Upload)
	case recUploadPart:
		pk := partKey(rec.UpSeq, rec.Part.Number)
		var old part
		if _, err := getJSON(b, pk, &old); err != nil {
			return err
		}
		if err := revUpdate(b, pk, old.Extents, rec.Part.Extents); err != nil {
			return err
		}
		return setJSON(b, pk, rec.Part)
	case recUploadComplete:
		if err := deleteUpload(b, rec.Bucket, rec.Key, rec.UpSeq); err != nil {
			return err
		}
		if err := applyPut(b, vc, rec.Bucket, rec.Key, rec.Version, rec.Replaces); err != nil {
			return err
		}
		// Remember the completion (derived from the record, so replay
		// reproduces it) for a repeated Complete of the same upload.
		if err := b.Set(completedKey(rec.Bucket, rec.Key, rec.UpSeq), binary.BigEndian.AppendUint64(nil, rec.Version.Seq), nil); err != nil {
			return err
		}
		return b.Set(completedVersionKey(rec.Bucket, rec.Key, rec.Version.Seq), binary.BigEndian.AppendUint64(nil, rec.UpSeq), nil)
	case recUploadAbort:
		return deleteUpload(b, rec.Bucket, rec.Key, rec.UpSeq)
	case recAuditAnchor:
		return nil
	case recSegmentTiered, recTierLock, recTierRemoved:
		return applyTier(b, rec)
	case recRelocate:
		for _, m := range rec.Moves {
			if err := applyMove(b, vc, m); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("%w: unknown record type %d", ErrCorrupt, rec.Type)
}

func errOr(err, alt error) error {
	if err != nil {
		return err
	}
	return alt
}

func applyPut(b *pebble.Batch, vc *versionCache, bucket, key string, v *version, replaces []uint64) error {
	for _, seq := range replaces {
		if err := applyRemove(b, vc, bucket, key, seq); err != nil {
			return err
		}
	}
	if v.Null {
		if err := b.Set(nullKey(bucket, key), binary.BigEndian.AppendUint64(nil, v.Seq), nil); err != nil {
			return err
		}
	}
	vk := versionKey(bucket, key, v.Seq)
	if err := revUpdate(b, vk, nil, v.Extents); err != nil {
		return err
	}
	return setVersion(b, vc, vk, v)
}

func applyRemove(b *pebble.Batch, vc *versionCache, bucket, key string, seq uint64) error {
	if err := forgetCompleted(b, bucket, key, seq); err != nil {
		return err
	}
	raw, c, err := b.Get(nullKey(bucket, key))
	if err == nil {
		isNull := len(raw) == 8 && binary.BigEndian.Uint64(raw) == seq
		c.Close()
		if isNull {
			if err := b.Delete(nullKey(bucket, key), nil); err != nil {
				return err
			}
		}
	} else if !errors.Is(err, pebble.ErrNotFound) {
		return err
	}
	vk := versionKey(bucket, key, seq)
	if err := revDropVersion(b, vc, vk); err != nil {
		return err
	}
	return b.Delete(vk, nil)
}

// forgetCompleted deletes the completed-upload entries of version seq, if
// it was made by an upload: one point lookup of the reverse entry.
func forgetCompleted(b *pebble.Batch, bucket, key string, seq uint64) error {
	rk := completedVersionKey(bucket, key, seq)
	raw, c, err := b.Get(rk)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	ok := len(raw) == 8
	var upSeq uint64
	if ok {
		upSeq = binary.BigEndian.Uint64(raw)
	}
	c.Close()
	if !ok {
		return fmt.Errorf("%w: completed-upload entry of version %d is %d bytes", ErrCorrupt, seq, len(raw))
	}
	if err := b.Delete(completedKey(bucket, key, upSeq), nil); err != nil {
		return err
	}
	return b.Delete(rk, nil)
}

func deleteUpload(b *pebble.Batch, bucket, key string, upSeq uint64) error {
	if err := revDropParts(b, upSeq); err != nil {
		return err
	}
	p := partPrefix(upSeq)
	if err := b.DeleteRange(p, prefixEnd(p), nil); err != nil {
		return err
	}
	return b.Delete(uploadKey(bucket, key, upSeq), nil)
}

// applyMove replaces extent m.Old with m.New in the version or part that
// still holds it; a holder that no longer exists or no longer references
// the extent is left alone (it was removed after the data was copied).
func applyMove(b *pebble.Batch, vc *versionCache, m move) error {
	var k []byte
	if m.Part == 0 {
		k = versionKey(m.Bucket, m.Key, m.Seq)
		v, found, err := getVersionIn(b, vc, k)
		if err != nil || !found {
			return err
		}
		i := slices.Index(v.Extents, m.Old)
		if i < 0 {
			return nil
		}
		nx := slices.Concat(v.Extents[:i], m.New, v.Extents[i+1:])
		if err := revUpdate(b, k, v.Extents, nx); err != nil {
			return err
		}
		v.Extents = nx
		return setVersion(b, vc, k, v)
	}
	k = partKey(m.Seq, m.Part)
	var p part
	found, err := getJSON(b, k, &p)
	if err != nil || !found {
		return err
	}
	i := slices.Index(p.Extents, m.Old)
	if i < 0 {
		return nil
	}
	nx := slices.Concat(p.Extents[:i], m.New, p.Extents[i+1:])
	if err := revUpdate(b, k, p.Extents, nx); err != nil {
		return err
	}
	p.Extents = nx
	return setJSON(b, k, &p)
}

func unmarshalIndex(key, raw []byte, v any) error { return decodeIndexValue(key, raw, v) }
