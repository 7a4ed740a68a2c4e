package segment

import (
	"fmt"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// Seal seals the active segment now: it syncs the frames, appends the
// footer and syncs again. The next write opens a new segment. Sealing when
// there is no active segment does nothing.
func (s *Store) Seal() error {
	s.appendMu.Lock()
	defer s.appendMu.Unlock()
	if s.closed.Load() {
		return ErrClosed
	}
	return s.sealLocked()
}

// sealLocked seals the active segment, if any. appendMu must be held.
func (s *Store) sealLocked() error {
	seg := s.active
	if seg == nil {
		return nil
	}
	if _, err := seg.state(); err != nil {
		s.retireLocked(seg)
		return nil
	}
	end := seg.size.Load()
	if err := seg.wf.Sync(); err != nil {
		return s.failLocked(seg, end, err, true)
	}
	seg.mu.Lock()
	seg.synced = max(seg.synced, end)
	seg.mu.Unlock()
	ft := footer{dataEnd: end, blocks: seg.blocks.Load(), rawBytes: seg.raw.Load()}
	if _, err := seg.wf.Write(ft.encode(seg.id)); err != nil {
		return s.failLocked(seg, end, err, false)
	}
	if err := seg.wf.Sync(); err != nil {
		return s.failLocked(seg, end, err, true)
	}
	seg.mu.Lock()
	seg.sealed = true
	seg.cond.Broadcast()
	seg.mu.Unlock()
	s.retireLocked(seg)
	s.log.Debug("segment: sealed", "segment", seg.id, "size", end+footerSize)
	return nil
}

// retireLocked makes seg no longer active and closes its write handle.
// appendMu must be held.
func (s *Store) retireLocked(seg *segment) {
	s.mu.Lock()
	if s.active == seg {
		s.active = nil
	}
	s.mu.Unlock()
	if seg.wf != nil {
		if err := seg.wf.Close(); err != nil {
			s.log.Warn("segment: close failed", "segment", seg.id, "err", err)
		}
		seg.wf = nil
	}
}

// failLocked marks seg broken after a failed write (or, if isSync, sync)
// at off, retires it and returns the error to report. appendMu must be held.
func (s *Store) failLocked(seg *segment, off int64, err error, isSync bool) error {
	seg.markFailed(err, isSync)
	s.log.Error("segment: write failed; segment sealed off", "segment", seg.id, "offset", off, "err", err)
	s.retireLocked(seg)
	return fmt.Errorf("segment %016x off %d: %w: %w", seg.id, off, ErrBroken, err)
}

func (seg *segment) markFailed(err error, isSync bool) {
	seg.mu.Lock()
	defer seg.mu.Unlock()
	if seg.err == nil {
		seg.err = err
	}
	if isSync && seg.syncErr == nil {
		seg.syncErr = err
	}
	seg.cond.Broadcast()
}

// createLocked creates, syncs and activates a new segment. appendMu must be
// held and there must be no active segment.
func (s *Store) createLocked(blockSize int) (*segment, error) {
	id := s.nextID
	s.nextID++ // never reused, even if creation fails
	path := s.fs.PathJoin(s.opts.Dir, segName(id))
	wf, err := s.fs.Create(path, vfs.WriteCategoryUnspecified)
	if err != nil {
		return nil, fmt.Errorf("segment %016x: create: %w", id, err)
	}
	var rf vfs.File
	fail := func(err error) (*segment, error) {
		_ = wf.Close()
		if rf != nil {
			_ = rf.Close()
		}
		if rerr := s.fs.Remove(path); rerr != nil {
			s.log.Warn("segment: remove after failed create", "segment", id, "err", rerr)
		}
		return nil, fmt.Errorf("segment %016x: create: %w", id, err)
	}
	hdr := fileHeader{blockSize: uint32(blockSize), id: id}.encode()
	if _, err := wf.Write(hdr); err != nil {
		return fail(err)
	}
	if err := wf.Sync(); err != nil {
		return fail(err)
	}
	// A WAL record may name this segment as soon as Sync returns, so its
	// directory entry must be durable too.
	if err := s.syncDir(); err != nil {
		return fail(err)
	}
	if rf, err = s.fs.Open(path); err != nil {
		return fail(err)
	}
	seg := newSegment(id, path, uint32(blockSize))
	seg.size.Store(headerSize)
	seg.synced = headerSize
	seg.wf = wf
	seg.rf = rf
	s.mu.Lock()
	s.segs[id] = seg
	s.active = seg
	s.mu.Unlock()
	s.log.Debug("segment: created", "segment", id)
	return seg, nil
}

// appendFrame appends one complete frame to the active segment, first
// rolling to a new segment if there is none, it failed, or its block size
// is too small for rawLen. It seals the segment once it reaches
// TargetSize. The frame buffer may be modified (vfs.File.Write may).
func (s *Store) appendFrame(frame []byte, rawLen int) (id uint64, off int64, err error) {
	s.appendMu.Lock()
	defer s.appendMu.Unlock()
	if s.closed.Load() {
		return 0, 0, ErrClosed
	}
	seg := s.active
	if seg != nil {
		if _, ferr := seg.state(); ferr != nil {
			s.retireLocked(seg)
			seg = nil
		} else if uint32(rawLen) > seg.blockSize {
			if err := s.sealLocked(); err != nil {
				return 0, 0, err
			}
			seg = nil
		}
	}
	if seg == nil {
		if seg, err = s.createLocked(max(s.opts.BlockSize, rawLen)); err != nil {
			return 0, 0, err
		}
	}
	off = seg.size.Load()
	n := int64(len(frame))
	if _, err := seg.wf.Write(frame); err != nil {
		return 0, 0, s.failLocked(seg, off, err, false)
	}
	seg.blocks.Add(1)
	seg.raw.Add(int64(rawLen))
	seg.size.Store(off + n)
	if off+n >= s.opts.TargetSize {
		if err := s.sealLocked(); err != nil {
			return 0, 0, err
		}
	}
	return seg.id, off, nil
}
