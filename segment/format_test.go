package segment

import (
	"encoding/binary"
	"encoding/json"
	"flag"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/stretchr/testify/require"
)

var rewrite = flag.Bool("rewrite", false, "rewrite testdata/v1.seg and testdata/v1.json (review the diff)")

const (
	goldenSeg  = "testdata/v1.seg"
	goldenMeta = "testdata/v1.json"
)

// goldenObject is one object stored in testdata/v1.seg.
type goldenObject struct {
	Data    []byte   `json:"data"`
	Extents []Extent `json:"extents"`
}

type goldenFile struct {
	BlockSize int            `json:"block_size"`
	SegmentID uint64         `json:"segment_id"`
	Objects   []goldenObject `json:"objects"`
}

// TestFormatV1 keeps decoding the version 1 segment committed in testdata.
// With -rewrite it regenerates the file (only for a deliberate change of the
// encoder output; the decoder must still read the old file).
func TestFormatV1(t *testing.T) {
	if *rewrite {
		writeGolden(t)
	}
	segBytes := readDiskFile(t, goldenSeg)
	var meta goldenFile
	require.NoError(t, json.Unmarshal(readDiskFile(t, goldenMeta), &meta))

	// Byte layout of the header and footer, field by field.
	require.Equal(t, "WORMSEG1", string(segBytes[:8]))
	require.Equal(t, uint32(1), binary.LittleEndian.Uint32(segBytes[8:]))
	require.Equal(t, uint32(meta.BlockSize), binary.LittleEndian.Uint32(segBytes[12:]))
	require.Equal(t, meta.SegmentID, binary.LittleEndian.Uint64(segBytes[16:]))
	ft := segBytes[len(segBytes)-footerSize:]
	require.Equal(t, "WORMSEAL", string(ft[:8]))
	require.Equal(t, uint64(len(segBytes)-footerSize), binary.LittleEndian.Uint64(ft[8:]))

	mem := vfs.NewMem()
	require.NoError(t, mem.MkdirAll(testDir, 0o755))
	writeMemFile(t, mem, mem.PathJoin(testDir, segName(meta.SegmentID)), segBytes)
	s := openTest(t, mem, Options{BlockSize: 4096})
	infos := s.Segments()
	require.Len(t, infos, 1)
	require.True(t, infos[0].Sealed)
	require.Equal(t, int64(len(segBytes)), infos[0].Size)
	var zstdFrames, rawFrames int
	require.NoError(t, s.Verify(meta.SegmentID, func(off, storedLen, rawLen int64) {
		if storedLen-frameHeaderSize == rawLen {
			rawFrames++
		} else {
			zstdFrames++
		}
	}))
	require.Positive(t, zstdFrames, "golden file holds compressed frames")
	require.Positive(t, rawFrames, "golden file holds raw frames")
	for _, o := range meta.Objects {
		requireRead(t, s, o.Extents, o.Data, 0, int64(len(o.Data)))
		if len(o.Data) > 10 {
			requireRead(t, s, o.Extents, o.Data, 5, int64(len(o.Data))-10)
		}
	}
}

func writeGolden(t *testing.T) {
	mem := vfs.NewMem()
	const bs = 256
	s := openTest(t, mem, Options{BlockSize: bs})
	rng := rand.New(rand.NewPCG(2024, 1))
	meta := goldenFile{BlockSize: bs}
	for _, data := range [][]byte{
		compressibleBytes(rng, 600),
		randomBytes(rng, 300),
		[]byte("x"),
	} {
		exts := writeObject(t, s, data, 0)
		meta.Objects = append(meta.Objects, goldenObject{Data: data, Extents: exts})
	}
	meta.SegmentID = s.ActiveID()
	require.NoError(t, s.Close())
	f, err := mem.Open(mem.PathJoin(testDir, segName(meta.SegmentID)))
	require.NoError(t, err)
	segBytes, err := io.ReadAll(f)
	require.NoError(t, err)
	require.NoError(t, f.Close())
	metaBytes, err := json.MarshalIndent(meta, "", "  ")
	require.NoError(t, err)
	writeDiskFile(t, goldenSeg, segBytes)
	writeDiskFile(t, goldenMeta, append(metaBytes, '\n'))
}

func readDiskFile(t testing.TB, path string) []byte {
	t.Helper()
	f, err := vfs.Default.Open(path)
	require.NoError(t, err)
	defer func() { require.NoError(t, f.Close()) }()
	b, err := io.ReadAll(f)
	require.NoError(t, err)
	return b
}

func writeDiskFile(t testing.TB, path string, b []byte) {
	t.Helper()
	require.NoError(t, vfs.Default.MkdirAll(vfs.Default.PathDir(path), 0o755))
	writeMemFile(t, vfs.Default, path, b)
}

func writeMemFile(t testing.TB, fs vfs.FS, path string, b []byte) {
	t.Helper()
	f, err := fs.Create(path, vfs.WriteCategoryUnspecified)
	require.NoError(t, err)
	_, err = f.Write(b)
	require.NoError(t, err)
	require.NoError(t, f.Sync())
	require.NoError(t, f.Close())
}
