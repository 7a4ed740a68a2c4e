package segment

import "fmt"

// CopyExtent appends the stored frames of ext verbatim (no recompression)
// to the active segment, verifying each frame's checksum while copying; it
// is used by compaction. It returns several extents if the active segment
// is sealed midway (or other appends interleave). It does not sync: call
// Sync. A corrupt source frame stops the copy with ErrCorrupt; frames
// already copied become garbage.
func (s *Store) CopyExtent(ext Extent) ([]Extent, error) {
	if !ext.valid() {
		return nil, fmt.Errorf("segment %016x off %d: %w: extent %+v", ext.Seg, ext.Off, ErrInvalidRange, ext)
	}
	seg, err := s.acquire(ext.Seg)
	if err != nil {
		return nil, err
	}
	defer s.release(seg)
	if end := seg.size.Load(); ext.end() > end {
		return nil, corrupt(ext.Seg, ext.Off, fmt.Errorf("extent end %d beyond segment data end %d", ext.end(), end))
	}
	f, err := s.readHandle(seg)
	if err != nil {
		return nil, err
	}
	bp := s.getBuf()
	defer s.putBuf(bp)
	buf := *bp
	var out []Extent
	var raw int64
	for off := ext.Off; off < ext.end(); {
		fh, frame, err := readFrame(f, seg, off, ext.end(), buf)
		if err != nil {
			return nil, err
		}
		buf = frame[:cap(frame)]
		// appendFrame may scribble on frame (vfs.File.Write may); it is
		// re-read on the next iteration.
		id, newOff, err := s.appendFrame(frame, int(fh.rawLen))
		if err != nil {
			return nil, err
		}
		out = appendExtent(out, id, newOff, fh.size(), int64(fh.rawLen))
		off += fh.size()
		raw += int64(fh.rawLen)
	}
	if raw != ext.RawLen {
		return nil, corrupt(ext.Seg, ext.Off, fmt.Errorf("extent raw length %d, frames hold %d", ext.RawLen, raw))
	}
	return out, nil
}
