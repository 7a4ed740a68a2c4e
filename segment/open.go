package segment

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/klauspost/compress/zstd"
	"github.com/wormstore/wormstore/internal/fsx"
)

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
	return s.recoverSegment(id, path, h)
}

// recoverSegment seals an unsealed segment left by a crash. It finds the
// longest prefix of complete, checksum-valid frames. If that is the whole
// file, it syncs the file and appends the footer in place. Otherwise (a torn
// tail) it syncs the file, truncates it in place to the valid prefix
// (fsx.Truncate), writes the footer at the new end and syncs again, so
// recovery needs no free space. Only where the file cannot be truncated in
// place (vfs.MemFS) does it fall back to copying the prefix (rewritePrefix),
// and it logs that.
func (s *Store) recoverSegment(id uint64, path string, h fileHeader) (*segment, error) {
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
	ft, reason, err := scanFrames(src, size, h.blockSize)
	if err != nil {
		return nil, fmt.Errorf("segment %016x: recover: %w", id, err)
	}
	method := "in place"
	if ft.dataEnd == size {
		err = s.sealInPlace(path, ft, id, false)
	} else {
		err = s.sealInPlace(path, ft, id, true)
		if errors.Is(err, fsx.ErrTruncateUnsupported) {
			s.log.Warn("segment: cannot truncate in place; copying the valid prefix (needs free space for it)",
				"segment", id, "valid_length", ft.dataEnd)
			method = "copy"
			err = s.rewritePrefix(src, path, ft, id)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("segment %016x: recover: %w", id, err)
	}
	if dropped := size - ft.dataEnd; dropped > 0 {
		s.log.Warn("segment: truncated torn tail and sealed segment",
			"segment", id, "offset", ft.dataEnd, "valid_length", ft.dataEnd, "dropped_bytes", dropped,
			"reason", reason, "method", method)
	} else {
		s.log.Info("segment: sealed unsealed segment", "segment", id, "valid_length", ft.dataEnd)
	}
	seg := newSegment(id, path, h.blockSize)
	seg.size.Store(ft.dataEnd)
	seg.blocks.Store(ft.blocks)
	seg.raw.Store(ft.rawBytes)
	seg.sealed = true
	seg.synced = ft.dataEnd
	return seg, nil
}

// scanFrames walks the frames of an unsealed segment of size bytes and
// returns the footer for its valid prefix, which ends at the first
// incomplete, impossible or checksum-failing frame (reason says which).
// Errors are I/O errors.
func scanFrames(src vfs.File, size int64, blockSize uint32) (ft footer, reason string, err error) {
	off := int64(headerSize)
	buf := make([]byte, frameHeaderSize, 4096)
	for off < size {
		if size-off < frameHeaderSize {
			reason = "incomplete frame header"
			break
		}
		if err := readFull(src, buf[:frameHeaderSize], off); err != nil {
			return ft, "", err
		}
		fh, err := decodeFrameHeader(buf[:frameHeaderSize], blockSize)
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
			return ft, "", err
		}
		if err := verifyFrame(fh, frame); err != nil {
			reason = err.Error()
			break
		}
		off += fh.size()
		ft.blocks++
		ft.rawBytes += int64(fh.rawLen)
	}
	ft.dataEnd = off
	return ft, reason, nil
}

// sealInPlace seals a segment at its valid prefix ft.dataEnd: sync the
// file (the frames may only be in the page cache after a process crash),
// with cut truncate it to ft.dataEnd, write the footer at ft.dataEnd, sync
// again. A crash at any point leaves a file that Open recovers to the same
// prefix: the old file; the prefix alone (unsealed, sealed in place next
// time); the prefix, footer and the rest of the old tail (footer bytes
// never parse as a frame, its flags byte 'W' is invalid, so the prefix
// still ends at ft.dataEnd); or the sealed segment. A valid footer implies
// durable frames because the first sync precedes it. Without a way to
// truncate in place it returns an error wrapping fsx.ErrTruncateUnsupported
// before modifying anything.
func (s *Store) sealInPlace(path string, ft footer, id uint64, cut bool) error {
	f, err := s.fs.OpenReadWrite(path, vfs.WriteCategoryUnspecified)
	if err != nil {
		return err
	}
	if cut && !fsx.CanTruncate(f) {
		_ = f.Close()
		return fsx.ErrTruncateUnsupported
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return err
	}
	if cut {
		if err := fsx.Truncate(f, ft.dataEnd); err != nil {
			_ = f.Close()
			return err
		}
	}
	if _, err := f.WriteAt(ft.encode(id), ft.dataEnd); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

// rewritePrefix is the fallback for a file that cannot be truncated in
// place; it needs free space for the whole prefix. It
// copies [0, ft.dataEnd) of src to path.tmp, appends the footer, syncs, and
// renames the copy over path.
func (s *Store) rewritePrefix(src vfs.File, path string, ft footer, id uint64) error {
	tmpPath := path + tmpSuffix
	dst, err := s.fs.Create(tmpPath, vfs.WriteCategoryUnspecified)
	if err != nil {
		return err
	}
	fail := func(err error) error {
		_ = dst.Close()
		_ = s.fs.Remove(tmpPath)
		return err
	}
	buf := make([]byte, min(ft.dataEnd, 1<<20))
	for off := int64(0); off < ft.dataEnd; {
		n := min(int64(len(buf)), ft.dataEnd-off)
		if err := readFull(src, buf[:n], off); err != nil {
			return fail(err)
		}
		if _, err := dst.Write(buf[:n]); err != nil {
			return fail(err)
		}
		off += n
	}
	if _, err := dst.Write(ft.encode(id)); err != nil {
		return fail(err)
	}
	if err := dst.Sync(); err != nil {
		return fail(err)
	}
	if err := dst.Close(); err != nil {
		_ = s.fs.Remove(tmpPath)
		return err
	}
	if err := s.fs.Rename(tmpPath, path); err != nil {
		_ = s.fs.Remove(tmpPath)
		return err
	}
	return s.syncDir()
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
