package engine

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"github.com/wormstore/wormstore/segment"
)

// CompactOptions tunes one compaction run.
type CompactOptions struct {
	// MinGarbage is the garbage fraction (0..1) at which a sealed segment
	// is rewritten. 0 rewrites every sealed segment holding any garbage.
	MinGarbage float64
	// RateLimit caps the copy rate in bytes/s; 0 = unlimited.
	RateLimit int64
	// SealActive seals the active segment first so its garbage can be
	// reclaimed too (on-demand compaction).
	SealActive bool
}

// CompactResult reports what a compaction run did.
type CompactResult struct {
	SegmentsRewritten int
	SegmentsRemoved   int
	BytesCopied       int64
	BytesReclaimed    int64
}

// compactionProgress is exported through Stats for metrics.
type compactionProgress struct {
	running         atomic.Bool
	bytesCopied     atomic.Int64
	segmentsRemoved atomic.Int64
	// indexSteps counts index entries visited by candidate selection
	// (tests check it is O(segments), not O(versions)).
	indexSteps atomic.Int64
}

// slackBytes is garbage below which a segment is never rewritten (header,
// footer and rounding).
const slackBytes = 4096

// Compact rewrites sealed segments to reclaim the space of removed
// versions. Live extents are copied verbatim (checksums intact) into the
// active segment and fsynced; one relocation record switches the index
// atomically; the old segment is removed only after a fresh scan shows
// that nothing in the index references it. A version that is retained or
// held is live in the index, so it is always copied, never dropped. A crash
// at any point leaves either the old or the new location in force.
func (e *Engine) Compact(ctx context.Context, opts CompactOptions) (*CompactResult, error) {
	if e.closed.Load() {
		return nil, ErrClosed
	}
	e.compactMu.Lock()
	defer e.compactMu.Unlock()
	e.compactor.running.Store(true)
	defer e.compactor.running.Store(false)
	if opts.SealActive {
		if err := e.segs.Seal(); err != nil {
			return nil, err
		}
	}
	live, err := e.liveBySegment()
	if err != nil {
		return nil, err
	}
	res := &CompactResult{}
	type cand struct {
		id      uint64
		size    int64
		garbage float64
	}
	var cands []cand
	for _, si := range e.segs.Segments() {
		if !si.Sealed || si.Remote || e.isTiered(si.ID) {
			continue // a tiered segment is never rewritten (tier.go)
		}
		g := si.Size - live[si.ID]
		if g <= slackBytes {
			continue
		}
		ratio := float64(g) / float64(si.Size)
		if ratio >= opts.MinGarbage {
			cands = append(cands, cand{si.ID, si.Size, ratio})
		}
	}
	slices.SortFunc(cands, func(a, b cand) int {
		switch {
		case a.garbage > b.garbage:
			return -1
		case a.garbage < b.garbage:
			return 1
		}
		return 0
	})
	p := pacer{rate: opts.RateLimit, start: time.Now()}
	var rewritten []uint64
	for _, c := range cands {
		refs, err := e.segmentRefs(c.id)
		if err != nil {
			return res, err
		}
		n, err := e.relocate(ctx, c.id, refs, &p)
		if err != nil {
			return res, err
		}
		res.SegmentsRewritten++
		res.BytesCopied += n
		rewritten = append(rewritten, c.id)
	}
	if len(rewritten) == 0 {
		return res, nil
	}
	// Only segments nothing references any more are removed. Refs to a
	// sealed segment can only disappear, never appear, so a clean scan is
	// final.
	_, live, err = e.refsBySegment(ctx)
	if err != nil {
		return res, err
	}
	sizes := map[uint64]int64{}
	for _, si := range e.segs.Segments() {
		sizes[si.ID] = si.Size
	}
	for _, id := range rewritten {
		if live[id] != 0 {
			e.log.Warn("compaction: segment still referenced after relocation; keeping it", "segment", id)
			continue
		}
		if err := e.segs.Remove(id); err != nil {
			return res, err
		}
		res.SegmentsRemoved++
		res.BytesReclaimed += sizes[id]
		e.compactor.segmentsRemoved.Add(1)
		e.log.Info("compaction: segment removed", "segment", id, "bytes", sizes[id])
	}
	return res, nil
}

// refsBySegment groups every referenced extent by segment and sums the
// live stored bytes per segment.
func (e *Engine) refsBySegment(ctx context.Context) (map[uint64][]extentRef, map[uint64]int64, error) {
	refs := map[uint64][]extentRef{}
	live := map[uint64]int64{}
	err := scanRefs(ctx, e.db, func(r extentRef) error {
		r.v = nil
		refs[r.ext.Seg] = append(refs[r.ext.Seg], r)
		live[r.ext.Seg] += r.ext.Len
		return nil
	})
	return refs, live, err
}

// relocate copies the live extents of one segment and commits their new
// locations. It returns the bytes copied.
func (e *Engine) relocate(ctx context.Context, seg uint64, refs []extentRef, p *pacer) (int64, error) {
	if len(refs) == 0 {
		return 0, nil
	}
	var moves []move
	var copied int64
	var all []segment.Extent
	for _, r := range refs {
		if err := ctx.Err(); err != nil {
			return copied, err
		}
		nx, err := e.segs.CopyExtent(r.ext)
		if err != nil {
			return copied, fmt.Errorf("engine: compaction copy of segment %d: %w", seg, err)
		}
		copied += r.ext.Len
		e.compactor.bytesCopied.Add(r.ext.Len)
		all = append(all, nx...)
		moves = append(moves, move{Bucket: r.h.bucket, Key: r.h.key, Seq: r.h.seq, Part: r.h.part, Old: r.ext, New: nx})
		if err := p.wait(ctx, r.ext.Len); err != nil {
			return copied, err
		}
	}
	if err := e.segs.Sync(all); err != nil {
		return copied, err
	}
	_, err := e.commit(ctx, func(now time.Time, seq uint64) (*record, error) {
		kept := moves[:0:0]
		for _, m := range moves {
			ok, err := e.holds(m)
			if err != nil {
				return nil, err
			}
			if ok {
				kept = append(kept, m)
			}
		}
		if len(kept) == 0 {
			return nil, errNothingToDo
		}
		return &record{Type: recRelocate, Moves: kept}, nil
	})
	if err != nil && err != errNothingToDo {
		return copied, err
	}
	return copied, nil
}

// holds reports whether the holder of m still references m.Old.
func (e *Engine) holds(m move) (bool, error) {
	if m.Part == 0 {
		var v version
		found, err := getJSON(e.db, versionKey(m.Bucket, m.Key, m.Seq), &v)
		return found && slices.Contains(v.Extents, m.Old), err
	}
	var pt part
	found, err := getJSON(e.db, partKey(m.Seq, m.Part), &pt)
	return found && slices.Contains(pt.Extents, m.Old), err
}

// pacer limits a copy loop to rate bytes/s.
type pacer struct {
	rate  int64
	start time.Time
	bytes int64
}

func (p *pacer) wait(ctx context.Context, n int64) error {
	p.bytes += n
	if p.rate <= 0 {
		return nil
	}
	want := time.Duration(float64(p.bytes) / float64(p.rate) * float64(time.Second))
	if d := want - time.Since(p.start); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
	return nil
}

// compactLoop runs background compaction every CompactionInterval.
func (e *Engine) compactLoop() {
	defer e.wg.Done()
	t := time.NewTicker(e.opts.CompactionInterval)
	defer t.Stop()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-e.stop
		cancel()
	}()
	for {
		select {
		case <-e.stop:
			return
		case <-t.C:
			res, err := e.Compact(ctx, CompactOptions{MinGarbage: e.opts.CompactionMinGarbage, RateLimit: e.opts.CompactionRate})
			if err != nil && ctx.Err() == nil {
				e.log.Error("compaction failed", "err", err)
			} else if res != nil && res.SegmentsRewritten > 0 {
				e.log.Info("compaction done", "rewritten", res.SegmentsRewritten, "removed", res.SegmentsRemoved,
					"copied", res.BytesCopied, "reclaimed", res.BytesReclaimed)
			}
		}
	}
}
