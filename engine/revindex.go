package engine

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
	"github.com/wormstore/wormstore/segment"
)

// Per-segment reverse index (derived state, maintained in the same batch
// as the entries it mirrors; see docs/notes-compact-index.md):
//
//	'R' seg:8 holderKey → bytes:8   holderKey is the index key of the version
//	                                 ('V'…) or staged part ('P'…) that references
//	                                 extents in seg; bytes = their stored length
//	'L' seg:8           → bytes:8   live stored bytes referenced in seg
//	"Gbuilt"            → 1          the reverse index is complete (backfill done)
//
// The 'R' and 'L' tables are excluded from logicalDigest: existing
// checkpoints (made before the reverse index existed) keep their digests, and
// an index seeded from such a checkpoint is backfilled at Open. Compaction
// treats the reverse index as a hint only: a segment is removed only after a
// full scan of the index finds no reference to it, so a missed update can
// only keep garbage.
const (
	tagRevRef  = 'S'
	tagRevLive = 'G'
)

var keyRevBuilt = []byte("Gbuilt")

func revRefKey(seg uint64, holderKey []byte) []byte {
	b := make([]byte, 0, 9+len(holderKey))
	b = append(b, tagRevRef)
	b = binary.BigEndian.AppendUint64(b, seg)
	return append(b, holderKey...)
}

func revSegPrefix(seg uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte{tagRevRef}, seg)
}

func revLiveKey(seg uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte{tagRevLive}, seg)
}

// isRevKey reports keys of the reverse index (excluded from logicalDigest).
func isRevKey(k []byte) bool {
	return len(k) > 0 && (k[0] == tagRevRef || k[0] == tagRevLive)
}

func segBytes(exts []segment.Extent) map[uint64]int64 {
	m := map[uint64]int64{}
	for _, x := range exts {
		m[x.Seg] += x.Len
	}
	return m
}

// revUpdate changes the reverse index of holder hk from old to new extents.
func revUpdate(b *pebble.Batch, hk []byte, old, new []segment.Extent) error {
	o, n := segBytes(old), segBytes(new)
	for seg, l := range o {
		if _, ok := n[seg]; !ok {
			if err := b.Delete(revRefKey(seg, hk), nil); err != nil {
				return err
			}
		}
		if err := revAddLive(b, seg, -l); err != nil {
			return err
		}
	}
	for seg, l := range n {
		if err := b.Set(revRefKey(seg, hk), binary.BigEndian.AppendUint64(nil, uint64(l)), nil); err != nil {
			return err
		}
		if err := revAddLive(b, seg, l); err != nil {
			return err
		}
	}
	return nil
}

func revAddLive(b *pebble.Batch, seg uint64, d int64) error {
	if d == 0 {
		return nil
	}
	k := revLiveKey(seg)
	var cur int64
	raw, c, err := b.Get(k)
	if err == nil {
		if len(raw) == 8 {
			cur = int64(binary.BigEndian.Uint64(raw))
		}
		c.Close()
	} else if !errors.Is(err, pebble.ErrNotFound) {
		return err
	}
	cur += d
	if cur <= 0 {
		return b.Delete(k, nil)
	}
	return b.Set(k, binary.BigEndian.AppendUint64(nil, uint64(cur)), nil)
}

// revDropVersion removes the reverse entries of the version stored at k
// (called before the version is deleted).
func revDropVersion(b *pebble.Batch, vc *versionCache, k []byte) error {
	v, found, err := getVersionIn(b, vc, k)
	if err != nil || !found {
		return err
	}
	return revUpdate(b, k, v.Extents, nil)
}

// revDropParts removes the reverse entries of every staged part of upSeq.
func revDropParts(b *pebble.Batch, upSeq uint64) error {
	p := partPrefix(upSeq)
	it, err := b.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: prefixEnd(p)})
	if err != nil {
		return err
	}
	type hp struct {
		k    []byte
		exts []segment.Extent
	}
	var all []hp
	for ok := it.First(); ok; ok = it.Next() {
		var pt part
		if err := jsonValue(it, &pt); err != nil {
			it.Close()
			return err
		}
		all = append(all, hp{bytes.Clone(it.Key()), pt.Extents})
	}
	if err := errors.Join(it.Error(), it.Close()); err != nil {
		return err
	}
	for _, h := range all {
		if err := revUpdate(b, h.k, h.exts, nil); err != nil {
			return err
		}
	}
	return nil
}

// ensureRevIndex builds the reverse index once for an index that lacks it
// (an old data dir, or one seeded from a checkpoint made before it existed).
func (e *Engine) ensureRevIndex(ctx context.Context) error {
	return ensureRevIndexDB(ctx, e.db)
}

// ensureRevIndexDB is ensureRevIndex for any index (live, or Verify's
// scratch copy before it replays the WAL).
func ensureRevIndexDB(ctx context.Context, db *pebble.DB) error {
	_, c, err := db.Get(keyRevBuilt)
	if err == nil {
		c.Close()
		return nil
	}
	if !errors.Is(err, pebble.ErrNotFound) {
		return err
	}
	b, err := buildRevIndex(ctx, db)
	if err != nil {
		return err
	}
	defer b.Close()
	if err := b.Commit(pebble.NoSync); err != nil {
		return fmt.Errorf("engine: reverse index backfill: %w", err)
	}
	return nil
}

// buildRevIndex returns a batch that replaces the reverse index of db with
// one derived from a full scan, and marks it built.
func buildRevIndex(ctx context.Context, db *pebble.DB) (*pebble.Batch, error) {
	b := db.NewIndexedBatch()
	for _, t := range []byte{tagRevRef, tagRevLive} {
		if err := b.DeleteRange([]byte{t}, []byte{t + 1}, nil); err != nil {
			b.Close()
			return nil, err
		}
	}
	refs := map[string]map[uint64]int64{}
	live := map[uint64]int64{}
	var order []string
	err := scanRefs(ctx, db, func(r extentRef) error {
		var hk []byte
		if r.h.part == 0 {
			hk = versionKey(r.h.bucket, r.h.key, r.h.seq)
		} else {
			hk = partKey(r.h.seq, r.h.part)
		}
		s := string(hk)
		if refs[s] == nil {
			refs[s] = map[uint64]int64{}
			order = append(order, s)
		}
		refs[s][r.ext.Seg] += r.ext.Len
		live[r.ext.Seg] += r.ext.Len
		return nil
	})
	if err != nil {
		b.Close()
		return nil, err
	}
	for _, s := range order {
		for seg, l := range refs[s] {
			if err := b.Set(revRefKey(seg, []byte(s)), binary.BigEndian.AppendUint64(nil, uint64(l)), nil); err != nil {
				b.Close()
				return nil, err
			}
		}
	}
	for seg, l := range live {
		if l <= 0 {
			continue
		}
		if err := b.Set(revLiveKey(seg), binary.BigEndian.AppendUint64(nil, uint64(l)), nil); err != nil {
			b.Close()
			return nil, err
		}
	}
	if err := b.Set(keyRevBuilt, []byte{1}, nil); err != nil {
		b.Close()
		return nil, err
	}
	return b, nil
}

// liveBySegment reads the per-segment live byte counters: O(segments).
func (e *Engine) liveBySegment() (map[uint64]int64, error) {
	p := []byte{tagRevLive}
	it, err := e.db.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: prefixEnd(p)})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	live := map[uint64]int64{}
	for ok := it.First(); ok; ok = it.Next() {
		e.compactor.indexSteps.Add(1)
		k := it.Key()
		if len(k) != 9 || len(it.Value()) != 8 {
			continue // keyRevBuilt
		}
		live[binary.BigEndian.Uint64(k[1:])] = int64(binary.BigEndian.Uint64(it.Value()))
	}
	return live, it.Error()
}

// segmentRefs returns the extents of seg by reading only the reverse index
// range of seg and the holders it names.
func (e *Engine) segmentRefs(seg uint64) ([]extentRef, error) {
	p := revSegPrefix(seg)
	it, err := e.db.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: prefixEnd(p)})
	if err != nil {
		return nil, err
	}
	var hks [][]byte
	for ok := it.First(); ok; ok = it.Next() {
		e.compactor.indexSteps.Add(1)
		hks = append(hks, bytes.Clone(it.Key()[9:]))
	}
	if err := errors.Join(it.Error(), it.Close()); err != nil {
		return nil, err
	}
	var refs []extentRef
	for _, hk := range hks {
		h, exts, found, err := e.loadHolder(hk)
		if err != nil {
			return nil, err
		}
		if !found {
			continue // stale hint; the final scan decides
		}
		for _, x := range exts {
			if x.Seg == seg {
				refs = append(refs, extentRef{h: h, ext: x})
			}
		}
	}
	return refs, nil
}

func (e *Engine) loadHolder(hk []byte) (holder, []segment.Extent, bool, error) {
	switch {
	case len(hk) > 0 && hk[0] == tagVersion:
		i := bytes.IndexByte(hk[1:], 0)
		if i < 0 {
			return holder{}, nil, false, fmt.Errorf("%w: reverse index names a bad version key", ErrCorrupt)
		}
		bucket := string(hk[1 : 1+i])
		key, nseq, err := decodeObjectKey(hk, len(bucket))
		if err != nil {
			return holder{}, nil, false, err
		}
		var v version
		found, err := getJSON(e.db, hk, &v)
		return holder{bucket: bucket, key: key, seq: ^nseq}, v.Extents, found, err
	case len(hk) == 13 && hk[0] == tagPart:
		var pt part
		found, err := getJSON(e.db, hk, &pt)
		return holder{seq: binary.BigEndian.Uint64(hk[1:9]), part: int(binary.BigEndian.Uint32(hk[9:13]))}, pt.Extents, found, err
	}
	return holder{}, nil, false, fmt.Errorf("%w: reverse index names an unknown holder key", ErrCorrupt)
}
