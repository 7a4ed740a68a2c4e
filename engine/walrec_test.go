package engine

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/stretchr/testify/require"
	"github.com/wormstore/wormstore/wal"
)

// walRecTest is a closed data directory holding COMPLIANCE-locked versions
// and the WAL LSN of each version's PUT.
type walRecTest struct {
	fs     *vfs.MemFS
	opts   Options
	acked  []ackedVersion
	lsnOf  map[string]uint64 // version id → LSN of its PUT record
	newest string            // path of the newest WAL file
}

// newWALRecTest puts n COMPLIANCE versions and closes the engine cleanly.
func newWALRecTest(t *testing.T, n int) *walRecTest {
	t.Helper()
	clock := newFakeClock()
	fs := vfs.NewMem()
	opts := testOptions(fs, clock)
	opts.WALSegmentSize = 1 << 20 // one WAL file: every record is in the newest
	e, err := Open(ctx, opts)
	require.NoError(t, err)
	require.NoError(t, e.CreateBucket(ctx, "lk", CreateBucketOptions{ObjectLock: true}))
	w := &walRecTest{fs: fs, opts: opts, lsnOf: map[string]uint64{}}
	for i := range n {
		data := randBytes(i, 100+i)
		info, err := e.PutObject(ctx, "lk", fmt.Sprintf("k%d", i), bytes.NewReader(data), PutOptions{Size: int64(len(data)),
			Retention: &Retention{ModeCompliance, clock.Now().Add(24 * time.Hour)}})
		require.NoError(t, err)
		w.acked = append(w.acked, ackedVersion{"lk", info.Key, info.VersionID, data, info.Lock})
		w.lsnOf[info.VersionID] = uint64(e.wal.LastLSN())
	}
	require.NoError(t, e.Close())
	names, err := fs.List("/data/wal")
	require.NoError(t, err)
	var wals []string
	for _, name := range names {
		if strings.HasSuffix(name, ".wal") {
			wals = append(wals, name)
		}
	}
	slices.Sort(wals)
	require.Len(t, wals, 1)
	w.newest = "/data/wal/" + wals[0]
	return w
}

// records returns the offsets of the records in the newest WAL file.
func (w *walRecTest) records(t *testing.T) ([]byte, []int) {
	b := walRecRead(t, w.fs, w.newest)
	var offs []int
	for off := 28; off < len(b); off += 20 + int(binary.LittleEndian.Uint32(b[off:])) {
		offs = append(offs, off)
	}
	return b, offs
}

// clone returns a copy of the data directory with the newest WAL file
// replaced by b.
func (w *walRecTest) clone(t *testing.T, b []byte) (*vfs.MemFS, Options) {
	t.Helper()
	dst := vfs.NewMem()
	_, err := vfs.Clone(w.fs, dst, "/", "/")
	require.NoError(t, err)
	f, err := dst.Create(w.newest, vfs.WriteCategoryUnspecified)
	require.NoError(t, err)
	_, err = f.Write(bytes.Clone(b))
	require.NoError(t, err)
	require.NoError(t, f.Close())
	opts := w.opts
	opts.FS = dst
	return dst, opts
}

// checkKept opens the recovered directory and checks that exactly the
// versions whose PUT record has an LSN below droppedFrom exist, with their
// data and lock, and that the store verifies clean.
func (w *walRecTest) checkKept(t *testing.T, opts Options, droppedFrom uint64) {
	t.Helper()
	e, err := Open(ctx, opts)
	require.NoError(t, err)
	defer func() { require.NoError(t, e.Close()) }()
	for _, v := range w.acked {
		data, err := readObject(e, v.bucket, v.key, v.vid)
		if w.lsnOf[v.vid] >= droppedFrom {
			require.Error(t, err, "version %s at LSN %d survived a cut at %d", v.key, w.lsnOf[v.vid], droppedFrom)
			continue
		}
		require.NoError(t, err, "version %s (LSN %d) lost", v.key, w.lsnOf[v.vid])
		require.Equal(t, v.data, data)
		o, err := e.OpenObject(ctx, v.bucket, v.key, v.vid)
		require.NoError(t, err)
		require.Equal(t, v.lock, o.Info.Lock)
	}
	checkEngine(t, e)
}

func walRecRead(t *testing.T, fs vfs.FS, path string) []byte {
	t.Helper()
	f, err := fs.Open(path)
	require.NoError(t, err)
	defer f.Close()
	st, err := f.Stat()
	require.NoError(t, err)
	b := make([]byte, st.Size())
	_, err = f.ReadAt(b, 0)
	require.NoError(t, err)
	return b
}

// TestWALBitFlipRefused is the regression test for a flipped bit in the
// newest WAL file (issue 10, item 1): 40 COMPLIANCE PUTs, a clean shutdown,
// one bit flipped in the length, LSN, checksum or payload of a middle
// record (record 15) or of the last record. Open must refuse, naming the
// file, the offset and the recovery command, and leave the WAL untouched
// (it used to cut the log at the flip and rebuild the index: 13 versions
// remained). The explicit recovery keeps every version before the damage
// and preserves the original file.
func TestWALBitFlipRefused(t *testing.T) {
	w := newWALRecTest(t, 40)
	full, offs := w.records(t)
	for _, rec := range []int{15, len(offs) - 1} {
		off := offs[rec]
		n := int(binary.LittleEndian.Uint32(full[off:]))
		lsn := binary.LittleEndian.Uint64(full[off+4:])
		for _, field := range []struct {
			name string
			at   int
			bit  byte
		}{
			{"length-up", 0, 0x40}, {"length-down", 1, 0x01}, {"length-high", 3, 0x10},
			{"lsn", 4, 0x01}, {"lsn-high", 11, 0x80}, {"checksum", 12, 0x04},
			{"payload-first", 20, 0x01}, {"payload-middle", 20 + n/2, 0x20}, {"payload-last", 19 + n, 0x02},
		} {
			t.Run(fmt.Sprintf("record=%d/%s", rec, field.name), func(t *testing.T) {
				b := bytes.Clone(full)
				b[off+field.at] ^= field.bit
				fs, opts := w.clone(t, b)
				_, err := Open(ctx, opts)
				require.Error(t, err, "Open accepted a damaged WAL")
				require.Equal(t, b, walRecRead(t, fs, w.newest), "Open modified the damaged WAL")
				require.ErrorContains(t, err, "wormstore recover --data /data")
				ro := RecoverOptions{TruncateCorruptWAL: true}
				claimedEnd := off + 20 + int(binary.LittleEndian.Uint32(b[off:]))
				if claimedEnd > len(b) && rec == len(offs)-1 {
					// Indistinguishable from a torn final write, so the
					// WAL accepts the cut, but WAL_END proves the record
					// was durable.
					var be *WALBehindError
					require.ErrorAs(t, err, &be)
					require.Equal(t, lsn-1, be.WALLast)
					require.Equal(t, lsn, be.CleanLSN)
					require.ErrorContains(t, err, "--accept-index-ahead")
					ro = RecoverOptions{AcceptIndexAhead: true}
				} else {
					require.ErrorIs(t, err, ErrWALCorrupt)
					require.ErrorIs(t, err, wal.ErrCorrupt)
					require.ErrorContains(t, err, fmt.Sprintf("%s off %d", w.newest, off))
					require.ErrorContains(t, err, "--truncate-corrupt-wal")
					var ce *wal.CorruptError
					require.ErrorAs(t, err, &ce)
					require.Equal(t, wal.LSN(lsn), ce.LSN)
				}
				rep, err := Inspect(ctx, opts)
				require.NoError(t, err)
				require.True(t, rep.WAL.Corrupt != nil || rep.Behind(opts.Dir) != nil, "Inspect saw nothing wrong")

				res, err := Recover(ctx, opts, ro)
				require.NoError(t, err)
				require.Equal(t, lsn-1, res.WALLast)
				if ro.TruncateCorruptWAL {
					require.Equal(t, wal.LSN(lsn), res.WALRepair.DroppedFrom)
					require.Len(t, res.WALRepair.Quarantined, 1)
					require.Equal(t, b, walRecRead(t, fs, res.WALRepair.Quarantined[0]), "original not preserved")
				} else {
					require.Equal(t, lsn, res.DroppedFrom)
				}
				w.checkKept(t, opts, lsn)
			})
		}
	}
}

// TestWALCutRefused cuts the WAL after a clean shutdown at every byte of
// its last three records, including exactly at record boundaries (a valid
// but shorter log). Every cut drops an acknowledged record, and WAL_END
// proves it: Open refuses with ErrWALBehindIndex naming both LSNs, and the
// explicit recovery keeps everything before the cut.
func TestWALCutRefused(t *testing.T) {
	w := newWALRecTest(t, 12)
	full, offs := w.records(t)
	lastLSN := binary.LittleEndian.Uint64(full[offs[len(offs)-1]+4:])
	for cut := offs[len(offs)-3]; cut < len(full); cut++ {
		t.Run(fmt.Sprint("cut=", cut), func(t *testing.T) {
			_, opts := w.clone(t, full[:cut])
			k := 0
			for k < len(offs) && offs[k]+20+int(binary.LittleEndian.Uint32(full[offs[k]:])) <= cut {
				k++
			}
			keptLSN := binary.LittleEndian.Uint64(full[offs[k-1]+4:])
			_, err := Open(ctx, opts)
			var be *WALBehindError
			require.ErrorAs(t, err, &be)
			require.ErrorIs(t, err, ErrWALBehindIndex)
			require.Equal(t, keptLSN, be.WALLast)
			require.Equal(t, lastLSN, be.CleanLSN)
			require.ErrorContains(t, err, fmt.Sprintf("ends at LSN %d", keptLSN))
			require.ErrorContains(t, err, "wormstore recover --data /data --accept-index-ahead")
			// Rebuild alone does not accept it either.
			require.ErrorIs(t, Rebuild(ctx, opts), ErrWALBehindIndex)

			res, err := Recover(ctx, opts, RecoverOptions{AcceptIndexAhead: true})
			require.NoError(t, err)
			require.Equal(t, keptLSN+1, res.DroppedFrom)
			require.Equal(t, lastLSN, res.DroppedTo)
			w.checkKept(t, opts, keptLSN+1)
		})
	}
}

// TestWALCutRefusedIndexOnly: when only the index's applied LSN proves the
// lost records durable (WAL_END is older, as after a crash), a cut that
// looks like a torn tail is refused before the WAL cuts anything: the WAL
// file keeps every byte. The explicit recovery then keeps what the log
// holds.
func TestWALCutRefusedIndexOnly(t *testing.T) {
	w := newWALRecTest(t, 12)
	full, offs := w.records(t)
	lastLSN := binary.LittleEndian.Uint64(full[offs[len(offs)-1]+4:])
	oldEnd := binary.LittleEndian.Uint64(full[offs[len(offs)-5]+4:])
	for _, cut := range []int{offs[len(offs)-2] + 7, offs[len(offs)-1] + 30, len(full) - 1} {
		t.Run(fmt.Sprint("cut=", cut), func(t *testing.T) {
			fs, opts := w.clone(t, full[:cut])
			require.NoError(t, writeWALEnd(&Engine{fs: fs, opts: opts}, oldEnd))
			k := 0
			for k < len(offs) && offs[k]+20+int(binary.LittleEndian.Uint32(full[offs[k]:])) <= cut {
				k++
			}
			keptLSN := binary.LittleEndian.Uint64(full[offs[k-1]+4:])
			_, err := Open(ctx, opts)
			var be *WALBehindError
			require.ErrorAs(t, err, &be)
			require.Equal(t, keptLSN, be.WALLast)
			require.Equal(t, lastLSN, be.IndexApplied)
			require.Equal(t, oldEnd, be.CleanLSN)
			require.Equal(t, full[:cut], walRecRead(t, fs, w.newest), "the WAL was modified before the refusal")
			require.ErrorIs(t, Rebuild(ctx, opts), ErrWALBehindIndex)
			require.Equal(t, full[:cut], walRecRead(t, fs, w.newest), "Rebuild modified the WAL")

			res, err := Recover(ctx, opts, RecoverOptions{AcceptIndexAhead: true})
			require.NoError(t, err)
			require.True(t, res.IndexRebuilt)
			require.Equal(t, keptLSN+1, res.DroppedFrom)
			require.Equal(t, lastLSN, res.DroppedTo)
			w.checkKept(t, opts, keptLSN+1)
		})
	}
}
