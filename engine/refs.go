package engine

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
	"github.com/wormstore/wormstore/segment"
)

// holder names the index entry that references an extent: a version
// (part == 0) or a staged multipart part (seq = upload seq).
type holder struct {
	bucket string
	key    string
	seq    uint64
	part   int
}

// extentRef is one extent referenced by the index.
type extentRef struct {
	h   holder
	ext segment.Extent
	v   *version // set for versions
}

// iterable is a *pebble.DB or *pebble.Snapshot.
type iterable interface {
	NewIter(o *pebble.IterOptions) (*pebble.Iterator, error)
}

// scanVersions calls fn for every version and delete marker in the index.
func scanVersions(ctx context.Context, r iterable, fn func(bucket, key string, v *version) error) error {
	p := []byte{tagVersion}
	it, err := r.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: prefixEnd(p)})
	if err != nil {
		return err
	}
	defer it.Close()
	n := 0
	for ok := it.First(); ok; ok = it.Next() {
		if n++; n%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		k := it.Key()
		i := bytes.IndexByte(k[1:], 0)
		if i < 0 {
			return fmt.Errorf("%w: version key without bucket terminator", ErrCorrupt)
		}
		bucket := string(k[1 : 1+i])
		key, _, err := decodeObjectKey(k, len(bucket))
		if err != nil {
			return err
		}
		var v version
		if err := jsonValue(it, &v); err != nil {
			return err
		}
		if err := fn(bucket, key, &v); err != nil {
			return err
		}
	}
	return it.Error()
}

// scanParts calls fn for every staged part.
func scanParts(ctx context.Context, r iterable, fn func(upSeq uint64, p *part) error) error {
	p := []byte{tagPart}
	it, err := r.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: prefixEnd(p)})
	if err != nil {
		return err
	}
	defer it.Close()
	for ok := it.First(); ok; ok = it.Next() {
		if err := ctx.Err(); err != nil {
			return err
		}
		k := it.Key()
		if len(k) != 13 {
			return fmt.Errorf("%w: part key of %d bytes", ErrCorrupt, len(k))
		}
		var pt part
		if err := jsonValue(it, &pt); err != nil {
			return err
		}
		if err := fn(binary.BigEndian.Uint64(k[1:9]), &pt); err != nil {
			return err
		}
	}
	return it.Error()
}

// scanRefs calls fn for every extent the index references.
func scanRefs(ctx context.Context, r iterable, fn func(ref extentRef) error) error {
	err := scanVersions(ctx, r, func(bucket, key string, v *version) error {
		for _, x := range v.Extents {
			if err := fn(extentRef{h: holder{bucket: bucket, key: key, seq: v.Seq}, ext: x, v: v}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return scanParts(ctx, r, func(upSeq uint64, p *part) error {
		for _, x := range p.Extents {
			if err := fn(extentRef{h: holder{seq: upSeq, part: p.Number}, ext: x}); err != nil {
				return err
			}
		}
		return nil
	})
}
