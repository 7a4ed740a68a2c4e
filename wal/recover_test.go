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

// dirSnapshot returns the contents of every file in testDir.
func dirSnapshot(t testing.TB, fs vfs.FS) map[string][]byte {
	t.Helper()
	names, err := fs.List(testDir)
	require.NoError(t, err)
	out := map[string][]byte{}
	for _, n := range names {
		if st, err := fs.Stat(fs.PathJoin(testDir, n)); err == nil && !st.IsDir() {
			out[n] = readFile(t, fs, fs.PathJoin(testDir, n))
		}
	}
	return out
}

// requireCorrupt opens fs, which must fail with a *CorruptError naming
// file, offset and LSN, and leave every file as it was.
func requireCorrupt(t testing.TB, fs vfs.FS, file string, off int64, lsn LSN) *CorruptError {
	t.Helper()
	before := dirSnapshot(t, fs)
	_, err := Open(Options{FS: fs, Dir: testDir})
	require.ErrorIs(t, err, ErrCorrupt)
	var ce *CorruptError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, file, ce.File)
	require.Equal(t, off, ce.Offset)
	require.Equal(t, lsn, ce.LSN)
	want := fmt.Sprintf("%s/%s", testDir, file)
	if off >= 0 {
		want = fmt.Sprintf("%s off %d", want, off)
	}
	require.ErrorContains(t, err, want)
	require.Equal(t, before, dirSnapshot(t, fs), "Open modified a corrupt log")
	return ce
}

// TestTornTailEveryOffset cuts the newest file at every byte offset of its
// last record, with nothing, zeros or random garbage after the cut. A cut
// with nothing or zeros after it is a torn write and is cut away. Garbage
// that completes the record's claimed length is a complete record with a
// bad checksum: corruption, refused without touching the file.
func TestTornTailEveryOffset(t *testing.T) {
	fs, recs, names := twoFileLog(t)
	full := readFile(t, fs, fs.PathJoin(testDir, names[1]))
	offs := recordOffsets(t, full)
	lastStart := offs[len(offs)-1]
	lastLen := int(binary.LittleEndian.Uint32(full[lastStart:]))
	rng := rand.New(rand.NewPCG(1, 2))
	for cut := lastStart; cut < len(full); cut++ {
		for _, tail := range []string{"none", "zeros", "garbage"} {
			b := bytes.Clone(full[:cut])
			switch tail {
			case "zeros":
				b = append(b, make([]byte, 100)...)
			case "garbage":
				for range 1 + rng.IntN(300) {
					b = append(b, byte(rng.Uint32()|1))
				}
			}
			if tail != "none" && len(b) == len(full) {
				continue
			}
			t.Run(fmt.Sprintf("cut=%d/%s", cut, tail), func(t *testing.T) {
				crashed := cloneMem(t, fs, names[1], b)
				headerIntact := cut >= lastStart+recordHeaderSize
				complete := len(b) >= lastStart+recordHeaderSize+lastLen
				if tail == "garbage" && headerIntact && complete {
					requireCorrupt(t, crashed, names[1], int64(lastStart), LSN(len(recs)))
					return
				}
				l, err := Open(Options{FS: crashed, Dir: testDir})
				if tail == "garbage" && !headerIntact && err != nil {
					// The garbage forms the length field: either outcome is
					// right, as long as a refusal keeps the bytes.
					requireCorrupt(t, crashed, names[1], int64(lastStart), LSN(len(recs)))
					return
				}
				require.NoError(t, err)
				require.NoError(t, l.Close())
				// The tail was cut away; the file is exactly the valid prefix.
				require.Equal(t, full[:lastStart], readFile(t, crashed, crashed.PathJoin(testDir, names[1])))
				checkRecovered(t, crashed, recs[:len(recs)-1])
			})
		}
	}
}

// TestCorruptRecordNewestFile flips one bit in every byte of the header
// (length, LSN, checksum) and in the first, middle and last payload byte of
// every record of the newest file, valid records after it or not. Open
// refuses with a CorruptError naming the file, offset and LSN and modifies
// nothing; the only damage that passes as a torn write is a length that
// now runs past the end of the file with nothing valid after it (the last
// record), which the engine catches through its own record of the last LSN.
func TestCorruptRecordNewestFile(t *testing.T) {
	fs, recs, names := twoFileLog(t)
	full := readFile(t, fs, fs.PathJoin(testDir, names[1]))
	offs := recordOffsets(t, full)
	for i, off := range offs {
		n := int(binary.LittleEndian.Uint32(full[off:]))
		var ats []int
		for j := range recordHeaderSize {
			ats = append(ats, j)
		}
		if n > 0 {
			ats = append(ats, recordHeaderSize, recordHeaderSize+n/2, recordHeaderSize+n-1)
		}
		for _, at := range ats {
			field := fieldAt(at)
			bit := byte(1) << (at % 8)
			t.Run(fmt.Sprintf("record=%d/%s/byte=%d", i, field, at), func(t *testing.T) {
				b := bytes.Clone(full)
				b[off+at] ^= bit
				crashed := cloneMem(t, fs, names[1], b)
				claimedEnd := off + recordHeaderSize + int(binary.LittleEndian.Uint32(b[off:]))
				if field == "length" && claimedEnd > len(b) && i == len(offs)-1 {
					checkRecovered(t, crashed, recs[:10+i])
					return
				}
				ce := requireCorrupt(t, crashed, names[1], int64(off), LSN(11+i))
				if i < len(offs)-1 {
					require.Equal(t, LSN(len(recs)), ce.LaterLSN, "valid records after the damage")
				}
			})
		}
	}

	// A record with a valid checksum but the wrong LSN is corruption too.
	t.Run("lsn-gap", func(t *testing.T) {
		b := bytes.Clone(full[:offs[5]])
		b = appendRecord(b, new(xxhash.Digest), 17, []byte("skips an LSN"))
		requireCorrupt(t, cloneMem(t, fs, names[1], b), names[1], int64(offs[5]), 16)
	})
}

// fieldAt names the record field holding byte at of a record.
func fieldAt(at int) string {
	switch {
	case at < 4:
		return "length"
	case at < 12:
		return "lsn"
	case at < recordHeaderSize:
		return "checksum"
	}
	return "payload"
}

// TestTornZeroSector: a crash can lose a sector of an unsynced write in the
// middle and keep later ones (pebble's CrashClone does exactly that). A
// zero-filled sector inside the first bad record is a torn write, even if
// valid records follow: none of them was acknowledged, since the log syncs
// in order.
func TestTornZeroSector(t *testing.T) {
	fs := vfs.NewMem()
	l := openLog(t, fs, Options{})
	var recs []record
	for i := range 40 {
		p := testPayload(i + 1)
		lsn, err := l.Commit(p)
		require.NoError(t, err)
		recs = append(recs, record{lsn, p})
	}
	require.NoError(t, l.Close())
	name := fileName(1)
	full := readFile(t, fs, fs.PathJoin(testDir, name))
	offs := recordOffsets(t, full)
	for _, sector := range []int{1, 3, 6} {
		t.Run(fmt.Sprint("sector", sector), func(t *testing.T) {
			start := sector * sectorSize
			require.Less(t, start+sectorSize, len(full))
			b := bytes.Clone(full)
			clear(b[start : start+sectorSize])
			// The first record touching the sector is the first bad one.
			k := 0
			for k+1 < len(offs) && offs[k+1] <= start {
				k++
			}
			if offs[k]+recordHeaderSize+int(binary.LittleEndian.Uint32(full[offs[k]:])) <= start {
				k++
			}
			checkRecovered(t, cloneMem(t, fs, name, b), recs[:k])
		})
	}
	t.Run("from-record-start-to-sector-end", func(t *testing.T) {
		// A hole starting where the last sync ended.
		k := 0
		for offs[k]%sectorSize < sectorSize-30 {
			k++
		}
		b := bytes.Clone(full)
		clear(b[offs[k] : (offs[k]/sectorSize+1)*sectorSize])
		checkRecovered(t, cloneMem(t, fs, name, b), recs[:k])
	})
}

// TestTornHeader: a newest file whose header is short, or a prefix of the
// right header followed by zeros, was never synced, and is removed. A
// complete header that fails its checksum is corruption: Open refuses and
// keeps the file.
func TestTornHeader(t *testing.T) {
	fs, recs, names := twoFileLog(t)
	full := readFile(t, fs, fs.PathJoin(testDir, names[1]))
	for cut := 0; cut <= fileHeaderSize+5; cut++ {
		t.Run(fmt.Sprintf("cut=%d", cut), func(t *testing.T) {
			crashed := cloneMem(t, fs, names[1], full[:cut])
			checkRecovered(t, crashed, recs[:10])
		})
	}
	for keep := 0; keep < fileHeaderSize; keep += 3 {
		t.Run(fmt.Sprintf("zeros-from=%d", keep), func(t *testing.T) {
			b := bytes.Clone(full)
			clear(b[keep:fileHeaderSize])
			checkRecovered(t, cloneMem(t, fs, names[1], b), recs[:10])
		})
	}
	for i := range fileHeaderSize {
		t.Run(fmt.Sprintf("flip=%d", i), func(t *testing.T) {
			b := bytes.Clone(full)
			b[i] ^= 0x01
			// Magic, version, first LSN and checksum: all fail the header.
			crashed := cloneMem(t, fs, names[1], b)
			before := dirSnapshot(t, crashed)
			_, err := Open(Options{FS: crashed, Dir: testDir})
			if i >= 8 && i < 12 {
				// A version field that still checks out is a clean error.
				require.Error(t, err)
			}
			require.ErrorIs(t, err, ErrCorrupt)
			require.ErrorContains(t, err, names[1]+": bad file header")
			require.Equal(t, before, dirSnapshot(t, crashed))
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
