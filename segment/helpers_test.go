package segment

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/stretchr/testify/require"
)

const testDir = "data/segs"

// openTest opens a store on fs in testDir with opts (FS and Dir filled in)
// and, in t.Cleanup, verifies every segment and closes it.
func openTest(t testing.TB, fs vfs.FS, opts Options) *Store {
	t.Helper()
	opts.FS = fs
	if opts.Dir == "" {
		opts.Dir = testDir
	}
	s, err := Open(opts)
	require.NoError(t, err)
	t.Cleanup(func() {
		if !s.closed.Load() {
			checkStore(t, s)
			require.NoError(t, s.Close())
		}
	})
	return s
}

// checkStore verifies every segment of s.
func checkStore(t testing.TB, s *Store) {
	t.Helper()
	for _, info := range s.Segments() {
		var blocks, raw int64
		err := s.Verify(info.ID, func(off, storedLen, rawLen int64) {
			blocks++
			raw += rawLen
		})
		require.NoError(t, err, "verify segment %d", info.ID)
		require.Equal(t, info.Blocks, blocks, "segment %d blocks", info.ID)
		require.Equal(t, info.RawBytes, raw, "segment %d raw bytes", info.ID)
	}
}

// writeObject writes data in chunks of chunk bytes (all at once if 0).
func writeObject(t testing.TB, s *Store, data []byte, chunk int) []Extent {
	t.Helper()
	exts, err := tryWriteObject(s, data, chunk)
	require.NoError(t, err)
	return exts
}

func tryWriteObject(s *Store, data []byte, chunk int) ([]Extent, error) {
	w := s.NewWriter()
	if chunk <= 0 {
		chunk = max(len(data), 1)
	}
	for p := data; len(p) > 0; {
		c := min(chunk, len(p))
		n, err := w.Write(p[:c])
		if err != nil {
			w.Abort()
			return nil, err
		}
		if n != c {
			w.Abort()
			return nil, io.ErrShortWrite
		}
		p = p[c:]
	}
	return w.Finish()
}

// readRange reads [off, off+n) of the object exts.
func readRange(s *Store, exts []Extent, off, n int64) ([]byte, error) {
	r, err := s.NewReader(exts, off, n)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	_, err = io.Copy(&buf, r)
	if cerr := r.Close(); err == nil {
		err = cerr
	}
	return buf.Bytes(), err
}

// requireRead checks [off, off+n) of exts reads back as want[off:off+n],
// through both WriteTo (io.Copy) and plain Read calls.
func requireRead(t testing.TB, s *Store, exts []Extent, want []byte, off, n int64) {
	t.Helper()
	got, err := readRange(s, exts, off, n)
	require.NoError(t, err, "read [%d, %d+%d)", off, off, n)
	if !bytes.Equal(got, want[off:off+n]) {
		t.Fatalf("read [%d, %d+%d): got %d bytes differing from want", off, off, n, len(got))
	}
	r, err := s.NewReader(exts, off, n)
	require.NoError(t, err)
	got, err = io.ReadAll(struct{ io.Reader }{r}) // hide WriteTo
	require.NoError(t, err, "Read [%d, %d+%d)", off, off, n)
	require.NoError(t, r.Close())
	if !bytes.Equal(got, want[off:off+n]) {
		t.Fatalf("Read [%d, %d+%d): got %d bytes differing from want", off, off, n, len(got))
	}
}

func rawLen(exts []Extent) int64 {
	var n int64
	for _, e := range exts {
		n += e.RawLen
	}
	return n
}

func randomBytes(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

// compressibleBytes returns text-like data that zstd shrinks well.
func compressibleBytes(rng *rand.Rand, n int) []byte {
	words := []string{"worm ", "store ", "segment ", "block ", "frame ", "extent ", "object ", "bucket\n"}
	b := make([]byte, 0, n+16)
	for len(b) < n {
		b = append(b, words[rng.IntN(len(words))]...)
	}
	return b[:n]
}

// logBuffer is a concurrency-safe slog destination for log assertions.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// frameMap returns, per segment, the frames Verify reports: offset -> stored length.
func frameMap(t testing.TB, s *Store) map[uint64]map[int64]int64 {
	t.Helper()
	m := make(map[uint64]map[int64]int64)
	for _, info := range s.Segments() {
		frames := make(map[int64]int64)
		require.NoError(t, s.Verify(info.ID, func(off, storedLen, rawLen int64) { frames[off] = storedLen }))
		m[info.ID] = frames
	}
	return m
}

// requireOnFrameBoundaries checks that every extent starts and ends on frame
// boundaries of its segment.
func requireOnFrameBoundaries(t testing.TB, frames map[uint64]map[int64]int64, exts []Extent) {
	t.Helper()
	for _, e := range exts {
		fr := frames[e.Seg]
		require.NotNil(t, fr, "segment %d unknown", e.Seg)
		off := e.Off
		for off < e.Off+e.Len {
			n, ok := fr[off]
			require.True(t, ok, "extent %+v: no frame at %d", e, off)
			off += n
		}
		require.Equal(t, e.Off+e.Len, off, "extent %+v does not end on a frame boundary", e)
	}
}

func isCorrupt(err error) bool { return errors.Is(err, ErrCorrupt) }
