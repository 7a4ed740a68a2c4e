package segment

import (
	"cmp"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
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
	// err is the first write or sync failure; the segment is broken once it
	// is set. Guarded by mu.
	err error
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

// Open opens (creating if needed) the store in opts.Dir. It validates every
// sealed segment's header and footer, seals every unsealed segment left by
// a crash (truncating a torn tail), and removes leftover temporary files.
// The next write goes to a new segment.
func Open(opts Options) (*Store, error) {
	o := opts
	o.EnsureDefaults()
	if err := o.Validate(); err != nil {
		return nil, err
	}
	s := &Store{
		opts:         o,
		fs:           o.FS,
		log:          o.Logger,
		segs:         make(map[uint64]*segment),
		frameBufSize: frameHeaderSize + o.BlockSize + o.BlockSize/256 + 256,
	}
	s.bufs.New = func() any {
		b := make([]byte, s.frameBufSize)
		return &b
	}
	if err := mkdirDurable(s.fs, o.Dir); err != nil {
		return nil, err
	}
	dir, err := s.fs.OpenDir(o.Dir)
	if err != nil {
		return nil, fmt.Errorf("segment: open dir %s: %w", o.Dir, err)
	}
	s.dir = dir
	s.enc, err = zstd.NewWriter(nil,
		zstd.WithEncoderLevel(zstd.SpeedDefault),
		zstd.WithEncoderCRC(false), // frames carry their own checksum
		zstd.WithZeroFrames(true),
	)
	if err != nil {
		_ = dir.Close()
		return nil, fmt.Errorf("segment: zstd encoder: %w", err)
	}
	s.dec, err = zstd.NewReader(nil,
		zstd.WithDecoderConcurrency(0),
		zstd.WithDecoderMaxMemory(MaxBlockSize),
		zstd.WithDecodeAllCapLimit(true),
		zstd.IgnoreChecksum(true),
	)
	if err != nil {
		_ = dir.Close()
		return nil, fmt.Errorf("segment: zstd decoder: %w", err)
	}
	if err := s.load(); err != nil {
		s.closeResources()
		return nil, err
	}
	return s, nil
}

// load scans the directory at Open.
func (s *Store) load() error {
	names, err := s.fs.List(s.opts.Dir)
	if err != nil {
		return fmt.Errorf("segment: list %s: %w", s.opts.Dir, err)
	}
	slices.Sort(names)
	dirty := false
	var ids, marks []uint64
	for _, name := range names {
		if tmp, ok := strings.CutSuffix(name, tmpSuffix); ok {
			if _, ok := parseSegName(tmp); ok {
				if err := s.fs.Remove(s.fs.PathJoin(s.opts.Dir, name)); err != nil {
					return fmt.Errorf("segment: remove %s: %w", name, err)
				}
				s.log.Info("segment: removed leftover temporary file", "file", name)
				dirty = true
			}
			continue
		}
		if id, ok := parseSegName(name); ok {
			ids = append(ids, id)
		}
		if id, ok := parseIDName(name, markSuffix); ok {
			marks = append(marks, id)
		}
	}
	if dirty {
		if err := s.syncDir(); err != nil {
			return err
		}
	}
	var maxID uint64
	for _, id := range ids {
		maxID = max(maxID, id)
		seg, err := s.openSegment(id)
		if err != nil {
			return err
		}
		if seg != nil {
			s.segs[id] = seg
		}
	}
	// Markers only matter while no newer segment exists.
	var maxSeg uint64
	for _, id := range ids {
		maxSeg = max(maxSeg, id)
	}
	dirty = false
	for _, id := range marks {
		maxID = max(maxID, id)
		if id < maxSeg {
			if err := s.fs.Remove(s.fs.PathJoin(s.opts.Dir, markName(id))); err != nil {
				return fmt.Errorf("segment: remove %s: %w", markName(id), err)
			}
			dirty = true
		}
	}
	if dirty {
		if err := s.syncDir(); err != nil {
			return err
		}
	}
	s.nextID = maxID + 1
	return nil
}

// openSegment validates segment id at Open, recovering it if unsealed. It
// returns nil, nil for a file removed because it never got a durable header.
func (s *Store) openSegment(id uint64) (*segment, error) {
	path := s.fs.PathJoin(s.opts.Dir, segName(id))
	f, err := s.fs.Open(path)
	if err != nil {
		return nil, fmt.Errorf("segment %016x: open: %w", id, err)
	}
	defer func() {
		if f != nil {
			_ = f.Close()
		}
	}()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("segment %016x: stat: %w", id, err)
	}
	size := st.Size()
	hb := make([]byte, min(size, headerSize))
	if err := readFull(f, hb, 0); err != nil {
		return nil, fmt.Errorf("segment %016x: read header: %w", id, err)
	}
	if size < headerSize || allZero(hb) {
		// A file shorter than the header never had a durable header.
		// A crash between creating the file and syncing its header leaves
		// an empty or zero-filled file. No frame can have been durable in it
		// (the header is synced before the first append), so it holds
		// nothing; anything else is corruption.
		zero, err := size < headerSize, error(nil)
		if !zero {
			zero, err = fileIsZero(f, size)
		}
		if err != nil {
			return nil, fmt.Errorf("segment %016x: read: %w", id, err)
		}
		if zero {
			_ = f.Close()
			f = nil
			if err := s.fs.Remove(path); err != nil {
				return nil, fmt.Errorf("segment %016x: remove torn file: %w", id, err)
			}
			if err := s.syncDir(); err != nil {
				return nil, err
			}
			s.log.Warn("segment: removed segment without durable header", "segment", id, "size", size)
			return nil, nil
		}
	}
	h, err := decodeHeader(hb)
	if err != nil {
		return nil, fmt.Errorf("segment %016x off 0: %w: %s: %v", id, ErrCorrupt, path, err)
	}
	if h.id != id {
		return nil, fmt.Errorf("segment %016x off 0: %w: %s: header names segment %016x", id, ErrCorrupt, path, h.id)
	}
	if size >= headerSize+footerSize {
		fb := make([]byte, footerSize)
		if err := readFull(f, fb, size-footerSize); err != nil {
			return nil, fmt.Errorf("segment %016x: read footer: %w", id, err)
		}
		ft, ok := decodeFooter(fb, id)
		if !ok && looksLikeFooter(fb, size) {
			return nil, fmt.Errorf("segment %016x off %d: %w: %s: bad footer", id, size-footerSize, ErrCorrupt, path)
		}
		if ok && ft.dataEnd == size-footerSize {
			maxFrames := (ft.dataEnd - headerSize) / (frameHeaderSize + 1)
			if ft.blocks > maxFrames || ft.rawBytes > ft.blocks*int64(h.blockSize) ||
				ft.rawBytes < ft.blocks || (ft.blocks == 0) != (ft.dataEnd == headerSize) {
				return nil, fmt.Errorf("segment %016x off %d: %w: %s: footer counts impossible (blocks %d, raw bytes %d)",
					id, ft.dataEnd, ErrCorrupt, path, ft.blocks, ft.rawBytes)
			}
			seg := newSegment(id, path, h.blockSize)
			seg.size.Store(ft.dataEnd)
			seg.blocks.Store(ft.blocks)
			seg.raw.Store(ft.rawBytes)
			seg.sealed = true
			seg.synced = ft.dataEnd
			return seg, nil
		}
	}
	_ = f.Close()
	f = nil
	return s.recoverSegment(id, path, h, hb)
}

// recoverSegment seals an unsealed segment left by a crash: it copies the
// header and the valid prefix of frames to a temporary file, appends a
// footer, syncs, and renames it over the original.
func (s *Store) recoverSegment(id uint64, path string, h fileHeader, hb []byte) (*segment, error) {
	src, err := s.fs.Open(path)
	if err != nil {
		return nil, fmt.Errorf("segment %016x: open: %w", id, err)
	}
	defer func() { _ = src.Close() }()
	st, err := src.Stat()
	if err != nil {
		return nil, fmt.Errorf("segment %016x: stat: %w", id, err)
	}
	size := st.Size()
	tmpPath := path + tmpSuffix
	dst, err := s.fs.Create(tmpPath, vfs.WriteCategoryUnspecified)
	if err != nil {
		return nil, fmt.Errorf("segment %016x: recover: %w", id, err)
	}
	fail := func(err error) (*segment, error) {
		_ = dst.Close()
		_ = s.fs.Remove(tmpPath)
		return nil, fmt.Errorf("segment %016x: recover: %w", id, err)
	}
	if _, err := dst.Write(hb); err != nil {
		return fail(err)
	}
	off := int64(headerSize)
	var blocks, raw int64
	var buf []byte
	var reason string
	for {
		if off == size {
			break
		}
		if size-off < frameHeaderSize {
			reason = "incomplete frame header"
			break
		}
		if cap(buf) < frameHeaderSize {
			buf = make([]byte, frameHeaderSize, 4096)
		}
		if err := readFull(src, buf[:frameHeaderSize], off); err != nil {
			return fail(err)
		}
		fh, err := decodeFrameHeader(buf[:frameHeaderSize], h.blockSize)
		if err != nil {
			reason = err.Error()
			break
		}
		if off+fh.size() > size {
			reason = "incomplete frame"
			break
		}
		// Bounded: fh.size() <= frameHeaderSize+blockSize and <= size-off.
		frame := grow(buf, int(fh.size()))
		buf = frame
		if err := readFull(src, frame[frameHeaderSize:], off+frameHeaderSize); err != nil {
			return fail(err)
		}
		if err := verifyFrame(fh, frame); err != nil {
			reason = err.Error()
			break
		}
		if _, err := dst.Write(frame); err != nil {
			return fail(err)
		}
		off += fh.size()
		blocks++
		raw += int64(fh.rawLen)
	}
	ft := footer{dataEnd: off, blocks: blocks, rawBytes: raw}
	if _, err := dst.Write(ft.encode(id)); err != nil {
		return fail(err)
	}
	if err := dst.Sync(); err != nil {
		return fail(err)
	}
	if err := dst.Close(); err != nil {
		_ = s.fs.Remove(tmpPath)
		return nil, fmt.Errorf("segment %016x: recover: %w", id, err)
	}
	if err := s.fs.Rename(tmpPath, path); err != nil {
		_ = s.fs.Remove(tmpPath)
		return nil, fmt.Errorf("segment %016x: recover: %w", id, err)
	}
	if err := s.syncDir(); err != nil {
		return nil, err
	}
	if dropped := size - off; dropped > 0 {
		s.log.Warn("segment: truncated torn tail and sealed segment",
			"segment", id, "offset", off, "valid_length", off, "dropped_bytes", dropped, "reason", reason)
	} else {
		s.log.Info("segment: sealed unsealed segment", "segment", id, "valid_length", off)
	}
	seg := newSegment(id, path, h.blockSize)
	seg.size.Store(off)
	seg.blocks.Store(blocks)
	seg.raw.Store(raw)
	seg.sealed = true
	seg.synced = off
	return seg, nil
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

// mkdirDurable creates dir and any missing parents, syncing the parent of
// each directory it creates so the new entries survive a crash.
func mkdirDurable(fs vfs.FS, dir string) error {
	var created []string
	for p := dir; ; {
		if _, err := fs.Stat(p); err == nil {
			break
		}
		created = append(created, p)
		parent := fs.PathDir(p)
		if parent == p {
			break
		}
		p = parent
	}
	if len(created) == 0 {
		return nil
	}
	if err := fs.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("segment: create dir %s: %w", dir, err)
	}
	for _, p := range created {
		parent := fs.PathDir(p)
		if parent == p {
			continue
		}
		d, err := fs.OpenDir(parent)
		if err != nil {
			return fmt.Errorf("segment: sync dir %s: %w", parent, err)
		}
		err = d.Sync()
		if cerr := d.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("segment: sync dir %s: %w", parent, err)
		}
	}
	return nil
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
	removed, closed := seg.removed, s.closed.Load()
	s.mu.Unlock()
	if !last {
		return
	}
	switch {
	case removed:
		if err := s.deleteFile(seg); err != nil {
			s.log.Error("segment: deferred remove failed", "segment", seg.id, "err", err)
		}
	case closed:
		seg.closeFiles()
	}
}

// readHandle returns seg's shared read handle, opening it if needed.
func (s *Store) readHandle(seg *segment) (vfs.File, error) {
	seg.mu.Lock()
	defer seg.mu.Unlock()
	if seg.rf == nil {
		f, err := s.fs.Open(seg.path)
		if err != nil {
			return nil, fmt.Errorf("segment %016x: open: %w", seg.id, err)
		}
		seg.rf = f
	}
	return seg.rf, nil
}

// Remove deletes a segment that is not active (compaction). If readers
// still pin it, the file is deleted when the last one closes; either way
// the segment is forgotten at once (later lookups return ErrNotFound).
// Deleting syncs the directory.
func (s *Store) Remove(id uint64) error {
	s.mu.Lock()
	if s.closed.Load() {
		s.mu.Unlock()
		return ErrClosed
	}
	seg := s.segs[id]
	switch {
	case seg == nil:
		s.mu.Unlock()
		return fmt.Errorf("segment %016x: %w", id, ErrNotFound)
	case seg == s.active:
		s.mu.Unlock()
		return fmt.Errorf("segment %016x: remove: %w", id, ErrActive)
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
	}
	if err := s.fs.Remove(seg.path); err != nil {
		return fmt.Errorf("segment %016x: remove: %w", seg.id, err)
	}
	return s.syncDir()
}

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
		return s.failLocked(seg, end, err)
	}
	seg.mu.Lock()
	seg.synced = max(seg.synced, end)
	seg.mu.Unlock()
	ft := footer{dataEnd: end, blocks: seg.blocks.Load(), rawBytes: seg.raw.Load()}
	if _, err := seg.wf.Write(ft.encode(seg.id)); err != nil {
		return s.failLocked(seg, end, err)
	}
	if err := seg.wf.Sync(); err != nil {
		return s.failLocked(seg, end, err)
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

// failLocked marks seg broken after a failed write or sync at off, retires
// it and returns the error to report. appendMu must be held.
func (s *Store) failLocked(seg *segment, off int64, err error) error {
	seg.markFailed(err)
	s.log.Error("segment: write failed; segment sealed off", "segment", seg.id, "offset", off, "err", err)
	s.retireLocked(seg)
	return fmt.Errorf("segment %016x off %d: %w: %w", seg.id, off, ErrBroken, err)
}

func (seg *segment) markFailed(err error) {
	seg.mu.Lock()
	defer seg.mu.Unlock()
	if seg.err == nil {
		seg.err = err
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
		return 0, 0, s.failLocked(seg, off, err)
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

// Sync makes every extent durable. Concurrent callers share one fsync of
// the active segment (group commit); extents in sealed segments are already
// durable. It returns only after the data is on stable storage, or an error
// (wrapping ErrBroken and the I/O error if a write or sync of the segment
// failed before the extent became durable).
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
		if seg.err != nil {
			return failed, fmt.Errorf("segment %016x off %d: %w: %w", seg.id, seg.synced, ErrBroken, seg.err)
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
			if seg.err == nil {
				seg.err = serr
				failed = true
			}
		} else {
			seg.synced = max(seg.synced, target)
		}
		seg.cond.Broadcast()
	}
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
