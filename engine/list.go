package engine

import (
	"context"
	"fmt"
	"strings"

	"github.com/cockroachdb/pebble/v2"
)

// MaxListKeys is the largest page a list call returns (as S3).
const MaxListKeys = 1000

// ListOptions selects a page of ListObjects.
type ListOptions struct {
	Prefix    string
	Delimiter string
	// After is exclusive: the page starts after this key (StartAfter,
	// marker, or a decoded continuation token). If After is a common prefix
	// of the listing, everything under it is skipped too.
	After   string
	MaxKeys int // 0 = 1000; capped at 1000
}

// ListResult is one page of ListObjects.
type ListResult struct {
	Objects        []ObjectInfo
	CommonPrefixes []string
	IsTruncated    bool
	// NextAfter is the last key or common prefix returned; pass it as
	// After to get the next page.
	NextAfter string
}

func clampMaxKeys(n int) int {
	if n <= 0 || n > MaxListKeys {
		return MaxListKeys
	}
	return n
}

// ListObjects lists the latest version of every key that is not a delete
// marker, in key order, rolling keys up into common prefixes at Delimiter.
func (e *Engine) ListObjects(ctx context.Context, bucket string, opts ListOptions) (*ListResult, error) {
	if _, err := e.Bucket(ctx, bucket); err != nil {
		return nil, err
	}
	max := clampMaxKeys(opts.MaxKeys)
	w, err := e.newKeyWalker(bucket, opts.Prefix, opts.Delimiter, opts.After)
	if err != nil {
		return nil, err
	}
	defer w.close()
	res := &ListResult{}
	n := 0
	for {
		if n%256 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		ent, ok, err := w.next(true)
		if err != nil {
			return nil, err
		}
		if !ok {
			return res, nil
		}
		if n == max {
			res.IsTruncated = true
			return res, nil
		}
		n++
		if ent.prefix != "" {
			res.CommonPrefixes = append(res.CommonPrefixes, ent.prefix)
			res.NextAfter = ent.prefix
			continue
		}
		res.Objects = append(res.Objects, e.info(bucket, ent.key, ent.v, true))
		res.NextAfter = ent.key
	}
}

// keyWalker iterates the keys of a bucket in order, yielding either a key
// with its newest version or a common prefix.
type keyWalker struct {
	it        *pebble.Iterator
	bucket    string
	prefix    string
	delimiter string
	started   bool
	start     []byte
}

type walkEntry struct {
	key    string
	prefix string // set for a common prefix
	v      *version
}

func (e *Engine) newKeyWalker(bucket, prefix, delimiter, after string) (*keyWalker, error) {
	lower := keyPrefixBound(tagVersion, bucket, prefix)
	upper := prefixEnd(lower)
	it, err := e.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return nil, err
	}
	w := &keyWalker{it: it, bucket: bucket, prefix: prefix, delimiter: delimiter, start: lower}
	if after != "" && after >= prefix {
		if delimiter != "" && strings.HasPrefix(after, prefix) && strings.HasSuffix(after, delimiter) &&
			strings.Contains(after[len(prefix):], delimiter) {
			// after is a common prefix: skip everything under it.
			w.start = prefixEnd(keyPrefixBound(tagVersion, bucket, after))
		} else {
			w.start = prefixEnd(objectPrefix(tagVersion, bucket, after))
		}
	}
	return w, nil
}

func (w *keyWalker) close() { w.it.Close() }

// next returns the next key (its newest entry) or common prefix. With
// skipDeleted, keys whose newest entry is a delete marker are skipped.
func (w *keyWalker) next(skipDeleted bool) (walkEntry, bool, error) {
	for {
		var ok bool
		if !w.started {
			w.started = true
			if w.start == nil {
				return walkEntry{}, false, nil
			}
			ok = w.it.SeekGE(w.start)
		} else {
			ok = w.it.Valid()
		}
		if !ok {
			return walkEntry{}, false, w.it.Error()
		}
		key, _, err := decodeObjectKey(w.it.Key(), len(w.bucket))
		if err != nil {
			return walkEntry{}, false, err
		}
		if cp, ok := commonPrefix(key, w.prefix, w.delimiter); ok {
			seekPast(w.it, keyPrefixBound(tagVersion, w.bucket, cp))
			return walkEntry{prefix: cp}, true, nil
		}
		var v version
		if err := jsonValue(w.it, &v); err != nil {
			return walkEntry{}, false, err
		}
		seekPast(w.it, objectPrefix(tagVersion, w.bucket, key))
		if skipDeleted && v.DeleteMarker {
			continue
		}
		return walkEntry{key: key, v: &v}, true, nil
	}
}

// commonPrefix reports the common prefix key rolls up into: prefix plus
// everything up to and including the first delimiter after it.
func commonPrefix(key, prefix, delimiter string) (string, bool) {
	if delimiter == "" {
		return "", false
	}
	i := strings.Index(key[len(prefix):], delimiter)
	if i < 0 {
		return "", false
	}
	return key[:len(prefix)+i+len(delimiter)], true
}

// seekPast positions it at the first key not starting with p.
func seekPast(it *pebble.Iterator, p []byte) {
	if end := prefixEnd(p); end != nil {
		it.SeekGE(end)
		return
	}
	for it.Next() {
	}
}

// VersionListOptions selects a page of ListVersions.
type VersionListOptions struct {
	Prefix          string
	Delimiter       string
	KeyMarker       string
	VersionIDMarker string
	MaxKeys         int
}

// VersionListResult is one page of ListVersions. Versions holds versions
// and delete markers (DeleteMarker set), newest first within a key.
type VersionListResult struct {
	Versions            []ObjectInfo
	CommonPrefixes      []string
	IsTruncated         bool
	NextKeyMarker       string
	NextVersionIDMarker string
}

// ListVersions lists every version and delete marker, keys in order and
// versions newest first, as S3 ListObjectVersions does.
func (e *Engine) ListVersions(ctx context.Context, bucket string, opts VersionListOptions) (*VersionListResult, error) {
	if _, err := e.Bucket(ctx, bucket); err != nil {
		return nil, err
	}
	if opts.VersionIDMarker != "" && opts.KeyMarker == "" {
		return nil, fmt.Errorf("%w: version-id-marker requires key-marker", ErrInvalidArgument)
	}
	max := clampMaxKeys(opts.MaxKeys)
	lower := keyPrefixBound(tagVersion, bucket, opts.Prefix)
	upper := prefixEnd(lower)
	it, err := e.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return nil, err
	}
	defer it.Close()

	start := lower
	if opts.KeyMarker != "" && opts.KeyMarker >= opts.Prefix {
		switch {
		case opts.VersionIDMarker != "":
			seq, err := e.markerSeq(bucket, opts.KeyMarker, opts.VersionIDMarker)
			if err != nil {
				return nil, err
			}
			start = prefixEnd(versionKey(bucket, opts.KeyMarker, seq))
		case opts.Delimiter != "" && strings.HasSuffix(opts.KeyMarker, opts.Delimiter) &&
			strings.HasPrefix(opts.KeyMarker, opts.Prefix) && strings.Contains(opts.KeyMarker[len(opts.Prefix):], opts.Delimiter):
			start = prefixEnd(keyPrefixBound(tagVersion, bucket, opts.KeyMarker))
		default:
			start = prefixEnd(objectPrefix(tagVersion, bucket, opts.KeyMarker))
		}
	}
	res := &VersionListResult{}
	n := 0
	ok := start != nil && it.SeekGE(start)
	lastKey, haveLast := "", false
	for ; ok; ok = it.Valid() {
		if n%256 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
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
			res.NextKeyMarker, res.NextVersionIDMarker = cp, ""
			seekPast(it, keyPrefixBound(tagVersion, bucket, cp))
			continue
		}
		if n == max {
			res.IsTruncated = true
			break
		}
		n++
		var v version
		if err := jsonValue(it, &v); err != nil {
			return nil, err
		}
		// The first entry of a key in iteration order is its newest, unless
		// the page starts mid-key after a version-id-marker.
		resumedMidKey := !haveLast && opts.VersionIDMarker != "" && key == opts.KeyMarker
		isLatest := (!haveLast || lastKey != key) && !resumedMidKey
		lastKey, haveLast = key, true
		res.Versions = append(res.Versions, e.info(bucket, key, &v, isLatest))
		res.NextKeyMarker, res.NextVersionIDMarker = key, v.id()
		it.Next()
	}
	if err := it.Error(); err != nil {
		return nil, err
	}
	if !res.IsTruncated {
		res.NextKeyMarker, res.NextVersionIDMarker = "", ""
	}
	return res, nil
}

// markerSeq resolves a version-id-marker to the seq it names.
func (e *Engine) markerSeq(bucket, key, vid string) (uint64, error) {
	if vid == NullVersionID {
		v, err := e.nullVersion(bucket, key)
		if err != nil {
			return 0, err
		}
		if v == nil {
			return 0, fmt.Errorf("%w: version-id-marker null names no version", ErrInvalidArgument)
		}
		return v.Seq, nil
	}
	seq, err := parseVersionID(vid)
	if err != nil {
		return 0, fmt.Errorf("%w: version-id-marker: %v", ErrInvalidArgument, err)
	}
	return seq, nil
}
