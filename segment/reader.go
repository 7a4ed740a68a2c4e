package segment

import (
	"errors"
	"fmt"
	"io"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/klauspost/compress/zstd"
)

// NewReader returns the raw bytes [off, off+n) of the object made of exts
// (raw offsets across the concatenated extents). It reads and decompresses
// only the blocks it touches and verifies every block's checksum; a mismatch
// returns an error wrapping ErrCorrupt that names the segment id and file
// offset, and no data from that block. The reader pins the segments it uses
// (see Remove) until Close. A reader is not safe for concurrent use.
func (s *Store) NewReader(exts []Extent, off, n int64) (io.ReadCloser, error) {
	var total int64
	for _, e := range exts {
		if !e.valid() {
			return nil, fmt.Errorf("segment %016x off %d: %w: extent %+v", e.Seg, e.Off, ErrInvalidRange, e)
		}
		total += e.RawLen
	}
	if off < 0 || n < 0 || off > total || n > total-off {
		return nil, fmt.Errorf("%w: [%d, %d+%d) of %d bytes", ErrInvalidRange, off, off, n, total)
	}
	r := &reader{s: s, left: n, i: -1}
	if n > 0 {
		var pos int64
		for _, e := range exts {
			if pos >= off+n {
				break
			}
			if pos+e.RawLen > off {
				if len(r.exts) == 0 {
					r.skip = off - pos
				}
				r.exts = append(r.exts, e)
			}
			pos += e.RawLen
		}
	}
	r.segs = make([]*segment, len(r.exts))
	r.files = make([]vfs.File, len(r.exts))
	for i, e := range r.exts {
		seg := r.pinned(e.Seg)
		if seg == nil {
			var err error
			if seg, err = s.acquire(e.Seg); err != nil {
				r.unpin()
				return nil, err
			}
			r.pins = append(r.pins, seg)
		}
		if end := seg.size.Load(); e.end() > end {
			r.unpin()
			return nil, corrupt(e.Seg, e.Off, fmt.Errorf("extent end %d beyond segment data end %d", e.end(), end))
		}
		f, err := s.readHandle(seg)
		if err != nil {
			r.unpin()
			return nil, err
		}
		r.segs[i], r.files[i] = seg, f
	}
	return r, nil
}

// reader reads a raw byte range of an object; see NewReader.
type reader struct {
	s     *Store
	exts  []Extent   // the extents the range touches, in order
	segs  []*segment // segment of each extent
	files []vfs.File // read handle of each extent's segment
	pins  []*segment // distinct pinned segments

	i       int    // current extent; -1 before the first
	fOff    int64  // file offset of the next frame in exts[i]
	rawLeft int64  // raw bytes of exts[i] not yet walked
	skip    int64  // raw bytes still to skip before the range starts
	left    int64  // bytes of the range not yet returned
	block   []byte // decoded bytes ready to return

	fbuf    []byte  // frame buffer
	rbuf    []byte  // decompression buffer
	pooled  *[]byte // pooled buffer backing fbuf, returned on Close
	pooledR *[]byte
	err     error
	closed  bool
}

func (r *reader) pinned(id uint64) *segment {
	for _, seg := range r.pins {
		if seg.id == id {
			return seg
		}
	}
	return nil
}

func (r *reader) unpin() {
	for _, seg := range r.pins {
		r.s.release(seg)
	}
	r.pins = nil
}

// Read implements io.Reader.
func (r *reader) Read(p []byte) (int, error) {
	switch {
	case r.closed:
		return 0, ErrClosed
	case r.err != nil:
		return 0, r.err
	case r.left == 0:
		return 0, io.EOF
	case len(p) == 0:
		return 0, nil
	case r.s.closed.Load():
		return 0, ErrClosed
	}
	for len(r.block) == 0 {
		if err := r.next(); err != nil {
			r.err = err
			return 0, err
		}
	}
	k := copy(p[:min(int64(len(p)), r.left)], r.block)
	r.block = r.block[k:]
	r.left -= int64(k)
	return k, nil
}

// WriteTo implements io.WriterTo, so io.Copy hands decoded blocks to w
// without an intermediate buffer.
func (r *reader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for {
		switch {
		case r.closed:
			return total, ErrClosed
		case r.err != nil:
			return total, r.err
		case r.left == 0:
			return total, nil
		case r.s.closed.Load():
			return total, ErrClosed
		}
		for len(r.block) == 0 {
			if err := r.next(); err != nil {
				r.err = err
				return total, err
			}
		}
		chunk := r.block[:min(int64(len(r.block)), r.left)]
		n, err := w.Write(chunk)
		r.block = r.block[n:]
		r.left -= int64(n)
		total += int64(n)
		if err != nil {
			return total, err
		}
		if n < len(chunk) {
			return total, io.ErrShortWrite
		}
	}
}

// next walks to the next frame, decoding it into r.block unless the whole
// frame lies before the range.
func (r *reader) next() error {
	for r.i < 0 || r.rawLeft == 0 {
		r.i++
		if r.i >= len(r.exts) {
			return errors.New("segment: reader walked past its extents") // guarded by NewReader
		}
		e := r.exts[r.i]
		r.fOff, r.rawLeft = e.Off, e.RawLen
	}
	e, seg, f := r.exts[r.i], r.segs[r.i], r.files[r.i]
	if r.fbuf == nil {
		r.pooled = r.s.getBuf()
		r.fbuf = *r.pooled
	}
	off := r.fOff
	if r.skip > 0 {
		// Walk frame headers only, without reading payloads.
		fh, err := readFrameHeader(f, seg, off, e.end(), r.fbuf[:frameHeaderSize])
		if err != nil {
			return err
		}
		if int64(fh.rawLen) <= r.skip {
			r.skip -= int64(fh.rawLen)
			return r.advance(e, seg, off, fh)
		}
	}
	fh, frame, err := readFrame(f, seg, off, e.end(), r.fbuf)
	if err != nil {
		return err
	}
	r.fbuf = frame[:cap(frame)]
	if fh.flags&flagZstd != 0 && r.rbuf == nil {
		r.pooledR = r.s.getBuf()
		r.rbuf = *r.pooledR
	}
	data, rbuf, err := r.s.decodeFrame(seg, off, fh, frame, r.rbuf)
	if err != nil {
		return err
	}
	r.rbuf = rbuf
	if err := r.advance(e, seg, off, fh); err != nil {
		return err
	}
	r.block = data[r.skip:]
	r.skip = 0
	return nil
}

// advance moves past frame fh at off, checking it fits the extent.
func (r *reader) advance(e Extent, seg *segment, off int64, fh frameHeader) error {
	if int64(fh.rawLen) > r.rawLeft {
		return corrupt(seg.id, off, fmt.Errorf("frame raw length %d exceeds the %d left in extent at %d", fh.rawLen, r.rawLeft, e.Off))
	}
	r.fOff += fh.size()
	r.rawLeft -= int64(fh.rawLen)
	if (r.rawLeft == 0) != (r.fOff == e.end()) {
		return corrupt(seg.id, off, fmt.Errorf("extent at %d: stored length %d and raw length %d disagree with its frames", e.Off, e.Len, e.RawLen))
	}
	return nil
}

// Close releases the reader's segments and buffers. It is idempotent.
func (r *reader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	r.unpin()
	r.s.putBuf(r.pooled)
	r.s.putBuf(r.pooledR)
	r.pooled, r.pooledR, r.fbuf, r.rbuf, r.block = nil, nil, nil, nil, nil
	return nil
}

// readFrameHeader reads and decodes the header of the frame at off, which
// must end by end. hb must hold frameHeaderSize bytes.
func readFrameHeader(f vfs.File, seg *segment, off, end int64, hb []byte) (frameHeader, error) {
	if end-off < frameHeaderSize {
		return frameHeader{}, corrupt(seg.id, off, fmt.Errorf("frame header crosses extent end %d", end))
	}
	if err := readAt(f, seg, hb[:frameHeaderSize], off); err != nil {
		return frameHeader{}, err
	}
	fh, err := decodeFrameHeader(hb, seg.blockSize)
	if err != nil {
		return fh, corrupt(seg.id, off, err)
	}
	if off+fh.size() > end {
		return fh, corrupt(seg.id, off, fmt.Errorf("frame of %d bytes crosses extent end %d", fh.size(), end))
	}
	return fh, nil
}

// readFrame reads and verifies the frame at off, which must end by end,
// into buf (reallocated if too small). The returned frame aliases buf.
func readFrame(f vfs.File, seg *segment, off, end int64, buf []byte) (frameHeader, []byte, error) {
	if n := end - off; n >= frameHeaderSize && n <= int64(cap(buf)) && n <= frameHeaderSize+int64(seg.blockSize) {
		// The rest of the extent fits one buffer and at most one frame's
		// worth of bytes: read header and payload with one pread (an
		// object of one block, the common case, costs one syscall).
		whole := buf[:n]
		if err := readAt(f, seg, whole, off); err != nil {
			return frameHeader{}, buf, err
		}
		fh, err := decodeFrameHeader(whole, seg.blockSize)
		if err != nil {
			return fh, buf, corrupt(seg.id, off, err)
		}
		if fh.size() > n {
			return fh, buf, corrupt(seg.id, off, fmt.Errorf("frame of %d bytes crosses extent end %d", fh.size(), end))
		}
		frame := whole[:fh.size()]
		if err := verifyFrame(fh, frame); err != nil {
			return fh, frame, corrupt(seg.id, off, err)
		}
		return fh, frame, nil
	}
	buf = grow(buf, frameHeaderSize)
	fh, err := readFrameHeader(f, seg, off, end, buf)
	if err != nil {
		return fh, buf, err
	}
	frame, err := readFramePayload(f, seg, off, fh, buf)
	return fh, frame, err
}

// readFramePayload reads the payload of frame fh at off after its header,
// which is in buf[:frameHeaderSize], and verifies the frame's checksum. The
// returned frame aliases buf (reallocated if too small).
func readFramePayload(f vfs.File, seg *segment, off int64, fh frameHeader, buf []byte) ([]byte, error) {
	frame := grow(buf, int(fh.size())) // <= frameHeaderSize+blockSize
	if err := readAt(f, seg, frame[frameHeaderSize:], off+frameHeaderSize); err != nil {
		return frame, err
	}
	if err := verifyFrame(fh, frame); err != nil {
		return frame, corrupt(seg.id, off, err)
	}
	return frame, nil
}

// readAt reads len(b) bytes at off; a short read means the file is
// shorter than its metadata says (ErrCorrupt), other errors are I/O errors.
func readAt(f vfs.File, seg *segment, b []byte, off int64) error {
	n, err := f.ReadAt(b, off)
	switch {
	case n == len(b):
		return nil
	case err == nil || err == io.EOF:
		return corrupt(seg.id, off, fmt.Errorf("short read: %d of %d bytes", n, len(b)))
	default:
		return fmt.Errorf("segment %016x off %d: read: %w", seg.id, off, err)
	}
}

// decodeFrame returns the raw bytes of a verified frame. Compressed frames
// decode into rbuf (reallocated if too small, returned).
func (s *Store) decodeFrame(seg *segment, off int64, fh frameHeader, frame, rbuf []byte) (data, newRbuf []byte, err error) {
	payload := frame[frameHeaderSize:]
	if fh.flags&flagZstd == 0 {
		return payload, rbuf, nil
	}
	if cap(rbuf) < int(fh.rawLen) {
		rbuf = make([]byte, fh.rawLen) // <= blockSize <= MaxBlockSize
	}
	out, err := s.dec.DecodeAll(payload, rbuf[:0:fh.rawLen])
	if err != nil {
		if errors.Is(err, zstd.ErrDecoderClosed) {
			return nil, rbuf, ErrClosed
		}
		return nil, rbuf, corrupt(seg.id, off, fmt.Errorf("zstd: %w", err))
	}
	if len(out) != int(fh.rawLen) {
		return nil, rbuf, corrupt(seg.id, off, fmt.Errorf("decoded %d bytes, want %d", len(out), fh.rawLen))
	}
	return out, rbuf[:cap(rbuf)], nil
}
