package segment

import (
	"fmt"
	iofs "io/fs"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/stretchr/testify/require"
)

func TestRoundTrip(t *testing.T) {
	const bs = 4096
	sizes := []int{0, 1, bs - 1, bs, bs + 1, 7*bs + 123}
	kinds := []struct {
		name string
		gen  func(*rand.Rand, int) []byte
	}{
		{"random", randomBytes},
		{"compressible", compressibleBytes},
	}
	chunks := []int{0, 1000, bs}
	for _, kind := range kinds {
		for _, size := range sizes {
			for _, chunk := range chunks {
				t.Run(fmt.Sprintf("%s/size=%d/chunk=%d", kind.name, size, chunk), func(t *testing.T) {
					rng := rand.New(rand.NewPCG(uint64(size), uint64(chunk)))
					fs := vfs.NewMem()
					s := openTest(t, fs, Options{BlockSize: bs})
					data := kind.gen(rng, size)
					exts := writeObject(t, s, data, chunk)
					if size == 0 {
						require.Nil(t, exts)
					} else {
						require.Len(t, exts, 1, "single writer: one extent")
						require.Equal(t, int64(size), rawLen(exts))
					}
					require.NoError(t, s.Sync(exts))
					requireRanges(t, s, exts, data, bs)

					// Same bytes after reopen (the segment gets sealed).
					require.NoError(t, s.Close())
					s = openTest(t, fs, Options{BlockSize: bs})
					requireRanges(t, s, exts, data, bs)
					requireOnFrameBoundaries(t, frameMap(t, s), exts)
				})
			}
		}
	}
}

// requireRanges reads data back whole and in ranges starting and ending at
// every block boundary +-1.
func requireRanges(t *testing.T, s *Store, exts []Extent, data []byte, bs int) {
	t.Helper()
	size := int64(len(data))
	requireRead(t, s, exts, data, 0, size)
	var points []int64
	for b := int64(0); b <= size; b += int64(bs) {
		points = append(points, b-1, b, b+1)
	}
	points = append(points, size-1, size)
	for _, from := range points {
		if from < 0 || from > size {
			continue
		}
		for _, to := range points {
			if to < from || to > size {
				continue
			}
			requireRead(t, s, exts, data, from, to-from)
		}
	}
}

func TestReaderInvalidRange(t *testing.T) {
	fs := vfs.NewMem()
	s := openTest(t, fs, Options{BlockSize: 64})
	data := randomBytes(rand.New(rand.NewPCG(1, 1)), 200)
	exts := writeObject(t, s, data, 0)
	tests := []struct {
		name   string
		exts   []Extent
		off, n int64
	}{
		{"negative off", exts, -1, 1},
		{"negative n", exts, 0, -1},
		{"past end", exts, 0, 201},
		{"off past end", exts, 201, 0},
		{"bad extent", []Extent{{Seg: 1, Off: 0, Len: 10, RawLen: 10}}, 0, 1},
		{"empty object", nil, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.NewReader(tt.exts, tt.off, tt.n)
			require.ErrorIs(t, err, ErrInvalidRange)
		})
	}
	r, err := s.NewReader(nil, 0, 0)
	require.NoError(t, err)
	n, err := r.Read(make([]byte, 10))
	require.Equal(t, 0, n)
	require.Error(t, err)
	require.NoError(t, r.Close())

	// Unknown segment.
	_, err = s.NewReader([]Extent{{Seg: 99, Off: headerSize, Len: 100, RawLen: 100}}, 0, 1)
	require.ErrorIs(t, err, ErrNotFound)
	// Extent beyond the data end.
	_, err = s.NewReader([]Extent{{Seg: exts[0].Seg, Off: headerSize, Len: 1 << 20, RawLen: 100}}, 0, 1)
	require.ErrorIs(t, err, ErrCorrupt)
	// Extent whose lengths disagree with its frames.
	bad := exts[0]
	bad.RawLen--
	_, err = readRange(s, []Extent{bad}, 0, bad.RawLen)
	require.ErrorIs(t, err, ErrCorrupt)
}

func TestCompression(t *testing.T) {
	const bs = 8192
	tests := []struct {
		name       string
		gen        func(*rand.Rand, int) []byte
		compressed bool
	}{
		{"random stored raw", randomBytes, false},
		{"text compressed", compressibleBytes, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := vfs.NewMem()
			s := openTest(t, fs, Options{BlockSize: bs})
			data := tt.gen(rand.New(rand.NewPCG(2, 2)), 4*bs)
			exts := writeObject(t, s, data, 0)
			require.Len(t, exts, 1)
			if tt.compressed {
				require.Less(t, exts[0].Len, exts[0].RawLen*95/100)
			} else {
				require.Equal(t, exts[0].RawLen+4*frameHeaderSize, exts[0].Len)
			}
			frames := 0
			require.NoError(t, s.Verify(exts[0].Seg, func(off, storedLen, rawLen int64) {
				frames++
				require.Equal(t, int64(bs), rawLen)
				if tt.compressed {
					require.LessOrEqual(t, (storedLen-frameHeaderSize)*100, rawLen*95, "got stored %d, want <= 95%% of %d", storedLen, rawLen)
				} else {
					require.Equal(t, rawLen+frameHeaderSize, storedLen, "raw-store path")
				}
			}))
			require.Equal(t, 4, frames)
			requireRead(t, s, exts, data, 0, int64(len(data)))
		})
	}
}

func TestConcurrentWriters(t *testing.T) {
	const bs = 512
	fs := vfs.NewMem()
	s := openTest(t, fs, Options{BlockSize: bs, TargetSize: 64 << 10})
	const writers = 8
	const objects = 12
	type obj struct {
		data []byte
		exts []Extent
	}
	results := make([][]obj, writers)
	var wg sync.WaitGroup
	for g := range writers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 3))
			for range objects {
				n := rng.IntN(6 * bs)
				var data []byte
				if rng.IntN(2) == 0 {
					data = randomBytes(rng, n)
				} else {
					data = compressibleBytes(rng, n)
				}
				exts, err := tryWriteObject(s, data, 1+rng.IntN(bs))
				if err == nil {
					err = s.Sync(exts)
				}
				if err != nil {
					t.Error(err)
					return
				}
				results[g] = append(results[g], obj{data, exts})
			}
		})
	}
	wg.Wait()
	require.False(t, t.Failed())
	frames := frameMap(t, s)
	type span struct {
		seg      uint64
		off, end int64
	}
	var spans []span
	for _, objs := range results {
		for _, o := range objs {
			require.Equal(t, int64(len(o.data)), rawLen(o.exts))
			requireRead(t, s, o.exts, o.data, 0, int64(len(o.data)))
			requireOnFrameBoundaries(t, frames, o.exts)
			for i, e := range o.exts {
				spans = append(spans, span{e.Seg, e.Off, e.Off + e.Len})
				if i > 0 {
					prev := o.exts[i-1]
					require.False(t, prev.Seg == e.Seg && prev.Off+prev.Len == e.Off, "adjacent extents not coalesced: %+v", o.exts)
				}
			}
		}
	}
	// No two extents overlap.
	slices.SortFunc(spans, func(a, b span) int {
		if a.seg != b.seg {
			return int(a.seg) - int(b.seg)
		}
		return int(a.off - b.off)
	})
	for i := 1; i < len(spans); i++ {
		if spans[i].seg == spans[i-1].seg {
			require.LessOrEqual(t, spans[i-1].end, spans[i].off, "overlapping extents")
		}
	}
	require.Greater(t, len(s.Segments()), 1, "TargetSize should have sealed segments")
}

func TestSealMidObject(t *testing.T) {
	const bs = 1024
	fs := vfs.NewMem()
	s := openTest(t, fs, Options{BlockSize: bs, TargetSize: headerSize + 3*(bs+frameHeaderSize)})
	data := randomBytes(rand.New(rand.NewPCG(4, 4)), 10*bs+17)
	exts := writeObject(t, s, data, 100)
	require.GreaterOrEqual(t, len(exts), 3)
	for i := 1; i < len(exts); i++ {
		require.Greater(t, exts[i].Seg, exts[i-1].Seg)
	}
	infos := s.Segments()
	require.Len(t, infos, len(exts))
	for _, info := range infos[:len(infos)-1] {
		require.True(t, info.Sealed, "segment %d", info.ID)
		require.Equal(t, int64(3), info.Blocks)
	}
	// The last segment stays active until sealed explicitly.
	last := infos[len(infos)-1]
	require.False(t, last.Sealed)
	require.Equal(t, last.ID, s.ActiveID())
	require.NoError(t, s.Sync(exts))
	requireRanges(t, s, exts, data, bs)

	require.NoError(t, s.Seal())
	require.Equal(t, uint64(0), s.ActiveID())
	require.True(t, s.Segments()[len(infos)-1].Sealed)
	require.NoError(t, s.Sync(exts), "sealed extents are durable")
	requireRanges(t, s, exts, data, bs)

	// The next write opens a new segment.
	more := writeObject(t, s, []byte("hello"), 0)
	require.Equal(t, last.ID+1, more[0].Seg)
	require.Equal(t, more[0].Seg, s.ActiveID())
}

func TestWriterLifecycle(t *testing.T) {
	fs := vfs.NewMem()
	s := openTest(t, fs, Options{BlockSize: 16})
	w := s.NewWriter()
	_, err := w.Write([]byte("0123456789abcdefXYZ"))
	require.NoError(t, err)
	w.Abort()
	_, err = w.Write([]byte("x"))
	require.ErrorIs(t, err, ErrFinished)
	_, err = w.Finish()
	require.ErrorIs(t, err, ErrFinished)

	w = s.NewWriter()
	exts, err := w.Finish()
	require.NoError(t, err)
	require.Nil(t, exts)
	require.NoError(t, s.Sync(nil))

	w = s.NewWriter()
	_, err = w.Write([]byte("abc"))
	require.NoError(t, err)
	require.NoError(t, s.Close())
	_, err = w.Finish()
	require.ErrorIs(t, err, ErrClosed)
	require.ErrorIs(t, s.Sync([]Extent{{Seg: 1, Off: headerSize, Len: 20, RawLen: 3}}), ErrClosed)
	_, err = s.NewReader([]Extent{{Seg: 1, Off: headerSize, Len: 20, RawLen: 3}}, 0, 1)
	require.ErrorIs(t, err, ErrClosed)
	require.NoError(t, s.Close(), "Close is idempotent")
}

func TestRemove(t *testing.T) {
	const bs = 256
	fs := vfs.NewMem()
	s := openTest(t, fs, Options{BlockSize: bs})
	data := randomBytes(rand.New(rand.NewPCG(5, 5)), 5*bs)
	exts := writeObject(t, s, data, 0)
	id := exts[0].Seg

	require.ErrorIs(t, s.Remove(id), ErrActive)
	require.ErrorIs(t, s.Remove(12345), ErrNotFound)
	require.NoError(t, s.Seal())

	// A pinned segment survives Remove until its reader closes.
	r, err := s.NewReader(exts, 0, int64(len(data)))
	require.NoError(t, err)
	require.NoError(t, s.Remove(id))
	path := fs.PathJoin(testDir, segName(id))
	_, err = fs.Stat(path)
	require.NoError(t, err, "file kept while pinned")
	require.Empty(t, s.Segments())
	_, err = s.NewReader(exts, 0, 1)
	require.ErrorIs(t, err, ErrNotFound)
	require.ErrorIs(t, s.Remove(id), ErrNotFound)

	got := make([]byte, len(data))
	_, err = readFullReader(r, got)
	require.NoError(t, err)
	require.Equal(t, data, got)
	require.NoError(t, r.Close())
	_, err = fs.Stat(path)
	require.ErrorIs(t, err, iofs.ErrNotExist, "file removed after last reader closed")

	// Unpinned: removed at once.
	exts2 := writeObject(t, s, data, 0)
	require.NoError(t, s.Seal())
	require.NoError(t, s.Remove(exts2[0].Seg))
	_, err = fs.Stat(fs.PathJoin(testDir, segName(exts2[0].Seg)))
	require.Error(t, err)

	// Ids are never reused, even after removing the newest segment.
	require.NoError(t, s.Close())
	s = openTest(t, fs, Options{BlockSize: bs})
	exts3 := writeObject(t, s, data, 0)
	require.Equal(t, exts2[0].Seg+1, exts3[0].Seg)
}

func readFullReader(r interface{ Read([]byte) (int, error) }, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		k, err := r.Read(b[n:])
		n += k
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func TestCopyExtent(t *testing.T) {
	const bs = 512
	fs := vfs.NewMem()
	s := openTest(t, fs, Options{BlockSize: bs, TargetSize: 4 * bs})
	rng := rand.New(rand.NewPCG(6, 6))
	data := append(randomBytes(rng, 5*bs), compressibleBytes(rng, 5*bs+3)...)
	exts := writeObject(t, s, data, 0)
	require.Greater(t, len(exts), 1)
	require.NoError(t, s.Seal())

	var copied []Extent
	for _, e := range exts {
		out, err := s.CopyExtent(e)
		require.NoError(t, err)
		var raw int64
		for _, o := range out {
			require.Greater(t, o.Seg, exts[len(exts)-1].Seg, "copies go to new segments")
			raw += o.RawLen
		}
		require.Equal(t, e.RawLen, raw)
		copied = append(copied, out...)
	}
	require.NoError(t, s.Sync(copied))
	requireRanges(t, s, copied, data, bs)
	for _, e := range exts {
		require.NoError(t, s.Remove(e.Seg))
	}
	requireRanges(t, s, copied, data, bs)
	requireOnFrameBoundaries(t, frameMap(t, s), copied)

	// Copying a corrupt extent (lengths disagree) fails with ErrCorrupt.
	bad := copied[0]
	bad.RawLen++
	_, err := s.CopyExtent(bad)
	require.ErrorIs(t, err, ErrCorrupt)
	_, err = s.CopyExtent(Extent{Seg: 999, Off: headerSize, Len: 100, RawLen: 10})
	require.ErrorIs(t, err, ErrNotFound)
}

// TestCopyExtentLargerBlocks copies frames from a segment written with a
// larger block size than the store's current one.
func TestCopyExtentLargerBlocks(t *testing.T) {
	fs := vfs.NewMem()
	s := openTest(t, fs, Options{BlockSize: 4096})
	data := randomBytes(rand.New(rand.NewPCG(7, 7)), 3*4096+5)
	exts := writeObject(t, s, data, 0)
	require.NoError(t, s.Close())

	s = openTest(t, fs, Options{BlockSize: 512})
	small := writeObject(t, s, data[:1000], 0)
	out, err := s.CopyExtent(exts[0])
	require.NoError(t, err)
	require.NotEqual(t, small[0].Seg, out[0].Seg, "needs a segment with a larger block size")
	require.NoError(t, s.Sync(append(out, small...)))
	requireRead(t, s, out, data, 0, int64(len(data)))
	requireRead(t, s, small, data[:1000], 0, 1000)
	require.NoError(t, s.Close())
	s = openTest(t, fs, Options{BlockSize: 512})
	requireRead(t, s, out, data, 0, int64(len(data)))
}

func TestOptions(t *testing.T) {
	fs := vfs.NewMem()
	tests := []struct {
		name    string
		opts    Options
		wantErr bool
	}{
		{"defaults", Options{FS: fs, Dir: "a"}, false},
		{"no fs", Options{Dir: "a"}, true},
		{"no dir", Options{FS: fs}, true},
		{"block too big", Options{FS: fs, Dir: "a", BlockSize: MaxBlockSize + 1}, true},
		{"negative block", Options{FS: fs, Dir: "a", BlockSize: -1}, true},
		{"negative target", Options{FS: fs, Dir: "a", TargetSize: -1}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			orig := tt.opts
			s, err := Open(tt.opts)
			require.Equal(t, orig, tt.opts, "Open must not modify the caller's options")
			if tt.wantErr {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, DefaultBlockSize, s.opts.BlockSize)
			require.Equal(t, int64(DefaultTargetSize), s.opts.TargetSize)
			require.NoError(t, s.Close())
		})
	}
}
