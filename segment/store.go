package segment

import (
	"cmp"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/klauspost/compress/zstd"
)

// Extent is a run of consecutive block frames in one segment.
type Extent struct {
	Seg    uint64 // segment id
	Off    int64  // file offset of the first block frame
	Len    int64  // stored bytes (sum of frame sizes incl. frame headers)
	RawLen int64  // uncompressed bytes
}

// end returns the file offset just past the extent.
func (e Extent) end() int64 { return e.Off + e.Len }

// valid reports whether e is structurally possible. It does not look at disk.
func (e Extent) valid() bool {
	return e.Off >= headerSize && e.Len > frameHeaderSize && e.RawLen > 0 && e.end() > e.Off
}

// Info describes one segment.
type Info struct {
	ID       uint64
	Size     int64 // file size in bytes (header, frames and, if sealed, footer)
	Sealed   bool
	Blocks   int64 // number of block frames
	RawBytes int64 // sum of the frames' raw lengths
	// Broken reports a segment sealed off after a failed write or sync: it
	// is neither active nor sealed on disk, receives no further writes, and
	// is sealed (torn tail truncated) by the next Open.
	Broken bool
	// Remote reports a sealed segment read from a remote tier; it has no
	// local file (see AttachRemote).
	Remote bool
}

// segment is the in-memory state of one segment file.
type segment struct {
	id        uint64
	path      string
	blockSize uint32 // from the header: largest raw length of any frame

	// size is the data end: header plus every completely appended frame.
	// It only grows, and is updated under Store.appendMu after a successful
	// write, so size bytes are always fully written.
	size   atomic.Int64
	blocks atomic.Int64
	raw    atomic.Int64

	// wf is the write handle of the active segment; used only under
	// Store.appendMu, nil once the segment is sealed or broken.
	wf vfs.File

	mu   sync.Mutex
	cond sync.Cond // signals the end of a group-commit sync; uses mu
	// sealed is set once the footer is durable. Guarded by mu.
	sealed bool
	// err is the first write or sync failure; the segment is broken (gets
	// no more appends) once it is set. Guarded by mu.
	err error
	// syncErr is the first sync failure. After it nothing beyond synced can
	// be trusted to become durable (the kernel may have dropped the dirty
	// pages), so Sync fails for it. After a write failure alone, the frames
	// below size are intact and Sync still makes them durable. Guarded by mu.
	syncErr error
	// synced is the length known durable. Guarded by mu.
	synced int64
	// syncing is set while a group-commit sync runs. Guarded by mu.
	syncing bool
	// rf is the shared read handle (ReadAt is safe for concurrent use),
	// also used for group-commit syncs so they never race writes on wf.
	// Opened lazily. Guarded by mu.
	rf vfs.File

	// pins counts readers and syncs using rf. Guarded by Store.mu.
	pins int
	// removed is set by Remove; the file is deleted when pins drops to 0.
	// Guarded by Store.mu.
	removed bool
	// newest is set by Remove if no segment with a higher id remained;
	// deleting the file then leaves a marker keeping the id from reuse.
	// Guarded by Store.mu.
	newest bool

	// remote, once set, serves the segment's bytes instead of its local
	// file (remote.go). Guarded by mu.
	remote RemoteSource
	// stale is set by ReleaseLocal while readers still use the local file
	// staleFile; it is deleted when the last one closes. Guarded by
	// Store.mu.
	stale     bool
	staleFile vfs.File
}

func newSegment(id uint64, path string, blockSize uint32) *segment {
	seg := &segment{id: id, path: path, blockSize: blockSize}
	seg.cond.L = &seg.mu
	return seg
}

// state returns the sealed flag and failure of seg.
func (seg *segment) state() (sealed bool, err error) {
	seg.mu.Lock()
	defer seg.mu.Unlock()
	return seg.sealed, seg.err
}

func (seg *segment) info() Info {
	sealed, err := seg.state()
	size := seg.size.Load()
	if sealed {
		size += footerSize
	}
	return Info{
		ID:       seg.id,
		Size:     size,
		Sealed:   sealed,
		Blocks:   seg.blocks.Load(),
		RawBytes: seg.raw.Load(),
		Broken:   err != nil,
		Remote:   seg.isRemote(),
	}
}

// Store is a directory of segment files. All methods are safe for
// concurrent use.
type Store struct {
	opts Options
	fs   vfs.FS
	log  *slog.Logger
	enc  *zstd.Encoder // EncodeAll is safe for concurrent use
	dec  *zstd.Decoder // DecodeAll is safe for concurrent use
	bufs sync.Pool     // *[]byte of len frameBufSize

	// zMisses counts consecutive compression attempts, across writers,
	// that did not pay; zProbes numbers the first blocks tried while it is
	// at least storeSkipAfterMisses (see Writer.flush).
	zMisses atomic.Int64
	zProbes atomic.Uint64

	// frameBufSize fits a frame of BlockSize raw bytes, compressed or not.
	frameBufSize int

	// appendMu serializes appends, seals and segment creation, and guards
	// every use of an active segment's write handle.
	appendMu sync.Mutex
	// nextID is the id of the next segment to create. Guarded by appendMu.
	nextID uint64

	mu sync.Mutex
	// segs holds every known, not removed segment. Guarded by mu.
	segs map[uint64]*segment
	// active is the segment appended to, or nil. Guarded by mu for reads;
	// writers hold both appendMu and mu.
	active *segment
	// closed is set under appendMu and mu.
	closed atomic.Bool

	dirMu sync.Mutex
	dir   vfs.File // guarded by dirMu
}

// Close seals the active segment and releases the store's files. Readers
// still open keep their segments' files open until they are closed, but
// return ErrClosed from Read; Writers return ErrClosed. Close is idempotent.
func (s *Store) Close() error {
	s.appendMu.Lock()
	if s.closed.Load() {
		s.appendMu.Unlock()
		return nil
	}
	err := s.sealLocked()
	s.mu.Lock()
	s.closed.Store(true)
	var unpinned []*segment
	for _, seg := range s.segs {
		if seg.pins == 0 {
			unpinned = append(unpinned, seg)
		}
	}
	s.mu.Unlock()
	s.appendMu.Unlock()
	for _, seg := range unpinned {
		seg.closeFiles()
	}
	s.closeResources()
	return err
}

// closeResources closes the directory handle. The zstd coders are left to
// the garbage collector: used only through EncodeAll/DecodeAll they hold
// memory but no goroutines, and Writers or Readers racing with Close may
// still be inside them (closing a Decoder under a DecodeAll panics).
func (s *Store) closeResources() {
	s.dirMu.Lock()
	if s.dir != nil {
		_ = s.dir.Close()
		s.dir = nil
	}
	s.dirMu.Unlock()
}

func (seg *segment) closeFiles() {
	seg.mu.Lock()
	defer seg.mu.Unlock()
	if seg.rf != nil {
		_ = seg.rf.Close()
		seg.rf = nil
	}
}

// syncDir syncs the store directory, making creations, renames and
// removals durable.
func (s *Store) syncDir() error {
	s.dirMu.Lock()
	defer s.dirMu.Unlock()
	if s.dir == nil {
		return ErrClosed
	}
	if err := s.dir.Sync(); err != nil {
		return fmt.Errorf("segment: sync dir %s: %w", s.opts.Dir, err)
	}
	return nil
}

// Segments returns every segment, sorted by ID, including the active one.
func (s *Store) Segments() []Info {
	s.mu.Lock()
	segs := make([]*segment, 0, len(s.segs))
	for _, seg := range s.segs {
		segs = append(segs, seg)
	}
	s.mu.Unlock()
	infos := make([]Info, len(segs))
	for i, seg := range segs {
		infos[i] = seg.info()
	}
	slices.SortFunc(infos, func(a, b Info) int { return cmp.Compare(a.ID, b.ID) })
	return infos
}

// ActiveID returns the id of the active segment, or 0 if there is none
// (before the first write after Open or a seal).
func (s *Store) ActiveID() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.active == nil {
		return 0
	}
	return s.active.id
}

// acquire pins segment id so its read handle stays open.
func (s *Store) acquire(id uint64) (*segment, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed.Load() {
		return nil, ErrClosed
	}
	seg := s.segs[id]
	if seg == nil {
		return nil, fmt.Errorf("segment %016x: %w", id, ErrNotFound)
	}
	seg.pins++
	return seg, nil
}

// release unpins seg, deleting it if it was removed meanwhile or closing
// its files if the store was closed.
func (s *Store) release(seg *segment) {
	s.mu.Lock()
	seg.pins--
	last := seg.pins == 0
	removed, closed, stale := seg.removed, s.closed.Load(), seg.stale
	s.mu.Unlock()
	if !last {
		return
	}
	if stale && !closed {
		if err := s.dropLocal(seg); err != nil {
			s.log.Error("segment: deferred release of local file failed", "segment", seg.id, "err", err)
		}
	}
	switch {
	case removed:
		if err := s.deleteFile(seg); err != nil {
			s.log.Error("segment: deferred remove failed", "segment", seg.id, "err", err)
		}
	case closed:
		seg.closeFiles()
		s.mu.Lock()
		f := seg.staleFile // a released local file: the engine's next open releases it again
		seg.staleFile, seg.stale = nil, false
		s.mu.Unlock()
		if f != nil {
			_ = f.Close()
		}
	}
}

// readHandle returns seg's shared read handle, opening it if needed.
func (s *Store) readHandle(seg *segment) (vfs.File, error) {
	seg.mu.Lock()
	defer seg.mu.Unlock()
	if seg.rf == nil && seg.remote != nil {
		seg.rf = remoteFile{seg.remote}
	}
	if seg.rf == nil {
		f, err := s.fs.Open(seg.path)
		if err != nil {
			return nil, fmt.Errorf("segment %016x: open: %w", seg.id, err)
		}
		seg.rf = f
	}
	return seg.rf, nil
}

// inactiveLocked returns segment id for an operation (verb) that must not
// act on the active segment; s.mu must be held.
func (s *Store) inactiveLocked(id uint64, verb string) (*segment, error) {
	if s.closed.Load() {
		return nil, ErrClosed
	}
	seg := s.segs[id]
	switch {
	case seg == nil:
		return nil, fmt.Errorf("segment %016x: %w", id, ErrNotFound)
	case seg == s.active:
		return nil, fmt.Errorf("segment %016x: %s: %w", id, verb, ErrActive)
	}
	return seg, nil
}

// Remove deletes a segment that is not active (compaction). If readers
// still pin it, the file is deleted when the last one closes; either way
// the segment is forgotten at once (later lookups return ErrNotFound).
// Deleting syncs the directory.
func (s *Store) Remove(id uint64) error {
	s.mu.Lock()
	seg, err := s.inactiveLocked(id, "remove")
	if err != nil {
		s.mu.Unlock()
		return err
	}
	delete(s.segs, id)
	seg.removed = true
	now := seg.pins == 0
	seg.newest = true
	for other := range s.segs {
		if other > id {
			seg.newest = false
			break
		}
	}
	s.mu.Unlock()
	if !now {
		s.log.Debug("segment: remove deferred until readers close", "segment", id)
		return nil
	}
	return s.deleteFile(seg)
}

func (s *Store) deleteFile(seg *segment) error {
	seg.closeFiles()
	if seg.newest {
		// Without this marker, Open would derive the next id from the
		// remaining segments and reuse this one.
		f, err := s.fs.Create(s.fs.PathJoin(s.opts.Dir, markName(seg.id)), vfs.WriteCategoryUnspecified)
		if err != nil {
			return fmt.Errorf("segment %016x: remove: create marker: %w", seg.id, err)
		}
		if err := f.Close(); err != nil {
			return fmt.Errorf("segment %016x: remove: create marker: %w", seg.id, err)
		}
		// The marker must be durable before the segment can disappear.
		if err := s.syncDir(); err != nil {
			return err
		}
	}
	if err := s.fs.Remove(seg.path); err != nil {
		return fmt.Errorf("segment %016x: remove: %w", seg.id, err)
	}
	return s.syncDir()
}

// readFull reads len(b) bytes at off, treating a short read as an error.
func readFull(f vfs.File, b []byte, off int64) error {
	n, err := f.ReadAt(b, off)
	if n == len(b) {
		return nil
	}
	if err == nil || err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return err
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// fileIsZero reports whether the first size bytes of f are all zero.
func fileIsZero(f vfs.File, size int64) (bool, error) {
	buf := make([]byte, 64<<10)
	for off := int64(0); off < size; {
		n := int(min(int64(len(buf)), size-off))
		if err := readFull(f, buf[:n], off); err != nil {
			return false, err
		}
		if !allZero(buf[:n]) {
			return false, nil
		}
		off += int64(n)
	}
	return true, nil
}

// grow returns b resized to n bytes, reallocating if needed.
func grow(b []byte, n int) []byte {
	if cap(b) >= n {
		return b[:n]
	}
	nb := make([]byte, n)
	copy(nb, b)
	return nb
}

// getBuf returns a pooled buffer of frameBufSize bytes.
func (s *Store) getBuf() *[]byte { return s.bufs.Get().(*[]byte) }

func (s *Store) putBuf(b *[]byte) {
	if b != nil && cap(*b) == s.frameBufSize {
		*b = (*b)[:s.frameBufSize]
		s.bufs.Put(b)
	}
}

// corrupt wraps ErrCorrupt with the segment and file offset of the problem.
func corrupt(id uint64, off int64, detail error) error {
	return fmt.Errorf("segment %016x off %d: %w: %w", id, off, ErrCorrupt, detail)
}
