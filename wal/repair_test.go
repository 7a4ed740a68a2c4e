package wal

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

const testQuarantine = testDir + "/quarantine"

// TestRepairCorrupt: Repair preserves the damaged file and every file past
// it in the quarantine directory, then cuts the log at the damage; Open
// then keeps exactly the records before it, and a second Repair is a
// no-op.
func TestRepairCorrupt(t *testing.T) {
	fs, recs, names := twoFileLog(t)
	first := readFile(t, fs, fs.PathJoin(testDir, names[0]))
	second := readFile(t, fs, fs.PathJoin(testDir, names[1]))
	offs0, offs1 := recordOffsets(t, first), recordOffsets(t, second)
	tests := []struct {
		name        string
		file        int // which file to damage
		at          int // byte to flip
		wantLast    LSN
		wantDropTo  LSN
		quarantined []string
	}{
		{"newest file middle record", 1, offs1[4] + recordHeaderSize + 1, 14, 20, []string{names[1]}},
		{"newest file last record", 1, offs1[9] + 13, 19, 19, []string{names[1]}},
		{"older file", 0, offs0[2] + 5, 2, 20, []string{names[1], names[0]}},
		{"older file header", 0, 3, 0, 20, []string{names[1], names[0]}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			orig := [][]byte{first, second}[tc.file]
			b := bytes.Clone(orig)
			b[tc.at] ^= 0x10
			crashed := cloneMem(t, fs, names[tc.file], b)
			damaged := dirSnapshot(t, crashed)

			rep, err := Inspect(Options{FS: crashed, Dir: testDir})
			require.NoError(t, err)
			require.NotNil(t, rep.Corrupt)
			require.Equal(t, tc.wantLast, rep.LastLSN)
			require.Equal(t, damaged, dirSnapshot(t, crashed), "Inspect modified the log")

			res, err := Repair(Options{FS: crashed, Dir: testDir}, testQuarantine)
			require.NoError(t, err)
			require.Equal(t, tc.wantLast, res.LastLSN)
			require.Equal(t, tc.wantLast+1, res.DroppedFrom)
			require.Equal(t, tc.wantDropTo, res.DroppedTo)
			var got []string
			for i, q := range res.Quarantined {
				got = append(got, crashed.PathBase(q))
				// Every preserved file is byte-identical to the damaged log's.
				require.Equal(t, damaged[crashed.PathBase(q)], readFile(t, crashed, q), "quarantined copy %d", i)
			}
			require.Equal(t, tc.quarantined, got)

			checkRecovered(t, crashed, recs[:tc.wantLast])
			res, err = Repair(Options{FS: crashed, Dir: testDir}, testQuarantine)
			require.NoError(t, err)
			require.Nil(t, res.Corrupt)
		})
	}
}

// TestRepairGap: a missing middle file is cut at the gap; the files after
// it are preserved.
func TestRepairGap(t *testing.T) {
	fs, _, names := twoFileLog(t)
	crashed := cloneMem(t, fs, names[0], nil)
	res, err := Repair(Options{FS: crashed, Dir: testDir}, testQuarantine)
	require.NoError(t, err)
	require.Equal(t, LSN(0), res.LastLSN)
	require.Equal(t, []string{testQuarantine + "/" + names[1]}, res.Quarantined)
	checkRecovered(t, crashed, []record{})
}

// TestInspectTorn: Inspect reports the torn tail Open would cut, without
// cutting it.
func TestInspectTorn(t *testing.T) {
	fs, _, names := twoFileLog(t)
	full := readFile(t, fs, fs.PathJoin(testDir, names[1]))
	offs := recordOffsets(t, full)
	crashed := cloneMem(t, fs, names[1], full[:len(full)-3])
	rep, err := Inspect(Options{FS: crashed, Dir: testDir})
	require.NoError(t, err)
	require.Nil(t, rep.Corrupt)
	require.Equal(t, LSN(19), rep.LastLSN)
	require.Equal(t, &TornTail{File: names[1], Offset: int64(offs[9]), Bytes: int64(len(full) - 3 - offs[9]),
		Reason: fmt.Sprintf("truncated payload: length %d, %d bytes left: incomplete final record",
			len(full)-offs[9]-recordHeaderSize, len(full)-3-offs[9]-recordHeaderSize)}, rep.Torn)
	require.Len(t, readFile(t, crashed, crashed.PathJoin(testDir, names[1])), len(full)-3)
}

// TestRequireLSN: a log whose recovered end lies before RequireLSN is
// refused before its torn-looking tail is cut.
func TestRequireLSN(t *testing.T) {
	fs, recs, names := twoFileLog(t)
	full := readFile(t, fs, fs.PathJoin(testDir, names[1]))
	for _, cut := range []int{len(full) - 1, recordOffsets(t, full)[9]} {
		crashed := cloneMem(t, fs, names[1], full[:cut])
		before := dirSnapshot(t, crashed)
		_, err := Open(Options{FS: crashed, Dir: testDir, RequireLSN: 20})
		require.ErrorIs(t, err, ErrMissingRecords)
		require.ErrorContains(t, err, "ends at LSN 19, but LSN 20 was durable")
		require.Equal(t, before, dirSnapshot(t, crashed))
		l, err := Open(Options{FS: crashed, Dir: testDir, RequireLSN: 19})
		require.NoError(t, err)
		require.Equal(t, recs[:19], replayAll(t, l, 0))
		require.NoError(t, l.Close())
	}
}
