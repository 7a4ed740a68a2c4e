package engine

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/wormstore/wormstore/segment"
)

// PutOptions carries everything about a new object except its data.
type PutOptions struct {
	ContentType string `json:"ct,omitempty"`
	// UserMeta holds x-amz-meta-* values keyed by the lower-case suffix.
	UserMeta map[string]string `json:"um,omitempty"`
	// Headers holds the other stored standard headers (Cache-Control,
	// Content-Disposition, Content-Encoding, Content-Language, Expires),
	// keyed by canonical header name.
	Headers map[string]string `json:"hd,omitempty"`
	// Retention, if set, is the explicit retention for the new version
	// (x-amz-object-lock-mode / -retain-until-date). Otherwise the bucket's
	// default retention applies.
	Retention *Retention `json:"r,omitempty"`
	// LegalHold puts a legal hold ON the new version.
	LegalHold bool `json:"h,omitempty"`
	// ChecksumAlgorithm is the algorithm a multipart upload was created
	// with (informational for the S3 layer).
	ChecksumAlgorithm string `json:"ca,omitempty"`
	ChecksumType      string `json:"cty,omitempty"`
	// Tags is the new version's object tag set (x-amz-tagging), validated
	// by the caller.
	Tags map[string]string `json:"tg,omitempty"`

	// Size is the declared body length, or -1 if unknown. A body of a
	// different length fails with ErrIncompleteBody and stores nothing.
	Size int64 `json:"-"`
	// IfNoneMatch "*" makes the put fail with ErrPreconditionFailed if the
	// key has a current (non-delete-marker) version.
	IfNoneMatch string `json:"-"`
	// IfMatch makes the put fail unless the current version's ETag equals it.
	IfMatch string `json:"-"`
	// Finalize, if set, is called once the body reached EOF and before the
	// version is committed; it returns the checksums to store (algorithm
	// name such as "CRC32" → base64 value). An error aborts the put and
	// nothing is stored (e.g. a trailing checksum mismatch).
	Finalize func() (map[string]string, error) `json:"-"`
	// MD5, if set, supplies the body's MD5 after EOF (and after Finalize
	// succeeded), so the engine does not hash the body a second time. The
	// caller must have hashed exactly the bytes it handed over (the S3
	// layer's verifying reader does).
	MD5 func() [16]byte `json:"-"`
}

// ObjectInfo describes one version or delete marker.
type ObjectInfo struct {
	Bucket       string
	Key          string
	VersionID    string
	IsLatest     bool
	DeleteMarker bool
	Size         int64
	// ETag is the hex MD5 of the data, or md5-of-part-md5s "-N" for
	// multipart objects, without quotes.
	ETag         string
	ModTime      time.Time
	ContentType  string
	UserMeta     map[string]string
	Headers      map[string]string
	Checksums    map[string]string
	ChecksumType string
	Parts        []PartInfo
	Lock         LockState
	Tags         map[string]string
}

func (e *Engine) info(bucket, key string, v *version, latest bool) ObjectInfo {
	return ObjectInfo{
		Bucket: bucket, Key: key, VersionID: v.id(), IsLatest: latest, DeleteMarker: v.DeleteMarker,
		Size: v.Size, ETag: v.ETag, ModTime: time.Unix(0, v.ModTime).UTC(), ContentType: v.ContentType,
		UserMeta: v.UserMeta, Headers: v.Headers, Checksums: v.Checksums, ChecksumType: v.ChecksumType,
		Parts: v.Parts, Lock: v.Lock, Tags: v.Tags,
	}
}

// copyBufSize is the chunk size data is read and hashed in.
const copyBufSize = 1 << 20

// staged is object data written to segments and registered for the next
// WAL batch's data sync.
type staged struct {
	exts      []segment.Extent
	etag      string // hex MD5
	size      int64
	checksums map[string]string // from the caller's Finalize
}

// stage writes r to segments, runs finalize once the body reached EOF, and
// registers the extents so the WAL batch that logs their record makes them
// durable first (syncPending). On any error nothing references the data.
func (e *Engine) stage(ctx context.Context, r io.Reader, declared int64, finalize func() (map[string]string, error), knownMD5 func() [16]byte) (*staged, error) {
	exts, sum, size, err := e.writeData(ctx, r, declared, knownMD5 == nil)
	if err != nil {
		return nil, err
	}
	st := &staged{exts: exts, size: size}
	if finalize != nil {
		if st.checksums, err = finalize(); err != nil {
			return nil, err
		}
	}
	if knownMD5 != nil {
		m := knownMD5()
		sum = m[:]
	}
	st.etag = hex.EncodeToString(sum)
	e.addPending(exts)
	return st, nil
}

// writeData copies r into a new segment writer (not yet synced) and returns
// the extents, the MD5 and the size. On any error the written data is
// abandoned (garbage for compaction). For bodies larger than one chunk the
// MD5 runs on a second goroutine, overlapping compression and the write.
// With hash false no MD5 is computed (the caller supplies it).
func (e *Engine) writeData(ctx context.Context, r io.Reader, declared int64, hash bool) (exts []segment.Extent, sum []byte, size int64, err error) {
	w := e.segs.NewWriter()
	defer func() {
		if err != nil {
			w.Abort()
		}
	}()
	bufp := e.bufs.Get().(*[]byte)
	defer e.bufs.Put(bufp)
	buf := *bufp
	h := md5.New()
	var work chan []byte
	var ack chan struct{}
	defer func() {
		if work != nil {
			close(work)
		}
	}()
	for {
		if err := ctx.Err(); err != nil {
			return nil, nil, 0, err
		}
		n, rerr := io.ReadFull(r, buf)
		if rerr == io.ErrUnexpectedEOF {
			rerr = io.EOF
		}
		if n > 0 {
			size += int64(n)
			if size > e.opts.MaxObjectSize {
				return nil, nil, 0, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, e.opts.MaxObjectSize)
			}
			if declared >= 0 && size > declared {
				return nil, nil, 0, fmt.Errorf("%w: body longer than %d bytes", ErrIncompleteBody, declared)
			}
			chunk := buf[:n]
			var werr error
			switch {
			case !hash:
				_, werr = w.Write(chunk)
			case work == nil && rerr != nil:
				// The whole body fits one chunk: hash inline.
				h.Write(chunk)
				_, werr = w.Write(chunk)
			default:
				if work == nil {
					work, ack = make(chan []byte), make(chan struct{})
					go func() {
						for b := range work {
							h.Write(b)
							ack <- struct{}{}
						}
					}()
				}
				work <- chunk
				_, werr = w.Write(chunk)
				<-ack
			}
			if werr != nil {
				return nil, nil, 0, werr
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return nil, nil, 0, rerr
		}
	}
	if declared >= 0 && size != declared {
		return nil, nil, 0, fmt.Errorf("%w: got %d of %d bytes", ErrIncompleteBody, size, declared)
	}
	exts, err = w.Finish()
	if err != nil {
		return nil, nil, 0, err
	}
	if !hash {
		return exts, nil, size, nil
	}
	return exts, h.Sum(nil), size, nil
}

// PutObject stores a new version of bucket/key with the data read from r.
// The data is streamed to segments and fsynced, then the version's record
// is logged and fsynced; only then does PutObject return. If r returns an
// error, or opts.Finalize does, no version is created.
func (e *Engine) PutObject(ctx context.Context, bucket, key string, r io.Reader, opts PutOptions) (*ObjectInfo, error) {
	bi, err := e.Bucket(ctx, bucket)
	if err != nil {
		return nil, err
	}
	if err := checkLockOptions(bi, &opts, e.judgeNow()); err != nil {
		return nil, err
	}
	if key == "" {
		return nil, fmt.Errorf("%w: empty key", ErrInvalidArgument)
	}
	st, err := e.stage(ctx, r, opts.Size, opts.Finalize, opts.MD5)
	if err != nil {
		return nil, err
	}
	v := &version{
		Size: st.size, ETag: st.etag, ContentType: opts.ContentType,
		UserMeta: opts.UserMeta, Headers: opts.Headers, Checksums: st.checksums,
		ChecksumType: opts.ChecksumType, Extents: st.exts, Tags: opts.Tags,
	}
	if len(st.checksums) > 0 && v.ChecksumType == "" {
		v.ChecksumType = "FULL_OBJECT"
	}
	rec, err := e.commit(ctx, func(now time.Time, seq uint64) (*record, error) {
		return e.buildPut(bucket, key, v, &opts, now, seq)
	})
	if err != nil {
		return nil, err
	}
	info := e.info(bucket, key, rec.Version, true)
	return &info, nil
}

// checkLockOptions refuses lock headers on a bucket without Object Lock and
// retain-until dates in the past.
func checkLockOptions(bi *BucketInfo, opts *PutOptions, now time.Time) error {
	if opts.Retention == nil && !opts.LegalHold {
		return nil
	}
	if !bi.ObjectLock {
		return fmt.Errorf("%w: bucket %q", ErrLockNotEnabled, bi.Name)
	}
	if r := opts.Retention; r != nil {
		if !r.Mode.Valid() {
			return fmt.Errorf("%w: mode %q must be GOVERNANCE or COMPLIANCE", ErrInvalidRetention, r.Mode)
		}
		if err := checkUntil(now, r.Until); err != nil {
			return err
		}
	}
	return nil
}

// buildPut validates a new version against the current state (under e.mu)
// and returns its record. v is completed with seq, time, null-ness and lock
// state.
func (e *Engine) buildPut(bucket, key string, v *version, opts *PutOptions, now time.Time, seq uint64) (*record, error) {
	bi, err := e.loadBucket(bucket)
	if err != nil {
		return nil, err
	}
	if err := checkLockOptions(bi, opts, now); err != nil {
		return nil, err
	}
	if opts.IfNoneMatch != "" || opts.IfMatch != "" {
		latest, err := e.latest(bucket, key)
		if err != nil {
			return nil, err
		}
		if err := checkWritePreconditions(latest, opts.IfNoneMatch, opts.IfMatch); err != nil {
			return nil, err
		}
	}
	nv := *v
	nv.Seq = seq
	nv.ModTime = now.UnixNano()
	nv.Null = bi.Versioning != VersioningEnabled
	switch {
	case opts.Retention != nil:
		nv.Lock.Retention = *opts.Retention
	case bi.ObjectLock && bi.DefaultRetention != nil:
		nv.Lock.Retention = bi.DefaultRetention.Apply(now)
	}
	if opts.LegalHold {
		nv.Lock.LegalHold, nv.Lock.LegalHoldSet = true, true
	}
	rec := &record{Type: recPut, Bucket: bucket, Key: key, Version: &nv}
	if nv.Null {
		replaces, bypass, err := e.replaceNull(bucket, key, now)
		if err != nil {
			return nil, err
		}
		rec.Replaces, rec.Bypass = replaces, bypass
	}
	return rec, nil
}

func checkWritePreconditions(latest *version, ifNoneMatch, ifMatch string) error {
	live := latest != nil && !latest.DeleteMarker
	if ifNoneMatch != "" {
		if ifNoneMatch != "*" {
			return fmt.Errorf("%w: If-None-Match supports only *", ErrInvalidArgument)
		}
		if live {
			return fmt.Errorf("%w: If-None-Match: * but the key exists", ErrPreconditionFailed)
		}
	}
	if ifMatch != "" {
		if !live {
			return fmt.Errorf("%w: If-Match on a missing key", ErrNoSuchKey)
		}
		if trimETag(ifMatch) != latest.ETag && ifMatch != "*" {
			return fmt.Errorf("%w: If-Match %s, current ETag %s", ErrPreconditionFailed, ifMatch, latest.ETag)
		}
	}
	return nil
}

func trimETag(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return s[1 : len(s)-1]
	}
	return s
}

// replaceNull returns the existing null version (to be replaced by a new
// null version or null delete marker), refusing if it is protected.
func (e *Engine) replaceNull(bucket, key string, now time.Time) (replaces []uint64, usedBypass bool, err error) {
	old, err := e.nullVersion(bucket, key)
	if err != nil || old == nil {
		return nil, false, err
	}
	if _, err := checkDelete(now, old.Lock, false); err != nil {
		return nil, false, err
	}
	return []uint64{old.Seq}, false, nil
}

// Object is an open version: its metadata and access to its data.
type Object struct {
	Info   ObjectInfo
	e      *Engine
	bucket string
	key    string
	seq    uint64
	exts   []segment.Extent
}

// OpenObject resolves bucket/key at versionID ("" = latest). A latest
// version that is a delete marker yields a DeleteMarkerError wrapping
// ErrNoSuchKey; a version id naming a delete marker yields one wrapping
// ErrMethodNotAllowed.
func (e *Engine) OpenObject(ctx context.Context, bucket, key, versionID string) (*Object, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if _, err := e.loadBucket(bucket); err != nil {
		return nil, err
	}
	v, latest, err := e.resolve(bucket, key, versionID)
	if err != nil {
		return nil, err
	}
	if v.DeleteMarker {
		base := ErrNoSuchKey
		if versionID != "" {
			base = ErrMethodNotAllowed
		}
		return nil, &DeleteMarkerError{Err: base, VersionID: v.id(), ModTime: time.Unix(0, v.ModTime).UTC()}
	}
	return &Object{Info: e.info(bucket, key, v, latest), e: e, bucket: bucket, key: key, seq: v.Seq, exts: v.Extents}, nil
}

// StatObject is OpenObject without data access (HEAD).
func (e *Engine) StatObject(ctx context.Context, bucket, key, versionID string) (*ObjectInfo, error) {
	o, err := e.OpenObject(ctx, bucket, key, versionID)
	if err != nil {
		return nil, err
	}
	return &o.Info, nil
}

// NewReader returns the data bytes [off, off+n) of the version. Every block
// read is verified against its checksum. If compaction moved the data
// since OpenObject, the new location is looked up once.
func (o *Object) NewReader(off, n int64) (io.ReadCloser, error) {
	if off < 0 || n < 0 || off+n > o.Info.Size {
		return nil, fmt.Errorf("%w: range [%d,+%d) outside object of %d bytes", ErrInvalidArgument, off, n, o.Info.Size)
	}
	if n == 0 {
		return io.NopCloser(eofReader{}), nil
	}
	rc, err := o.e.segs.NewReader(o.exts, off, n)
	if errors.Is(err, segment.ErrNotFound) {
		var v version
		found, gerr := getJSON(o.e.db, versionKey(o.bucket, o.key, o.seq), &v)
		if gerr != nil {
			return nil, gerr
		}
		if !found {
			return nil, fmt.Errorf("%w: version removed while reading", ErrNoSuchVersion)
		}
		o.exts = v.Extents
		rc, err = o.e.segs.NewReader(o.exts, off, n)
	}
	return rc, err
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

// DeleteOptions selects what DeleteObject removes.
type DeleteOptions struct {
	// VersionID removes that version or delete marker; "" deletes the key
	// as S3 does (a delete marker on versioned buckets).
	VersionID string
	// Bypass is x-amz-bypass-governance-retention, already authorised by
	// the caller. It lets a GOVERNANCE-retained version be removed.
	Bypass bool
}

// DeleteResult reports what DeleteObject did.
type DeleteResult struct {
	// VersionID is the version removed or the delete marker created.
	VersionID string
	// DeleteMarker is true when a delete marker was created or removed.
	DeleteMarker bool
	// Removed is false when nothing existed to remove (S3 still answers 204).
	Removed bool
}

// DeleteObject deletes a key or one of its versions, obeying Object Lock.
// A protected version yields an error wrapping ErrObjectLocked; a version id
// that names no version yields ErrNoSuchVersion.
func (e *Engine) DeleteObject(ctx context.Context, bucket, key string, opts DeleteOptions) (*DeleteResult, error) {
	var res DeleteResult
	_, err := e.commit(ctx, func(now time.Time, seq uint64) (*record, error) {
		res = DeleteResult{}
		bi, err := e.loadBucket(bucket)
		if err != nil {
			return nil, err
		}
		if opts.VersionID != "" {
			v, err := e.findVersion(bucket, key, opts.VersionID)
			if err != nil {
				return nil, err
			}
			used, err := checkDelete(now, v.Lock, opts.Bypass)
			if err != nil {
				return nil, err
			}
			res = DeleteResult{VersionID: v.id(), DeleteMarker: v.DeleteMarker, Removed: true}
			return &record{Type: recRemove, Bucket: bucket, Key: key, Seq: v.Seq, Bypass: used}, nil
		}
		switch bi.Versioning {
		case VersioningEnabled:
			dm := &version{Seq: seq, DeleteMarker: true, ModTime: now.UnixNano()}
			res = DeleteResult{VersionID: dm.id(), DeleteMarker: true, Removed: true}
			return &record{Type: recPut, Bucket: bucket, Key: key, Version: dm}, nil
		case VersioningSuspended:
			replaces, used, err := e.replaceNull(bucket, key, now)
			if err != nil {
				return nil, err
			}
			dm := &version{Seq: seq, Null: true, DeleteMarker: true, ModTime: now.UnixNano()}
			res = DeleteResult{VersionID: NullVersionID, DeleteMarker: true, Removed: true}
			return &record{Type: recPut, Bucket: bucket, Key: key, Version: dm, Replaces: replaces, Bypass: used}, nil
		default:
			old, err := e.nullVersion(bucket, key)
			if err != nil {
				return nil, err
			}
			if old == nil {
				return nil, errNothingToDo
			}
			if _, err := checkDelete(now, old.Lock, false); err != nil {
				return nil, err
			}
			res = DeleteResult{VersionID: "", Removed: true}
			return &record{Type: recRemove, Bucket: bucket, Key: key, Seq: old.Seq}, nil
		}
	})
	if errors.Is(err, errNothingToDo) {
		return &DeleteResult{}, nil
	}
	if err != nil {
		return nil, err
	}
	return &res, nil
}

// errNothingToDo aborts a commit that has no effect; never returned to callers.
var errNothingToDo = errors.New("engine: nothing to do")
