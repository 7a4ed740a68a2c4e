package segment

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/stretchr/testify/require"
)

// flipByte xors one byte of a file in fs at off.
func flipByte(t *testing.T, fs vfs.FS, path string, off int64, mask byte) {
	t.Helper()
	f, err := fs.OpenReadWrite(path, vfs.WriteCategoryUnspecified)
	require.NoError(t, err)
	b := make([]byte, 1)
	_, err = f.ReadAt(b, off)
	require.NoError(t, err)
	b[0] ^= mask
	_, err = f.WriteAt(b, off)
	require.NoError(t, err)
	require.NoError(t, f.Close())
}

// TestCorruptFrame flips bytes inside frames of a sealed segment: reads of
// the damaged block fail with ErrCorrupt naming segment and frame offset and
// never return bad data; other blocks still read; Verify reports it.
func TestCorruptFrame(t *testing.T) {
	const bs = 512
	tests := []struct {
		name   string
		gen    func(*rand.Rand, int) []byte
		at     func(frameOff, storedLen int64) int64 // byte to flip
		mask   byte
		verify string // substring of Verify's error
		// laterReadable: the frame's lengths are intact, so blocks after it
		// can still be found.
		laterReadable bool
	}{
		{"raw payload", randomBytes, func(o, n int64) int64 { return o + n - 1 }, 0x01, "checksum", true},
		{"zstd payload", compressibleBytes, func(o, n int64) int64 { return o + frameHeaderSize + 3 }, 0x10, "checksum", true},
		{"checksum field", randomBytes, func(o, n int64) int64 { return o + 12 }, 0x80, "checksum", true},
		{"raw length", randomBytes, func(o, n int64) int64 { return o + 2 }, 0x40, "length", false},
		{"stored length", compressibleBytes, func(o, n int64) int64 { return o + 6 }, 0x01, "", false},
		{"flags", randomBytes, func(o, n int64) int64 { return o }, 0x04, "flags", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := vfs.NewMem()
			s := openTest(t, mem, Options{BlockSize: bs})
			data := tt.gen(rand.New(rand.NewPCG(12, 12)), 4*bs)
			exts := writeObject(t, s, data, 0)
			require.Len(t, exts, 1)
			id := exts[0].Seg
			var frames [][2]int64
			require.NoError(t, s.Verify(id, func(off, storedLen, rawLen int64) {
				frames = append(frames, [2]int64{off, storedLen})
			}))
			require.NoError(t, s.Close())

			const victim = 2 // third block
			frameOff := frames[victim][0]
			flipByte(t, mem, mem.PathJoin(testDir, segName(id)), tt.at(frameOff, frames[victim][1]), tt.mask)

			s = openTest(t, mem, Options{BlockSize: bs})
			got, err := readRange(s, exts, 0, int64(len(data)))
			require.ErrorIs(t, err, ErrCorrupt)
			require.Contains(t, err.Error(), fmt.Sprintf("segment %016x off %d", id, frameOff))
			require.True(t, bytes.Equal(got, data[:len(got)]), "bytes before the error are correct")
			require.LessOrEqual(t, len(got), victim*bs, "nothing from the corrupt block")

			// Ranged reads avoiding the block still work.
			requireRead(t, s, exts, data, 0, victim*bs)
			if tt.laterReadable {
				requireRead(t, s, exts, data, (victim+1)*bs, bs)
			} else {
				_, err = readRange(s, exts, (victim+1)*bs, bs)
				require.ErrorIs(t, err, ErrCorrupt)
			}
			_, err = readRange(s, exts, victim*bs+10, 1)
			require.ErrorIs(t, err, ErrCorrupt)

			err = s.Verify(id, nil)
			require.ErrorIs(t, err, ErrCorrupt)
			require.Contains(t, err.Error(), fmt.Sprintf("segment %016x off %d", id, frameOff))
			require.Contains(t, err.Error(), tt.verify)

			_, err = s.CopyExtent(exts[0])
			require.ErrorIs(t, err, ErrCorrupt)
			require.NoError(t, s.Close())
		})
	}
}

// TestCorruptSealedMetadata damages a sealed segment's header or footer:
// Open fails with ErrCorrupt naming the file.
func TestCorruptSealedMetadata(t *testing.T) {
	tests := []struct {
		name string
		at   func(size int64) int64
	}{
		{"header magic", func(int64) int64 { return 1 }},
		{"header version", func(int64) int64 { return 8 }},
		{"header block size", func(int64) int64 { return 13 }},
		{"header id", func(int64) int64 { return 16 }},
		{"header checksum", func(int64) int64 { return 30 }},
		{"footer block count", func(size int64) int64 { return size - footerSize + 16 }},
		{"footer raw bytes", func(size int64) int64 { return size - footerSize + 24 }},
		{"footer checksum", func(size int64) int64 { return size - 1 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := vfs.NewMem()
			s := openTest(t, mem, Options{BlockSize: 256})
			data := randomBytes(rand.New(rand.NewPCG(13, 13)), 1000)
			exts := writeObject(t, s, data, 0)
			require.NoError(t, s.Close())
			path := mem.PathJoin(testDir, segName(exts[0].Seg))
			fi, err := mem.Stat(path)
			require.NoError(t, err)
			flipByte(t, mem, path, tt.at(fi.Size()), 0x01)
			_, err = Open(Options{FS: mem, Dir: testDir, BlockSize: 256})
			require.ErrorIs(t, err, ErrCorrupt)
			require.Contains(t, err.Error(), segName(exts[0].Seg))
		})
	}
}

// TestCorruptUnsealed damages a frame in the middle of an unsealed segment
// (the active one at a crash): recovery keeps the frames before it.
func TestCorruptUnsealed(t *testing.T) {
	const bs = 256
	mem := vfs.NewCrashableMem()
	s := openTest(t, mem, Options{BlockSize: bs})
	rng := rand.New(rand.NewPCG(14, 14))
	a := randomBytes(rng, 2*bs)
	extsA := writeObject(t, s, a, 0)
	b := randomBytes(rng, 2*bs)
	extsB := writeObject(t, s, b, 0)
	require.NoError(t, s.Sync(extsB))
	crashed := mem.CrashClone(vfs.CrashCloneCfg{})
	flipByte(t, crashed, crashed.PathJoin(testDir, segName(extsB[0].Seg)), extsB[0].Off+frameHeaderSize+5, 0xff)

	var logs logBuffer
	s2 := openTest(t, crashed, Options{BlockSize: bs, Logger: logs.logger()})
	requireRead(t, s2, extsA, a, 0, int64(len(a)))
	_, err := s2.NewReader(extsB, 0, 1)
	require.ErrorIs(t, err, ErrCorrupt, "extent beyond the recovered data end")
	require.Contains(t, logs.String(), "dropped_bytes=")
}
