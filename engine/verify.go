package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/wormstore/wormstore/wal"
)

// Problem is one inconsistency found by Verify.
type Problem struct {
	// Kind is "segment" (unreadable or corrupt block), "extent" (the index
	// points at data that is not there or not block-aligned), "size"
	// (version size disagrees with its extents) or "index" (index and WAL
	// disagree).
	Kind      string
	Segment   uint64
	Offset    int64
	Bucket    string
	Key       string
	VersionID string
	Detail    string
}

func (p Problem) String() string {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s:", p.Kind)
	if p.Segment != 0 {
		fmt.Fprintf(&b, " segment %016x off %d", p.Segment, p.Offset)
	}
	if p.Bucket != "" || p.Key != "" {
		fmt.Fprintf(&b, " object %s/%s", p.Bucket, p.Key)
		if p.VersionID != "" {
			fmt.Fprintf(&b, " version %s", p.VersionID)
		}
	}
	fmt.Fprintf(&b, ": %s", p.Detail)
	return b.String()
}

// VerifyReport is the result of Verify.
type VerifyReport struct {
	Segments int
	Blocks   int64
	Bytes    int64
	Versions int64
	Records  int64
	// RemoteSkipped counts tiered segments not read back (VerifyOptions.Remote unset).
	RemoteSkipped int
	Problems      []Problem
}

// OK reports whether no problem was found.
func (r *VerifyReport) OK() bool { return len(r.Problems) == 0 }

// maxProblems bounds the report on a badly damaged store.
const maxProblems = 10000

func (r *VerifyReport) add(p Problem) {
	if len(r.Problems) < maxProblems {
		r.Problems = append(r.Problems, p)
	}
}

// Verify is the fsck: it re-reads and checks every block of every segment,
// checks that every extent in the index starts and ends on block frames of
// an existing segment and adds up to its version's size, and replays the
// WAL into a scratch index that must equal the live one. progress, if set,
// is called with (bytes done, bytes total) of segment scanning.
func (e *Engine) Verify(ctx context.Context, progress func(done, total int64)) (*VerifyReport, error) {
	return e.VerifyWith(ctx, VerifyOptions{}, progress)
}

// VerifyWith is Verify with options: Remote also reads back every block
// of every tiered segment and checks its remote lock (tier_verify.go);
// without it tiered segments are counted but not read.
func (e *Engine) VerifyWith(ctx context.Context, vo VerifyOptions, progress func(done, total int64)) (*VerifyReport, error) {
	if e.closed.Load() {
		return nil, ErrClosed
	}
	e.compactMu.Lock() // segments must not disappear under us
	defer e.compactMu.Unlock()

	// A consistent view: the index snapshot and the LSN it reflects.
	e.mu.Lock()
	snap := e.db.NewSnapshot()
	applied, err := e.appliedLSN()
	e.mu.Unlock()
	defer snap.Close()
	if err != nil {
		return nil, err
	}

	rep := &VerifyReport{}
	type frame struct{ stored, raw int64 }
	frames := map[uint64]map[int64]frame{}
	infos := e.segs.Segments()
	var total, done int64
	for _, si := range infos {
		total += si.Size
	}
	skipped := map[uint64]bool{}
	for _, si := range infos {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if si.Remote {
			if !vo.Remote {
				skipped[si.ID] = true
				rep.Segments++
				rep.RemoteSkipped++
				continue
			}
			e.verifyRemoteLock(ctx, si.ID, rep)
		}
		fm := map[int64]frame{}
		frames[si.ID] = fm
		err := e.segs.Verify(si.ID, func(off, stored, raw int64) {
			fm[off] = frame{stored, raw}
			rep.Blocks++
		})
		if err != nil {
			rep.add(Problem{Kind: "segment", Segment: si.ID, Detail: err.Error()})
		}
		rep.Segments++
		rep.Bytes += si.Size
		done += si.Size
		if progress != nil {
			progress(done, total)
		}
	}

	err = scanVersions(ctx, snap, func(bucket, key string, v *version) error {
		rep.Versions++
		var raw int64
		for _, x := range v.Extents {
			raw += x.RawLen
			fm, ok := frames[x.Seg]
			if skipped[x.Seg] {
				continue
			}
			if !ok {
				rep.add(Problem{Kind: "extent", Segment: x.Seg, Offset: x.Off, Bucket: bucket, Key: key, VersionID: v.id(), Detail: "segment does not exist"})
				continue
			}
			var stored, rawSum int64
			for off := x.Off; off < x.Off+x.Len; {
				f, ok := fm[off]
				if !ok {
					rep.add(Problem{Kind: "extent", Segment: x.Seg, Offset: off, Bucket: bucket, Key: key, VersionID: v.id(), Detail: "no valid block frame at this offset"})
					break
				}
				stored += f.stored
				rawSum += f.raw
				off += f.stored
			}
			if stored == x.Len && rawSum != x.RawLen {
				rep.add(Problem{Kind: "extent", Segment: x.Seg, Offset: x.Off, Bucket: bucket, Key: key, VersionID: v.id(),
					Detail: fmt.Sprintf("extent holds %d raw bytes, index says %d", rawSum, x.RawLen)})
			}
		}
		if !v.DeleteMarker && raw != v.Size {
			rep.add(Problem{Kind: "size", Bucket: bucket, Key: key, VersionID: v.id(),
				Detail: fmt.Sprintf("extents hold %d bytes, version size is %d", raw, v.Size)})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}

	n, err := e.compareWithWAL(ctx, snap, applied, rep)
	rep.Records = n
	if err != nil {
		return nil, err
	}
	return rep, nil
}

// compareWithWAL replays records 1..applied into a scratch index and
// reports every key on which it differs from snap.
func (e *Engine) compareWithWAL(ctx context.Context, snap *pebble.Snapshot, applied uint64, rep *VerifyReport) (int64, error) {
	dir := e.fs.PathJoin(e.opts.Dir, "verify.tmp")
	if err := e.fs.RemoveAll(dir); err != nil {
		return 0, err
	}
	defer e.fs.RemoveAll(dir)
	e.ckptMu.Lock() // checkpoints and archived files stay put
	defer e.ckptMu.Unlock()
	scratch, from, err := e.verifyScratch(ctx, dir, applied, rep)
	if err != nil {
		return 0, err
	}
	defer scratch.Close()
	if err := ensureRevIndexDB(ctx, scratch); err != nil {
		return 0, err
	}
	n, err := replayInto(ctx, e.walSource(), scratch, from, wal.LSN(applied), func(int64) {})
	if err != nil {
		rep.add(Problem{Kind: "index", Detail: fmt.Sprintf("wal replay failed: %v", err)})
		return n, nil
	}
	diffs := 0
	err = diffIndexes(snap, scratch, func(k, got, want []byte) {
		diffs++
		detail := "index value differs from the wal"
		switch {
		case got == nil:
			detail = "key missing from the index but present in the wal"
		case want == nil:
			detail = "key in the index has no wal record"
		}
		rep.add(Problem{Kind: "index", Detail: fmt.Sprintf("%s: key %q", detail, k)})
	})
	return n, err
}

// replayInto applies WAL records [from, to] (to == 0: all) to db in batches.
func replayInto(ctx context.Context, l replaySource, db *pebble.DB, from, to wal.LSN, observe func(t int64)) (int64, error) {
	const batchRecords = 1024
	var n int64
	b := db.NewIndexedBatch()
	defer func() { b.Close() }()
	flush := func() error {
		if b.Empty() {
			return nil
		}
		if err := b.Commit(pebble.NoSync); err != nil {
			return err
		}
		b.Close()
		b = db.NewIndexedBatch()
		return nil
	}
	errStop := errors.New("stop")
	err := l.Replay(from, func(lsn wal.LSN, payload []byte) error {
		if to != 0 && lsn > to {
			return errStop
		}
		if n%batchRecords == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		rec, err := decodeRecord(payload)
		if err != nil {
			return fmt.Errorf("wal record %d: %w", lsn, err)
		}
		if err := applyRecordTo(b, nil, rec, uint64(lsn)); err != nil {
			return fmt.Errorf("apply wal record %d (%s): %w", lsn, rec.Type, err)
		}
		observe(rec.Time)
		n++
		if n%batchRecords == 0 {
			return flush()
		}
		return nil
	})
	if err != nil && err != errStop {
		return n, fmt.Errorf("engine: replay: %w", err)
	}
	return n, flush()
}

// diffIndexes walks two indexes in key order and calls fn for every key
// whose value differs (got from a, want from b; nil when absent).
func diffIndexes(a, b iterable, fn func(k, got, want []byte)) error {
	ia, err := a.NewIter(nil)
	if err != nil {
		return err
	}
	defer ia.Close()
	ib, err := b.NewIter(nil)
	if err != nil {
		return err
	}
	defer ib.Close()
	oka, okb := ia.First(), ib.First()
	for oka || okb {
		var c int
		switch {
		case !oka:
			c = 1
		case !okb:
			c = -1
		default:
			c = bytes.Compare(ia.Key(), ib.Key())
		}
		switch {
		case c < 0:
			va, _ := ia.ValueAndErr()
			fn(ia.Key(), va, nil)
			oka = ia.Next()
		case c > 0:
			vb, _ := ib.ValueAndErr()
			fn(ib.Key(), nil, vb)
			okb = ib.Next()
		default:
			va, erra := ia.ValueAndErr()
			vb, errb := ib.ValueAndErr()
			if err := errors.Join(erra, errb); err != nil {
				return err
			}
			if !bytes.Equal(va, vb) {
				fn(ia.Key(), va, vb)
			}
			oka, okb = ia.Next(), ib.Next()
		}
	}
	return errors.Join(ia.Error(), ib.Error())
}

// Stats summarises the store.
type Stats struct {
	Buckets        int
	Versions       int64
	DeleteMarkers  int64
	Uploads        int64
	Parts          int64
	Segments       int
	SealedSegments int
	// SegmentBytes is the on-disk size of all segments; LiveBytes the
	// stored bytes the index references; GarbageBytes the rest (reclaimable
	// by compaction); LockedBytes the live bytes of versions under active
	// retention or legal hold now.
	SegmentBytes      int64
	LiveBytes         int64
	GarbageBytes      int64
	LockedBytes       int64
	LockedVersions    int64
	WALLastLSN        uint64
	HighWater         time.Time
	CompactionRunning bool
	CompactedBytes    int64
	CompactedSegments int64
}

// Stats computes store statistics by scanning the index.
func (e *Engine) Stats(ctx context.Context) (*Stats, error) {
	if e.closed.Load() {
		return nil, ErrClosed
	}
	now := e.judgeNow()
	st := &Stats{HighWater: now, WALLastLSN: uint64(e.wal.LastLSN())}
	bs, err := e.ListBuckets(ctx)
	if err != nil {
		return nil, err
	}
	st.Buckets = len(bs)
	err = scanVersions(ctx, e.db, func(bucket, key string, v *version) error {
		if v.DeleteMarker {
			st.DeleteMarkers++
			return nil
		}
		st.Versions++
		var n int64
		for _, x := range v.Extents {
			n += x.Len
		}
		st.LiveBytes += n
		if v.Lock.ProtectedAt(now) {
			st.LockedBytes += n
			st.LockedVersions++
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = scanParts(ctx, e.db, func(_ uint64, p *part) error {
		st.Parts++
		for _, x := range p.Extents {
			st.LiveBytes += x.Len
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	up := []byte{tagUpload}
	it, err := e.db.NewIter(&pebble.IterOptions{LowerBound: up, UpperBound: prefixEnd(up)})
	if err != nil {
		return nil, err
	}
	for ok := it.First(); ok; ok = it.Next() {
		st.Uploads++
	}
	it.Close()
	for _, si := range e.segs.Segments() {
		st.Segments++
		if si.Sealed {
			st.SealedSegments++
		}
		st.SegmentBytes += si.Size
	}
	st.GarbageBytes = max(st.SegmentBytes-st.LiveBytes, 0)
	st.CompactionRunning = e.compactor.running.Load()
	st.CompactedBytes = e.compactor.bytesCopied.Load()
	st.CompactedSegments = e.compactor.segmentsRemoved.Load()
	return st, nil
}
