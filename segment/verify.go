package segment

import (
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// Verify re-reads every block frame of segment id, checking checksums and
// that compressed frames decode to their raw length, and, if the segment is
// sealed, the footer's counts. It reports every problem found (joined; each
// wraps ErrCorrupt with its file offset, or is an I/O error). A frame with
// a bad checksum is skipped; a frame header with impossible lengths ends
// the walk, as later frame boundaries are unknown. fn, if not nil, is
// called in order for each valid frame with its file offset, stored length
// (header included) and raw length, so callers can check that extents
// start and end on frame boundaries.
func (s *Store) Verify(id uint64, fn func(off, storedLen, rawLen int64)) error {
	seg, err := s.acquire(id)
	if err != nil {
		return err
	}
	defer s.release(seg)
	f, err := s.readHandle(seg)
	if err != nil {
		return err
	}
	return s.verifySegment(seg, f, fn)
}

// verifySegment is Verify of seg read through f.
func (s *Store) verifySegment(seg *segment, f vfs.File, fn func(off, storedLen, rawLen int64)) error {
	id := seg.id
	sealed, _ := seg.state()
	end := seg.size.Load()

	var errs []error
	hb := make([]byte, headerSize)
	if err := readAt(f, seg, hb, 0); err != nil {
		return err
	}
	if h, err := decodeHeader(hb); err != nil {
		return corrupt(id, 0, err)
	} else if h.id != id || h.blockSize != seg.blockSize {
		return corrupt(id, 0, fmt.Errorf("header names segment %016x block size %d", h.id, h.blockSize))
	}

	buf := make([]byte, frameHeaderSize, frameHeaderSize+4096)
	var rbuf []byte
	var blocks, raw int64
	walked := true
	for off := int64(headerSize); off < end; {
		fh, err := readFrameHeader(f, seg, off, end, buf[:frameHeaderSize])
		if err != nil {
			// Later frame boundaries are unknown: the walk cannot go on.
			errs = append(errs, err)
			walked = false
			break
		}
		frame, err := readFramePayload(f, seg, off, fh, buf)
		buf = frame[:cap(frame)]
		if err != nil {
			errs = append(errs, err)
			if !errors.Is(err, ErrCorrupt) {
				walked = false
				break
			}
			off += fh.size()
			continue
		}
		if _, rbuf, err = s.decodeFrame(seg, off, fh, frame, rbuf); err != nil {
			errs = append(errs, err)
		} else {
			blocks++
			raw += int64(fh.rawLen)
			if fn != nil {
				fn(off, fh.size(), int64(fh.rawLen))
			}
		}
		off += fh.size()
	}
	if sealed {
		fb := make([]byte, footerSize)
		if err := readAt(f, seg, fb, end); err != nil {
			errs = append(errs, err)
		} else if ft, ok := decodeFooter(fb, id); !ok {
			errs = append(errs, corrupt(id, end, errors.New("bad footer")))
		} else if ft.dataEnd != end {
			errs = append(errs, corrupt(id, end, fmt.Errorf("footer data end %d, want %d", ft.dataEnd, end)))
		} else if walked && len(errs) == 0 && (ft.blocks != blocks || ft.rawBytes != raw) {
			errs = append(errs, corrupt(id, end, fmt.Errorf("footer counts %d blocks / %d raw bytes, frames hold %d / %d",
				ft.blocks, ft.rawBytes, blocks, raw)))
		}
	}
	return errors.Join(errs...)
}
