package fuzz

import (
	"io"
	"runtime"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/wormstore/wormstore/segment"
)

// FuzzSegmentReader treats its input as a segment file: it opens a store
// holding it (exercising header/footer validation and torn-tail recovery),
// verifies every segment and reads every frame Verify reports, whole and in
// part, plus one extent spanning all of them. Nothing may panic, and the
// memory allocated must stay within a bound set by MaxBlockSize and the
// input size, whatever lengths the input claims.
func FuzzSegmentReader(f *testing.F) {
	// The committed v1 segment; the testdata corpus holds variants of it
	// (unsealed, torn, damaged).
	if b, err := readFile("../segment/testdata/v1.seg"); err == nil {
		f.Add(b)
	} else {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		checkSegment(t, data)
		runtime.ReadMemStats(&after)
		// zstd encoder/decoder setup, buffers of up to MaxBlockSize per
		// frame and copies of the input; generous but finite.
		limit := uint64(64<<20 + 4*segment.MaxBlockSize + 20*len(data))
		if got := after.TotalAlloc - before.TotalAlloc; got > limit {
			t.Fatalf("allocated %d bytes for a %d-byte input, want <= %d", got, len(data), limit)
		}
	})
}

func checkSegment(t *testing.T, data []byte) {
	const dir = "segs"
	fs := vfs.NewMem()
	if err := fs.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := fs.Create(fs.PathJoin(dir, "0000000000000001.seg"), vfs.WriteCategoryUnspecified)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	s, err := segment.Open(segment.Options{FS: fs, Dir: dir, BlockSize: 256, TargetSize: 4096})
	if err != nil {
		return // rejected input: fine, as long as nothing panicked
	}
	defer func() {
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}()
	for _, info := range s.Segments() {
		if !info.Sealed {
			t.Fatalf("segment %d not sealed after Open", info.ID)
		}
		var frames []segment.Extent
		_ = s.Verify(info.ID, func(off, storedLen, rawLen int64) {
			frames = append(frames, segment.Extent{Seg: info.ID, Off: off, Len: storedLen, RawLen: rawLen})
		})
		for _, e := range frames {
			readAll(t, s, []segment.Extent{e}, 0, e.RawLen, true)
			if e.RawLen > 2 {
				readAll(t, s, []segment.Extent{e}, 1, e.RawLen-2, true)
			}
			if _, err := s.CopyExtent(e); err != nil {
				t.Fatalf("copy of verified frame %+v: %v", e, err)
			}
		}
		// One extent over every frame (valid only if the frames are
		// contiguous), and one over whatever the footer claims.
		if len(frames) > 0 {
			last := frames[len(frames)-1]
			var raw int64
			for _, e := range frames {
				raw += e.RawLen
			}
			all := segment.Extent{Seg: info.ID, Off: frames[0].Off, Len: last.Off + last.Len - frames[0].Off, RawLen: raw}
			readAll(t, s, []segment.Extent{all}, 0, raw, false)
		}
		if info.RawBytes > 0 {
			claimed := segment.Extent{Seg: info.ID, Off: 32, Len: info.Size - 32 - 40, RawLen: info.RawBytes}
			readAll(t, s, []segment.Extent{claimed}, 0, info.RawBytes, false)
			readAll(t, s, []segment.Extent{claimed}, info.RawBytes/2, info.RawBytes-info.RawBytes/2, false)
		}
	}
	// The store stays usable. (Kept below the size worth compressing: zstd
	// encoding under fuzz instrumentation is very slow.)
	w := s.NewWriter()
	if _, err := w.Write(data[:min(len(data), 32)]); err != nil {
		t.Fatal(err)
	}
	exts, err := w.Finish()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Sync(exts); err != nil {
		t.Fatal(err)
	}
}

// readAll reads [off, off+n) of exts; mustSucceed is set for frames Verify
// accepted.
func readAll(t *testing.T, s *segment.Store, exts []segment.Extent, off, n int64, mustSucceed bool) {
	r, err := s.NewReader(exts, off, n)
	if err != nil {
		if mustSucceed {
			t.Fatalf("NewReader(%+v, %d, %d): %v", exts, off, n, err)
		}
		return
	}
	got, err := io.Copy(io.Discard, r)
	if cerr := r.Close(); cerr != nil {
		t.Fatal(cerr)
	}
	if mustSucceed && (err != nil || got != n) {
		t.Fatalf("read %+v [%d, %d+%d): got %d bytes, err %v", exts, off, off, n, got, err)
	}
	if got > n {
		t.Fatalf("read %d bytes, want at most %d", got, n)
	}
}

func readFile(path string) ([]byte, error) {
	f, err := vfs.Default.Open(path)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	return io.ReadAll(f)
}
