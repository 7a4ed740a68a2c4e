package wal

import (
	"bytes"
	"encoding/binary"
	"flag"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/cespare/xxhash/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/stretchr/testify/require"
)

var rewrite = flag.Bool("rewrite", false, "regenerate testdata/v1 (review the diff: the format must not change)")

const goldenDir = "testdata/v1"

// goldenRecords returns the payloads stored in testdata/v1: empty, text,
// binary, and larger ones, so lengths span one to several bytes.
func goldenRecords() [][]byte {
	var out [][]byte
	out = append(out, nil, []byte("hello, wal"))
	for i := range 20 {
		p := fmt.Appendf(nil, "record %02d ", i)
		for j := range i * 23 {
			p = append(p, byte(i*7+j*13))
		}
		out = append(out, p)
	}
	out = append(out, bytes.Repeat([]byte{0xff}, 1500), []byte{0})
	return out
}

// writeGolden writes goldenRecords into dir on fs with a 1 KiB segment size
// and a fixed batching (records i%4==3 close a batch), giving several files.
func writeGolden(t *testing.T, fs vfs.FS, dir string) {
	t.Helper()
	l, err := Open(Options{FS: fs, Dir: dir, SegmentSize: 1 << 10})
	require.NoError(t, err)
	for i, p := range goldenRecords() {
		lsn, err := l.Append(p)
		require.NoError(t, err)
		if i%4 == 3 {
			require.NoError(t, l.Sync(lsn))
		}
	}
	require.NoError(t, l.Close())
}

// TestV1Format keeps decoding the committed v1 files and checks the writer
// still produces them byte for byte. Run with -rewrite to regenerate.
func TestV1Format(t *testing.T) {
	gen := vfs.NewMem()
	writeGolden(t, gen, testDir)
	genNames := walFiles(t, gen, testDir)
	require.Greater(t, len(genNames), 2)

	if *rewrite {
		disk := vfs.Default
		require.NoError(t, disk.RemoveAll(goldenDir))
		require.NoError(t, disk.MkdirAll(goldenDir, 0o755))
		for _, name := range genNames {
			writeFile(t, disk, disk.PathJoin(goldenDir, name), readFile(t, gen, gen.PathJoin(testDir, name)))
		}
		t.Skipf("rewrote %d files in %s", len(genNames), goldenDir)
	}

	disk := vfs.Default
	list, err := disk.List(goldenDir)
	require.NoError(t, err)
	var names []string
	for _, n := range list {
		if strings.HasSuffix(n, fileSuffix) {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	require.NotEmpty(t, names, "no golden files; run with -rewrite once")

	mem := vfs.NewMem()
	for _, name := range names {
		writeFile(t, mem, mem.PathJoin(testDir, name), readFile(t, disk, disk.PathJoin(goldenDir, name)))
	}
	l := openLog(t, mem, Options{})
	var want []record
	for i, p := range goldenRecords() {
		want = append(want, record{LSN(i + 1), append([]byte{}, p...)})
	}
	require.Equal(t, want, replayAll(t, l, 0), "decoding %s", goldenDir)
	require.NoError(t, l.Close())

	require.Equal(t, names, genNames, "file names")
	for _, name := range names {
		require.Equal(t, readFile(t, disk, disk.PathJoin(goldenDir, name)),
			readFile(t, gen, gen.PathJoin(testDir, name)), "encoding of %s changed", name)
	}
}

// TestLayout pins the byte layout documented in doc.go independently of
// the decoder.
func TestLayout(t *testing.T) {
	h := encodeFileHeader(0x1122334455667788)
	require.Len(t, h, fileHeaderSize)
	require.Equal(t, "WORMWAL1", string(h[0:8]))
	require.Equal(t, []byte{1, 0, 0, 0}, h[8:12])
	require.Equal(t, []byte{0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11}, h[12:20])
	require.Equal(t, binary.LittleEndian.AppendUint64(nil, xxhash.Sum64(h[:20])), h[20:28])

	r := appendRecord([]byte("prefix"), new(xxhash.Digest), 0x0102030405060708, []byte("abc"))
	require.Equal(t, "prefix", string(r[:6]))
	r = r[6:]
	require.Len(t, r, recordHeaderSize+3)
	require.Equal(t, []byte{3, 0, 0, 0}, r[0:4])
	require.Equal(t, []byte{8, 7, 6, 5, 4, 3, 2, 1}, r[4:12])
	sum := xxhash.Sum64(append(bytes.Clone(r[0:12]), "abc"...))
	require.Equal(t, binary.LittleEndian.AppendUint64(nil, sum), r[12:20])
	require.Equal(t, "abc", string(r[20:]))
}
