package segment

import (
	"errors"
	"fmt"
	"io"
	"io/fs"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// Remote segments. A sealed segment whose bytes moved to a remote tier
// keeps its id and its place in the Store, but its frames are read through
// a RemoteSource instead of a local file. The Store knows nothing of where
// the bytes live: the engine supplies the source (ranged GETs with a cache).
// Every frame read from a source is verified exactly like a local one, so a
// remote that returns wrong bytes yields ErrCorrupt, never bad data.

// RemoteSource reads the bytes of a remote segment. ReadAt must be safe for
// concurrent use; it follows io.ReaderAt.
type RemoteSource interface {
	io.ReaderAt
}

// RemoteInfo describes a remote segment as recorded when it was moved: the
// data end (header plus frames, without the footer), the footer's counts
// and the header's block size.
type RemoteInfo struct {
	DataEnd   int64
	Blocks    int64
	RawBytes  int64
	BlockSize uint32
}

// ErrRemoteReadOnly is returned by write methods of a remote segment's
// file handle (a bug: remote segments are sealed).
var ErrRemoteReadOnly = errors.New("segment: remote segment is read-only")

// LocalInfo returns what AttachRemote needs to describe the sealed local
// segment id, so the caller can record it before releasing the file.
func (s *Store) LocalInfo(id uint64) (RemoteInfo, error) {
	s.mu.Lock()
	seg := s.segs[id]
	s.mu.Unlock()
	if seg == nil {
		return RemoteInfo{}, fmt.Errorf("segment %016x: %w", id, ErrNotFound)
	}
	sealed, err := seg.state()
	if !sealed || err != nil {
		return RemoteInfo{}, fmt.Errorf("segment %016x: not sealed", id)
	}
	return RemoteInfo{DataEnd: seg.size.Load(), Blocks: seg.blocks.Load(), RawBytes: seg.raw.Load(), BlockSize: seg.blockSize}, nil
}

// OpenLocal opens the local file of sealed segment id for reading (the
// caller uploads it). The caller closes the file.
func (s *Store) OpenLocal(id uint64) (vfs.File, error) {
	s.mu.Lock()
	seg := s.segs[id]
	s.mu.Unlock()
	if seg == nil {
		return nil, fmt.Errorf("segment %016x: %w", id, ErrNotFound)
	}
	if seg.isRemote() {
		return nil, fmt.Errorf("segment %016x: has no local file (remote)", id)
	}
	f, err := s.fs.Open(seg.path)
	if err != nil {
		return nil, fmt.Errorf("segment %016x: open: %w", id, err)
	}
	return f, nil
}

// HasLocal reports whether segment id is known and read from a local file.
func (s *Store) HasLocal(id uint64) bool {
	s.mu.Lock()
	seg := s.segs[id]
	s.mu.Unlock()
	return seg != nil && !seg.isRemote()
}

// AttachRemote registers segment id, which has no local file, as a sealed
// segment read through src. It does no I/O. Ids up to id are never reused
// by new segments afterwards. A segment the Store already knows is an
// error (use ReleaseLocal for one with a local file).
func (s *Store) AttachRemote(id uint64, info RemoteInfo, src RemoteSource) error {
	if info.BlockSize == 0 || info.BlockSize > MaxBlockSize || info.DataEnd < headerSize {
		return fmt.Errorf("segment %016x: attach remote: %w: implausible info %+v", id, ErrCorrupt, info)
	}
	s.appendMu.Lock()
	defer s.appendMu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed.Load() {
		return ErrClosed
	}
	if s.segs[id] != nil {
		return fmt.Errorf("segment %016x: attach remote: already known", id)
	}
	seg := newSegment(id, s.fs.PathJoin(s.opts.Dir, segName(id)), info.BlockSize)
	seg.size.Store(info.DataEnd)
	seg.blocks.Store(info.Blocks)
	seg.raw.Store(info.RawBytes)
	seg.sealed = true
	seg.synced = info.DataEnd
	seg.remote = src
	s.segs[id] = seg
	s.nextID = max(s.nextID, id+1)
	return nil
}

// ReleaseLocal switches the sealed, local segment id to src and deletes its
// local file: at once if no reader pins it, else when the last one closes
// (readers that started before keep reading the local file). Deleting
// syncs the directory, after leaving a marker that keeps the id from reuse
// when no newer local segment file exists.
func (s *Store) ReleaseLocal(id uint64, src RemoteSource) error {
	s.mu.Lock()
	seg, err := s.inactiveLocked(id, "release")
	switch {
	case err != nil:
		s.mu.Unlock()
		return err
	case seg.isRemote():
		s.mu.Unlock()
		return nil
	}
	if sealed, err := seg.state(); !sealed || err != nil {
		s.mu.Unlock()
		return fmt.Errorf("segment %016x: release: not sealed", id)
	}
	seg.mu.Lock()
	seg.remote = src
	old := seg.rf
	seg.rf = nil
	seg.mu.Unlock()
	seg.stale = true
	seg.staleFile = old
	now := seg.pins == 0
	s.mu.Unlock()
	if !now {
		return nil
	}
	return s.dropLocal(seg)
}

// dropLocal closes and deletes the released local file of seg.
func (s *Store) dropLocal(seg *segment) error {
	s.mu.Lock()
	if !seg.stale {
		s.mu.Unlock()
		return nil
	}
	seg.stale = false
	f := seg.staleFile
	seg.staleFile = nil
	newest := true
	for other, o := range s.segs {
		if other > seg.id && !o.isRemote() {
			newest = false
			break
		}
	}
	s.mu.Unlock()
	if f != nil {
		_ = f.Close()
	}
	if newest {
		mf, err := s.fs.Create(s.fs.PathJoin(s.opts.Dir, markName(seg.id)), vfs.WriteCategoryUnspecified)
		if err != nil {
			return fmt.Errorf("segment %016x: release: create marker: %w", seg.id, err)
		}
		if err := mf.Close(); err != nil {
			return fmt.Errorf("segment %016x: release: create marker: %w", seg.id, err)
		}
		if err := s.syncDir(); err != nil {
			return err
		}
	}
	if err := s.fs.Remove(seg.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("segment %016x: release: remove local file: %w", seg.id, err)
	}
	return s.syncDir()
}

// Forget drops remote segment id from the Store (its remote object was
// removed). Readers that pin it keep their source until they close. A
// marker keeps the id from reuse when it was the newest.
func (s *Store) Forget(id uint64) error {
	s.mu.Lock()
	seg := s.segs[id]
	if seg == nil {
		s.mu.Unlock()
		return nil
	}
	if !seg.isRemote() {
		s.mu.Unlock()
		return fmt.Errorf("segment %016x: forget: segment is local", id)
	}
	delete(s.segs, id)
	newest := true
	for other := range s.segs {
		if other > id {
			newest = false
			break
		}
	}
	s.mu.Unlock()
	if !newest {
		return nil
	}
	mf, err := s.fs.Create(s.fs.PathJoin(s.opts.Dir, markName(id)), vfs.WriteCategoryUnspecified)
	if err != nil {
		return fmt.Errorf("segment %016x: forget: create marker: %w", id, err)
	}
	if err := mf.Close(); err != nil {
		return fmt.Errorf("segment %016x: forget: create marker: %w", id, err)
	}
	return s.syncDir()
}

// VerifyRemote checks a copy of sealed segment id read through src before
// it is trusted: header, every frame's checksum and decoding, and the
// footer, against info. It uses the same checks as Verify.
func (s *Store) VerifyRemote(id uint64, info RemoteInfo, src RemoteSource) error {
	seg := newSegment(id, "", info.BlockSize)
	seg.size.Store(info.DataEnd)
	seg.blocks.Store(info.Blocks)
	seg.raw.Store(info.RawBytes)
	seg.sealed = true
	seg.remote = src
	return s.verifySegment(seg, remoteFile{src}, nil)
}

func (seg *segment) isRemote() bool {
	seg.mu.Lock()
	defer seg.mu.Unlock()
	return seg.remote != nil
}

// remoteFile adapts a RemoteSource to the read side of vfs.File.
type remoteFile struct{ src RemoteSource }

func (f remoteFile) ReadAt(p []byte, off int64) (int, error) { return f.src.ReadAt(p, off) }
func (f remoteFile) Close() error                            { return nil }
func (f remoteFile) Read([]byte) (int, error)                { return 0, ErrRemoteReadOnly }
func (f remoteFile) Write([]byte) (int, error)               { return 0, ErrRemoteReadOnly }
func (f remoteFile) WriteAt([]byte, int64) (int, error)      { return 0, ErrRemoteReadOnly }
func (f remoteFile) Preallocate(int64, int64) error          { return ErrRemoteReadOnly }
func (f remoteFile) Stat() (vfs.FileInfo, error)             { return nil, ErrRemoteReadOnly }
func (f remoteFile) Sync() error                             { return ErrRemoteReadOnly }
func (f remoteFile) SyncTo(int64) (bool, error)              { return false, ErrRemoteReadOnly }
func (f remoteFile) SyncData() error                         { return ErrRemoteReadOnly }
func (f remoteFile) Prefetch(int64, int64) error             { return nil }
func (f remoteFile) Fd() uintptr                             { return vfs.InvalidFd }
