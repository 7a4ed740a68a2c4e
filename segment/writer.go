package segment

// NewWriter starts writing one object's data. Many Writers may be used
// concurrently; a single Writer is not safe for concurrent use. Each
// complete block becomes one frame appended to the active segment under a
// mutex; consecutive frames of one Writer that land adjacent are coalesced
// into one Extent, otherwise (another Writer appended in between, or the
// segment was sealed mid-object) a new Extent starts.
func (s *Store) NewWriter() *Writer { return &Writer{s: s} }

// Writer buffers an object's data into blocks and appends them as frames.
// Finish or Abort must be called to release its buffer.
type Writer struct {
	s *Store
	// buf holds the pending block's raw bytes at
	// buf[frameHeaderSize:frameHeaderSize+n], so an uncompressed frame is
	// written from buf without copying. Pooled; nil until the first Write.
	buf  *[]byte
	n    int
	exts []Extent
	err  error // sticky
	done bool
	// misses counts consecutive blocks that did not compress; after
	// skipAfterMisses of them only every probeEvery-th block is tried, so
	// already-compressed archives do not pay zstd on every block.
	misses int
	blocks int
}

const (
	skipAfterMisses = 2
	probeEvery      = 8
	// storeSkipAfterMisses: after this many consecutive failed attempts
	// in the whole store, a writer's first block (all of a small object)
	// is only tried every probeEvery-th time, so a stream of small
	// incompressible objects (encrypted or compressed backups) does not
	// pay zstd on every put. One block that compresses resets it.
	storeSkipAfterMisses = 16
)

// Write buffers p, appending a frame each time BlockSize bytes are pending.
// It does not retain p. After an error the Writer is failed: every later
// call returns that error, and the object must be abandoned (Abort).
func (w *Writer) Write(p []byte) (int, error) {
	if w.done {
		return 0, ErrFinished
	}
	if w.err != nil {
		return 0, w.err
	}
	bs := w.s.opts.BlockSize
	written := 0
	for len(p) > 0 {
		if w.buf == nil {
			w.buf = w.s.getBuf()
		}
		c := copy((*w.buf)[frameHeaderSize+w.n:frameHeaderSize+bs], p)
		w.n += c
		p = p[c:]
		written += c
		if w.n == bs {
			if err := w.flush(); err != nil {
				return written, err
			}
		}
	}
	return written, nil
}

// flush appends the pending block as one frame.
func (w *Writer) flush() error {
	zb := w.s.getBuf()
	try := w.misses < skipAfterMisses || w.blocks%probeEvery == 0
	if try && w.blocks == 0 && w.s.zMisses.Load() >= storeSkipAfterMisses {
		try = w.s.zProbes.Add(1)%probeEvery == 0
	}
	w.blocks++
	frame := w.s.buildFrame((*w.buf)[:frameHeaderSize+w.n], *zb, try)
	if try {
		if frame[0]&flagZstd != 0 {
			w.misses = 0
			w.s.zMisses.Store(0)
		} else {
			w.misses++
			w.s.zMisses.Add(1)
		}
	}
	raw := w.n
	id, off, err := w.s.appendFrame(frame, raw)
	w.s.putBuf(zb)
	w.n = 0
	if err != nil {
		w.err = err
		return err
	}
	w.exts = appendExtent(w.exts, id, off, int64(len(frame)), int64(raw))
	return nil
}

// Finish appends the last, partial block and returns the object's extents,
// in order. It does not sync: call Store.Sync. A zero-length object has nil
// extents. The Writer cannot be used afterwards.
func (w *Writer) Finish() ([]Extent, error) {
	if w.done {
		return nil, ErrFinished
	}
	defer w.release()
	if w.err != nil {
		return nil, w.err
	}
	if w.n > 0 {
		if err := w.flush(); err != nil {
			return nil, err
		}
	}
	return w.exts, nil
}

// Abort discards the object. Frames already appended become garbage, to be
// reclaimed by compaction.
func (w *Writer) Abort() {
	if !w.done {
		w.release()
	}
}

func (w *Writer) release() {
	w.done = true
	w.s.putBuf(w.buf)
	w.buf = nil
	w.n = 0
}

// buildFrame turns raw data at buf[frameHeaderSize:] into a frame. If try
// is set it compresses into zbuf (len >= frameHeaderSize) and keeps that
// when it saves at least 5%; otherwise it fills in buf's header and
// returns buf.
func (s *Store) buildFrame(buf, zbuf []byte, try bool) []byte {
	raw := buf[frameHeaderSize:]
	if try && len(raw) >= minCompressLen {
		z := s.enc.EncodeAll(raw, zbuf[:frameHeaderSize])
		if stored := len(z) - frameHeaderSize; stored*100 <= len(raw)*95 {
			putFrameHeader(z, flagZstd, len(raw))
			return z
		}
	}
	putFrameHeader(buf, 0, len(raw))
	return buf
}

// minCompressLen is the smallest block worth trying to compress: zstd's
// frame overhead makes a 5% saving impossible below it.
const minCompressLen = 64

// appendExtent adds a frame at (id, off) to exts, extending the last extent
// if the frame directly follows it in the same segment.
func appendExtent(exts []Extent, id uint64, off, n, raw int64) []Extent {
	if k := len(exts) - 1; k >= 0 && exts[k].Seg == id && exts[k].end() == off {
		exts[k].Len += n
		exts[k].RawLen += raw
		return exts
	}
	return append(exts, Extent{Seg: id, Off: off, Len: n, RawLen: raw})
}
