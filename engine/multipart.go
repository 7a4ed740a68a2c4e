package engine

import (
	"context"
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/cockroachdb/pebble/v2"
)

// MaxParts is the largest part number (as S3).
const MaxParts = 10000

// UploadInfo describes an in-progress multipart upload.
type UploadInfo struct {
	Bucket    string
	Key       string
	UploadID  string
	Initiated time.Time
	Opts      PutOptions
}

// CreateMultipartUpload starts an upload. opts' metadata, lock settings and
// checksum algorithm apply to the object Complete creates; Size,
// conditions and Finalize are ignored here.
func (e *Engine) CreateMultipartUpload(ctx context.Context, bucket, key string, opts PutOptions) (string, error) {
	if key == "" {
		return "", fmt.Errorf("%w: empty key", ErrInvalidArgument)
	}
	var id string
	_, err := e.commit(ctx, func(now time.Time, seq uint64) (*record, error) {
		bi, err := e.loadBucket(bucket)
		if err != nil {
			return nil, err
		}
		if err := checkLockOptions(bi, &opts, now); err != nil {
			return nil, err
		}
		stored := opts
		stored.Size, stored.IfMatch, stored.IfNoneMatch, stored.Finalize = 0, "", "", nil
		id = uploadID(seq)
		return &record{Type: recUploadCreate, Bucket: bucket, Key: key,
			Upload: &upload{Seq: seq, Key: key, Initiated: now.UnixNano(), Opts: stored}}, nil
	})
	return id, err
}

func (e *Engine) loadUpload(bucket, key, id string) (*upload, error) {
	if _, err := e.loadBucket(bucket); err != nil {
		return nil, err
	}
	seq, err := parseUploadID(id)
	if err != nil {
		return nil, err
	}
	var u upload
	found, err := getJSON(e.db, uploadKey(bucket, key, seq), &u)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, fmt.Errorf("%w: %s", ErrNoSuchUpload, id)
	}
	return &u, nil
}

// PartOptions carries a part's declared size and checksum finaliser (see
// PutOptions).
type PartOptions struct {
	Size     int64
	Finalize func() (map[string]string, error)
	MD5      func() [16]byte
}

// UploadPart stages part number num (1..10000) of an upload, replacing an
// earlier part with that number. The data is durable when it returns.
func (e *Engine) UploadPart(ctx context.Context, bucket, key, id string, num int, r io.Reader, opts PartOptions) (*PartInfo, error) {
	if num < 1 || num > MaxParts {
		return nil, fmt.Errorf("%w: part number %d outside 1..%d", ErrInvalidArgument, num, MaxParts)
	}
	if _, err := e.loadUpload(bucket, key, id); err != nil {
		return nil, err
	}
	st, err := e.stage(ctx, r, opts.Size, opts.Finalize, opts.MD5)
	if err != nil {
		return nil, err
	}
	var pi PartInfo
	_, err = e.commit(ctx, func(now time.Time, seq uint64) (*record, error) {
		u, err := e.loadUpload(bucket, key, id)
		if err != nil {
			return nil, err
		}
		pi = PartInfo{Number: num, Size: st.size, ETag: st.etag, ModTime: now, Checksums: st.checksums}
		return &record{Type: recUploadPart, Bucket: bucket, Key: key, UpSeq: u.Seq,
			Part: &part{PartInfo: pi, Extents: st.exts}}, nil
	})
	if err != nil {
		return nil, err
	}
	return &pi, nil
}

// CompletePart names a part in CompleteMultipartUpload.
type CompletePart struct {
	Number int
	ETag   string
}

// CompleteOptions carries what the S3 layer computed for Complete.
type CompleteOptions struct {
	// Checksums are the object's checksums (e.g. composite "…-N" values).
	Checksums    map[string]string
	ChecksumType string
	IfNoneMatch  string
	IfMatch      string
}

// CompleteMultipartUpload turns the listed parts into one version. Part
// data is referenced, not copied. Parts must be ascending (else
// ErrInvalidPartOrder), exist with the given ETag (else ErrInvalidPart),
// and all but the last be at least MinPartSize (else ErrEntityTooSmall).
func (e *Engine) CompleteMultipartUpload(ctx context.Context, bucket, key, id string, parts []CompletePart, opts CompleteOptions) (*ObjectInfo, error) {
	if len(parts) == 0 {
		return nil, fmt.Errorf("%w: no parts", ErrInvalidArgument)
	}
	for i := 1; i < len(parts); i++ {
		if parts[i].Number <= parts[i-1].Number {
			return nil, fmt.Errorf("%w: part %d after part %d", ErrInvalidPartOrder, parts[i].Number, parts[i-1].Number)
		}
	}
	var repeat *ObjectInfo
	rec, err := e.commit(ctx, func(now time.Time, seq uint64) (*record, error) {
		u, err := e.loadUpload(bucket, key, id)
		if errors.Is(err, ErrNoSuchUpload) {
			// Already completed (a client retrying after a lost
			// answer)? Then the same result, and no second version.
			info, cerr := e.completedUpload(bucket, key, id, parts)
			if cerr != nil {
				return nil, err
			}
			repeat = info
			return nil, errRepeatedComplete
		}
		if err != nil {
			return nil, err
		}
		v := &version{Checksums: opts.Checksums, ChecksumType: opts.ChecksumType}
		etags := md5.New()
		for i, cp := range parts {
			var p part
			found, err := getJSON(e.db, partKey(u.Seq, cp.Number), &p)
			if err != nil {
				return nil, err
			}
			if !found || trimETag(cp.ETag) != p.ETag {
				return nil, fmt.Errorf("%w: part %d", ErrInvalidPart, cp.Number)
			}
			if i < len(parts)-1 && p.Size < e.opts.MinPartSize {
				return nil, fmt.Errorf("%w: part %d is %d bytes, minimum %d", ErrEntityTooSmall, cp.Number, p.Size, e.opts.MinPartSize)
			}
			raw, _ := hex.DecodeString(p.ETag)
			etags.Write(raw)
			v.Size += p.Size
			v.Extents = append(v.Extents, p.Extents...)
			v.Parts = append(v.Parts, p.PartInfo)
		}
		v.ETag = fmt.Sprintf("%s-%d", hex.EncodeToString(etags.Sum(nil)), len(parts))
		v.ContentType, v.UserMeta, v.Headers, v.Tags = u.Opts.ContentType, u.Opts.UserMeta, u.Opts.Headers, u.Opts.Tags
		popts := u.Opts
		popts.IfMatch, popts.IfNoneMatch = opts.IfMatch, opts.IfNoneMatch
		if popts.Retention != nil && !now.Before(popts.Retention.Until) {
			// The upload outlived its requested retention: keep the
			// strongest legal choice, which is to refuse.
			return nil, fmt.Errorf("%w: the retain-until date given at CreateMultipartUpload has passed", ErrInvalidRetention)
		}
		rec, err := e.buildPut(bucket, key, v, &popts, now, seq)
		if err != nil {
			return nil, err
		}
		rec.Type, rec.UpSeq = recUploadComplete, u.Seq
		return rec, nil
	})
	if errors.Is(err, errRepeatedComplete) {
		return repeat, nil
	}
	if err != nil {
		return nil, err
	}
	info := e.info(bucket, key, rec.Version, true)
	return &info, nil
}

// errRepeatedComplete stops the commit of a Complete whose upload already
// completed; CompleteMultipartUpload answers the earlier result.
var errRepeatedComplete = errors.New("engine: upload already completed")

// CompletedUpload returns the version a completed upload made, while that
// version exists, as CompleteMultipartUpload answered it; parts, if not
// nil, must be the parts that Complete listed (number and ETag), else the
// upload counts as unknown. An upload never completed, aborted, or whose
// version was removed is ErrNoSuchUpload.
func (e *Engine) CompletedUpload(ctx context.Context, bucket, key, id string, parts []CompletePart) (*ObjectInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if _, err := e.loadBucket(bucket); err != nil {
		return nil, err
	}
	return e.completedUpload(bucket, key, id, parts)
}

func (e *Engine) completedUpload(bucket, key, id string, parts []CompletePart) (*ObjectInfo, error) {
	upSeq, err := parseUploadID(id)
	if err != nil {
		return nil, err
	}
	raw, c, err := e.db.Get(completedKey(bucket, key, upSeq))
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, fmt.Errorf("%w: %s", ErrNoSuchUpload, id)
	}
	if err != nil {
		return nil, err
	}
	ok := len(raw) == 8
	var seq uint64
	if ok {
		seq = binary.BigEndian.Uint64(raw)
	}
	c.Close()
	if !ok {
		return nil, fmt.Errorf("%w: completed-upload entry of %s is %d bytes", ErrCorrupt, id, len(raw))
	}
	var v version
	found, err := getJSON(e.db, versionKey(bucket, key, seq), &v)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, fmt.Errorf("%w: %s", ErrNoSuchUpload, id)
	}
	if parts != nil {
		if len(parts) != len(v.Parts) {
			return nil, fmt.Errorf("%w: %s completed with other parts", ErrNoSuchUpload, id)
		}
		for i, p := range parts {
			if p.Number != v.Parts[i].Number || trimETag(p.ETag) != v.Parts[i].ETag {
				return nil, fmt.Errorf("%w: %s completed with other parts", ErrNoSuchUpload, id)
			}
		}
	}
	latest, err := e.isLatest(bucket, key, seq)
	if err != nil {
		return nil, err
	}
	info := e.info(bucket, key, &v, latest)
	return &info, nil
}

// AbortMultipartUpload discards an upload and its parts.
func (e *Engine) AbortMultipartUpload(ctx context.Context, bucket, key, id string) error {
	_, err := e.commit(ctx, func(now time.Time, seq uint64) (*record, error) {
		u, err := e.loadUpload(bucket, key, id)
		if err != nil {
			return nil, err
		}
		return &record{Type: recUploadAbort, Bucket: bucket, Key: key, UpSeq: u.Seq}, nil
	})
	return err
}

// Upload returns an upload's description.
func (e *Engine) Upload(ctx context.Context, bucket, key, id string) (*UploadInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	u, err := e.loadUpload(bucket, key, id)
	if err != nil {
		return nil, err
	}
	return uploadInfo(bucket, u), nil
}

func uploadInfo(bucket string, u *upload) *UploadInfo {
	return &UploadInfo{Bucket: bucket, Key: u.Key, UploadID: uploadID(u.Seq), Initiated: time.Unix(0, u.Initiated).UTC(), Opts: u.Opts}
}

// ListParts returns up to max parts (0 = 1000) numbered above marker.
func (e *Engine) ListParts(ctx context.Context, bucket, key, id string, marker, max int) (parts []PartInfo, truncated bool, err error) {
	if err := ctx.Err(); err != nil {
		return nil, false, err
	}
	u, err := e.loadUpload(bucket, key, id)
	if err != nil {
		return nil, false, err
	}
	max = clampMaxKeys(max)
	p := partPrefix(u.Seq)
	it, err := e.db.NewIter(&pebble.IterOptions{LowerBound: partKey(u.Seq, marker+1), UpperBound: prefixEnd(p)})
	if err != nil {
		return nil, false, err
	}
	defer it.Close()
	for ok := it.First(); ok; ok = it.Next() {
		if len(parts) == max {
			return parts, true, nil
		}
		var pt part
		if err := jsonValue(it, &pt); err != nil {
			return nil, false, err
		}
		parts = append(parts, pt.PartInfo)
	}
	return parts, false, it.Error()
}

// UploadListOptions selects a page of ListMultipartUploads.
type UploadListOptions struct {
	Prefix         string
	Delimiter      string
	KeyMarker      string
	UploadIDMarker string
	MaxUploads     int
}

// UploadListResult is one page of ListMultipartUploads.
type UploadListResult struct {
	Uploads            []UploadInfo
	CommonPrefixes     []string
	IsTruncated        bool
	NextKeyMarker      string
	NextUploadIDMarker string
}

// ListMultipartUploads lists in-progress uploads by key, then by initiation.
func (e *Engine) ListMultipartUploads(ctx context.Context, bucket string, opts UploadListOptions) (*UploadListResult, error) {
	if _, err := e.Bucket(ctx, bucket); err != nil {
		return nil, err
	}
	max := clampMaxKeys(opts.MaxUploads)
	lower := keyPrefixBound(tagUpload, bucket, opts.Prefix)
	it, err := e.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: prefixEnd(lower)})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	start := lower
	if opts.KeyMarker != "" {
		if opts.UploadIDMarker != "" {
			seq, err := parseUploadID(opts.UploadIDMarker)
			if err != nil {
				return nil, fmt.Errorf("%w: upload-id-marker", ErrInvalidArgument)
			}
			start = prefixEnd(uploadKey(bucket, opts.KeyMarker, seq))
		} else {
			start = prefixEnd(objectPrefix(tagUpload, bucket, opts.KeyMarker))
		}
	}
	res := &UploadListResult{}
	n := 0
	for ok := start != nil && it.SeekGE(start); ok; ok = it.Valid() {
		key, _, err := decodeObjectKey(it.Key(), len(bucket))
		if err != nil {
			return nil, err
		}
		if cp, ok := commonPrefix(key, opts.Prefix, opts.Delimiter); ok {
			if n == max {
				res.IsTruncated = true
				break
			}
			n++
			res.CommonPrefixes = append(res.CommonPrefixes, cp)
			res.NextKeyMarker, res.NextUploadIDMarker = cp, ""
			seekPast(it, keyPrefixBound(tagUpload, bucket, cp))
			continue
		}
		if n == max {
			res.IsTruncated = true
			break
		}
		n++
		var u upload
		if err := jsonValue(it, &u); err != nil {
			return nil, err
		}
		res.Uploads = append(res.Uploads, *uploadInfo(bucket, &u))
		res.NextKeyMarker, res.NextUploadIDMarker = key, uploadID(u.Seq)
		it.Next()
	}
	if err := it.Error(); err != nil {
		return nil, err
	}
	return res, nil
}

// isLatest reports whether version seq is the newest of its key.
func (e *Engine) isLatest(bucket, key string, seq uint64) (bool, error) {
	p := objectPrefix(tagVersion, bucket, key)
	it, err := e.db.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: prefixEnd(p)})
	if err != nil {
		return false, err
	}
	defer it.Close()
	if !it.First() {
		return false, it.Error()
	}
	k := it.Key()
	return len(k) == len(p)+8 && ^binary.BigEndian.Uint64(k[len(p):]) == seq, nil
}
