package wal

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/cespare/xxhash/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/stretchr/testify/require"
)

// recordOffsets returns the offsets of the records in a valid log file.
func recordOffsets(t testing.TB, b []byte) []int {
	t.Helper()
	var offs []int
	for off := fileHeaderSize; off < len(b); {
		offs = append(offs, off)
		off += recordHeaderSize + int(binary.LittleEndian.Uint32(b[off:]))
	}
	return offs
}

// twoFileLog writes records 1..10 into file 1 and 11..20 into file 11 and
// returns the FS, the records and the two file names.
func twoFileLog(t testing.TB) (*vfs.MemFS, []record, [2]string) {
	t.Helper()
	fs := vfs.NewMem()
	var recs []record
	for session := range 2 {
		l, err := Open(Options{FS: fs, Dir: testDir})
		require.NoError(t, err)
		for i := range 10 {
			p := testPayload(session*10 + i + 3)
			lsn, err := l.Commit(p)
			require.NoError(t, err)
			recs = append(recs, record{lsn, p})
		}
		require.NoError(t, l.Close())
	}
	names := walFiles(t, fs, testDir)
	require.Equal(t, []string{fileName(1), fileName(11)}, names)
	return fs, recs, [2]string{names[0], names[1]}
}

// cloneMem returns a copy of fs with file name replaced by contents (or
// removed if contents is nil).
func cloneMem(t testing.TB, fs *vfs.MemFS, name string, contents []byte) *vfs.MemFS {
	t.Helper()
	dst := vfs.NewMem()
	_, err := vfs.Clone(fs, dst, "/", "/")
	require.NoError(t, err)
	path := dst.PathJoin(testDir, name)
	require.NoError(t, dst.Remove(path))
	if contents != nil {
		writeFile(t, dst, path, contents)
	}
	return dst
}

// checkRecovered opens fs and checks it replays exactly want, that an
// appended record gets the next LSN, and that it survives a reopen.
func checkRecovered(t testing.TB, fs vfs.FS, want []record) {
	t.Helper()
	l, err := Open(Options{FS: fs, Dir: testDir})
	require.NoError(t, err)
	require.Equal(t, LSN(len(want)), l.LastLSN())
	require.Equal(t, LSN(len(want)), l.DurableLSN())
	require.Equal(t, want, replayAll(t, l, 0))
	p := []byte("appended after recovery")
	lsn, err := l.Commit(p)
	require.NoError(t, err)
	require.Equal(t, LSN(len(want)+1), lsn)
	require.NoError(t, l.Close())

	l, err = Open(Options{FS: fs, Dir: testDir})
	require.NoError(t, err)
	require.Equal(t, append(want[:len(want):len(want)], record{lsn, p}), replayAll(t, l, 0))
	require.NoError(t, l.Close())
}

// TestTornTailEveryOffset cuts the newest file at every byte offset of its
// last record, with nothing, zeros or random garbage after the cut.
func TestTornTailEveryOffset(t *testing.T) {
	fs, recs, names := twoFileLog(t)
	full := readFile(t, fs, fs.PathJoin(testDir, names[1]))
	offs := recordOffsets(t, full)
	lastStart := offs[len(offs)-1]
	rng := rand.New(rand.NewPCG(1, 2))
	for cut := lastStart; cut < len(full); cut++ {
		for _, tail := range []string{"none", "zeros", "garbage"} {
			b := bytes.Clone(full[:cut])
			switch tail {
			case "zeros":
				b = append(b, make([]byte, 100)...)
			case "garbage":
				for range 1 + rng.IntN(300) {
					b = append(b, byte(rng.Uint32()))
				}
			}
			if tail != "none" && len(b) == len(full) {
				continue
			}
			t.Run(fmt.Sprintf("cut=%d/%s", cut, tail), func(t *testing.T) {
				crashed := cloneMem(t, fs, names[1], b)
				l, err := Open(Options{FS: crashed, Dir: testDir})
				require.NoError(t, err)
				require.NoError(t, l.Close())
				// The tail was cut away; the file is exactly the valid prefix.
				require.Equal(t, full[:lastStart], readFile(t, crashed, crashed.PathJoin(testDir, names[1])))
				checkRecovered(t, crashed, recs[:len(recs)-1])
			})
		}
	}
}

// TestTornTailDropsEverythingAfterBadRecord: a damaged record in the newest
// file ends the valid prefix even if valid records follow it.
func TestTornTailDropsEverythingAfterBadRecord(t *testing.T) {
	fs, recs, names := twoFileLog(t)
	full := readFile(t, fs, fs.PathJoin(testDir, names[1]))
	offs := recordOffsets(t, full)
	for i, off := range offs {
		for _, field := range []struct {
			name string
			at   int
		}{{"length", 0}, {"lsn", 5}, {"checksum", 13}, {"payload", recordHeaderSize}} {
			if field.name == "payload" && binary.LittleEndian.Uint32(full[off:]) == 0 {
				continue
			}
			t.Run(fmt.Sprintf("record=%d/%s", i, field.name), func(t *testing.T) {
				b := bytes.Clone(full)
				b[off+field.at] ^= 0x40
				crashed := cloneMem(t, fs, names[1], b)
				checkRecovered(t, crashed, recs[:10+i])
			})
		}
	}

	// A record with a valid checksum but the wrong LSN also ends the prefix.
	t.Run("lsn-gap", func(t *testing.T) {
		b := bytes.Clone(full[:offs[5]])
		b = appendRecord(b, new(xxhash.Digest), 17, []byte("skips an LSN"))
		crashed := cloneMem(t, fs, names[1], b)
		checkRecovered(t, crashed, recs[:15])
	})
}

// TestTornHeader: a newest file whose header is incomplete or damaged was
// never synced, and is removed.
func TestTornHeader(t *testing.T) {
	fs, recs, names := twoFileLog(t)
	full := readFile(t, fs, fs.PathJoin(testDir, names[1]))
	for cut := 0; cut <= fileHeaderSize+5; cut++ {
		t.Run(fmt.Sprintf("cut=%d", cut), func(t *testing.T) {
			crashed := cloneMem(t, fs, names[1], full[:cut])
			checkRecovered(t, crashed, recs[:10])
		})
	}
	for i := range fileHeaderSize {
		t.Run(fmt.Sprintf("flip=%d", i), func(t *testing.T) {
			b := bytes.Clone(full)
			b[i] ^= 0x01
			// Magic, version, first LSN and checksum: all fail the header.
			checkRecovered(t, cloneMem(t, fs, names[1], b), recs[:10])
		})
	}
	t.Run("only file", func(t *testing.T) {
		fs := vfs.NewMem()
		writeFile(t, fs, fs.PathJoin(testDir, fileName(1)), []byte("WORMWAL1\x01\x00"))
		checkRecovered(t, fs, []record{})
	})
}

// TestCorruptNonLast: damage outside the newest file fails Open with
// ErrCorrupt naming the file and offset.
func TestCorruptNonLast(t *testing.T) {
	fs, _, names := twoFileLog(t)
	first := readFile(t, fs, fs.PathJoin(testDir, names[0]))
	offs := recordOffsets(t, first)
	flip := func(at int) []byte {
		b := bytes.Clone(first)
		b[at] ^= 0x01
		return b
	}
	header := func(version uint32, lsn LSN) []byte {
		h := encodeFileHeader(lsn)
		binary.LittleEndian.PutUint32(h[8:12], version)
		binary.LittleEndian.PutUint64(h[20:28], xxhash.Sum64(h[:20]))
		return append(h, first[fileHeaderSize:]...)
	}
	tests := []struct {
		name     string
		contents []byte // new contents of the first file; nil removes it
		wantErr  error
		wantMsg  string
	}{
		{"payload bit flip", flip(offs[3] + recordHeaderSize), ErrCorrupt, fmt.Sprintf("%s off %d: checksum mismatch", names[0], offs[3])},
		{"length bit flip", flip(offs[4]), ErrCorrupt, fmt.Sprintf("%s off %d", names[0], offs[4])},
		{"checksum bit flip", flip(offs[9] + 12), ErrCorrupt, fmt.Sprintf("%s off %d: checksum mismatch", names[0], offs[9])},
		{"header bit flip", flip(3), ErrCorrupt, names[0] + ": bad file header"},
		{"truncated", first[:len(first)-1], ErrCorrupt, fmt.Sprintf("%s off %d: truncated payload", names[0], offs[9])},
		{"truncated header", first[:10], ErrCorrupt, names[0] + ": bad file header"},
		{"trailing zeros", append(bytes.Clone(first), make([]byte, 30)...), ErrCorrupt, fmt.Sprintf("%s off %d", names[0], len(first))},
		{"trailing short garbage", append(bytes.Clone(first), 1, 2, 3), ErrCorrupt, fmt.Sprintf("%s off %d: truncated record header", names[0], len(first))},
		{"missing first file", nil, ErrCorrupt, names[1] + ": first LSN 11, want 1"},
		{"unknown version", header(2, 1), ErrUnsupportedVersion, names[0] + ": version 2"},
		{"header contradicts name", header(1, 2), ErrCorrupt, names[0] + ": header first LSN 2 contradicts file name"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			crashed := cloneMem(t, fs, names[0], tc.contents)
			_, err := Open(Options{FS: crashed, Dir: testDir})
			require.ErrorIs(t, err, tc.wantErr)
			require.ErrorContains(t, err, tc.wantMsg)
			// Open did not modify anything.
			require.Equal(t, readFile(t, fs, fs.PathJoin(testDir, names[1])),
				readFile(t, crashed, crashed.PathJoin(testDir, names[1])))
		})
	}

	t.Run("missing middle file", func(t *testing.T) {
		fs := vfs.NewMem()
		for range 3 {
			l := openLog(t, fs, Options{})
			_, err := l.Commit([]byte("x"))
			require.NoError(t, err)
			require.NoError(t, l.Close())
		}
		require.NoError(t, fs.Remove(fs.PathJoin(testDir, fileName(2))))
		_, err := Open(Options{FS: fs, Dir: testDir})
		require.ErrorIs(t, err, ErrCorrupt)
		require.ErrorContains(t, err, fileName(3)+": first LSN 3, want 2")
	})
}

// TestReplayDetectsCorruption: damage to the durable prefix after Open is
// reported by Replay, not skipped.
func TestReplayDetectsCorruption(t *testing.T) {
	fs, _, names := twoFileLog(t)
	l := openLog(t, fs, Options{})
	path := fs.PathJoin(testDir, names[0])
	b := readFile(t, fs, path)
	offs := recordOffsets(t, b)
	b[offs[2]+recordHeaderSize] ^= 1
	writeFile(t, fs, path, b)
	n := 0
	err := l.Replay(0, func(LSN, []byte) error { n++; return nil })
	require.ErrorIs(t, err, ErrCorrupt)
	require.ErrorContains(t, err, fmt.Sprintf("%s off %d", names[0], offs[2]))
	require.Equal(t, 2, n)
	// From past the damage works.
	require.Len(t, replayAll(t, l, 11), 10)
}

func TestLeftoverTmpRemoved(t *testing.T) {
	fs, recs, names := twoFileLog(t)
	writeFile(t, fs, fs.PathJoin(testDir, names[1]+tmpSuffix), []byte("half a repair"))
	writeFile(t, fs, fs.PathJoin(testDir, "notes.tmp"), []byte("not ours"))
	l := openLog(t, fs, Options{})
	require.Equal(t, recs, replayAll(t, l, 0))
	_, err := fs.Stat(fs.PathJoin(testDir, names[1]+tmpSuffix))
	require.Error(t, err)
	_, err = fs.Stat(fs.PathJoin(testDir, "notes.tmp"))
	require.NoError(t, err)
}

func TestParseFileName(t *testing.T) {
	tests := []struct {
		name   string
		want   LSN
		wantOK bool
	}{
		{"0000000000000001.wal", 1, true},
		{"00000000000000ff.wal", 255, true},
		{"00000000000000FF.wal", 0, false},
		{"000000000000001.wal", 0, false},
		{"0000000000000001.wal.tmp", 0, false},
		{"0000000000000001.log", 0, false},
		{"wal.lock", 0, false},
		{"+000000000000001.wal", 0, false},
	}
	for _, tc := range tests {
		got, ok := parseFileName(tc.name)
		require.Equal(t, tc.wantOK, ok, tc.name)
		require.Equal(t, tc.want, got, tc.name)
	}
}
