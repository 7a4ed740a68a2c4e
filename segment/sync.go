package segment

import "fmt"

// Sync makes every extent durable. Concurrent callers share one fsync of
// the active segment (group commit); extents in sealed segments are already
// durable. It returns only after the data is on stable storage, or an error
// (wrapping ErrBroken and the I/O error if a sync of the segment failed
// before the extent became durable). A failed append does not stop Sync
// from making the segment's earlier frames durable.
func (s *Store) Sync(exts []Extent) error {
	var need map[uint64]int64
	for _, e := range exts {
		if !e.valid() {
			return fmt.Errorf("segment %016x off %d: %w: extent %+v", e.Seg, e.Off, ErrInvalidRange, e)
		}
		if need == nil {
			need = make(map[uint64]int64, 1)
		}
		need[e.Seg] = max(need[e.Seg], e.end())
	}
	for id, end := range need {
		if err := s.syncTo(id, end); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) syncTo(id uint64, end int64) error {
	seg, err := s.acquire(id)
	if err != nil {
		return err
	}
	defer s.release(seg)
	if end > seg.size.Load() {
		return fmt.Errorf("segment %016x off %d: %w: beyond data end %d", id, end, ErrInvalidRange, seg.size.Load())
	}
	failed, err := seg.syncTo(end)
	if failed {
		s.appendMu.Lock()
		if s.active == seg {
			s.retireLocked(seg)
		}
		s.appendMu.Unlock()
	}
	return err
}

// syncTo waits until seg is durable up to end, running a group-commit sync
// if none is in flight. failed reports that this call's sync failed and
// broke the segment. end must not exceed seg.size.
func (seg *segment) syncTo(end int64) (failed bool, err error) {
	seg.mu.Lock()
	defer seg.mu.Unlock()
	for {
		if seg.synced >= end {
			return failed, nil
		}
		if seg.syncErr != nil {
			return failed, fmt.Errorf("segment %016x off %d: %w: %w", seg.id, seg.synced, ErrBroken, seg.syncErr)
		}
		if seg.syncing {
			seg.cond.Wait()
			continue
		}
		seg.syncing = true
		target := seg.size.Load() // every byte below target is written
		f := seg.rf
		seg.mu.Unlock()
		serr := f.Sync()
		seg.mu.Lock()
		seg.syncing = false
		if serr != nil {
			if seg.syncErr == nil {
				seg.syncErr = serr
				failed = true
			}
			if seg.err == nil {
				seg.err = serr
			}
		} else {
			seg.synced = max(seg.synced, target)
		}
		seg.cond.Broadcast()
	}
}
