package fuzz

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/wormstore/wormstore/wal"
)

const walFuzzDir = "/wal"

// walFileName mirrors wal's file naming (<first LSN as %016x>.wal).
func walFileName(first uint64) string { return fmt.Sprintf("%016x.wal", first) }

// walFirstLSN returns the first LSN a file header claims, or def if b is
// too short to hold one. Naming the file after it lets mutated headers
// reach the record decoder.
func walFirstLSN(b []byte, def uint64) uint64 {
	if len(b) < 20 {
		return def
	}
	return binary.LittleEndian.Uint64(b[12:20])
}

// FuzzWALReplay writes the input as a WAL file (or, if split is inside it,
// as two files) in a MemFS, opens and replays it. Open and Replay must never
// panic or allocate far beyond the input size; a successful Open must
// replay contiguous LSNs from 1 to LastLSN and accept a new record after
// them.
func FuzzWALReplay(f *testing.F) {
	for _, seed := range walSeeds(f) {
		f.Add(seed, uint16(0))
		if len(seed) > 40 {
			f.Add(seed, uint16(len(seed)/2))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, split uint16) {
		fs := vfs.NewMem()
		if err := fs.MkdirAll(walFuzzDir, 0o755); err != nil {
			t.Fatal(err)
		}
		parts := [][]byte{data}
		if s := int(split); s > 0 && s < len(data) {
			parts = [][]byte{data[:s], data[s:]}
		}
		next := uint64(1)
		for _, p := range parts {
			name := walFileName(walFirstLSN(p, next))
			next++
			if _, err := fs.Stat(fs.PathJoin(walFuzzDir, name)); err == nil {
				continue // both parts claim the same name
			}
			walWriteMemFile(t, fs, fs.PathJoin(walFuzzDir, name), p)
		}

		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		l, err := wal.Open(wal.Options{FS: fs, Dir: walFuzzDir})
		if err != nil {
			if !errors.Is(err, wal.ErrCorrupt) && !errors.Is(err, wal.ErrUnsupportedVersion) {
				t.Fatalf("Open: unexpected error class: %v", err)
			}
			return
		}
		defer l.Close()
		last := l.LastLSN()
		if d := l.DurableLSN(); d != last {
			t.Fatalf("after Open: DurableLSN %d, LastLSN %d", d, last)
		}
		var n wal.LSN
		err = l.Replay(0, func(lsn wal.LSN, payload []byte) error {
			if lsn != n+1 {
				return fmt.Errorf("replayed LSN %d after %d", lsn, n)
			}
			if len(payload) > wal.MaxPayloadSize || len(payload) > len(data) {
				return fmt.Errorf("LSN %d: payload of %d bytes from %d input bytes", lsn, len(payload), len(data))
			}
			n = lsn
			return nil
		})
		runtime.ReadMemStats(&after)
		if err != nil {
			t.Fatalf("Replay: %v", err)
		}
		if n != last {
			t.Fatalf("replayed up to LSN %d, LastLSN %d", n, last)
		}
		// Buffers are bounded by the input, not by length fields in it.
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 2<<20+16*uint64(len(data)) {
			t.Fatalf("Open+Replay allocated %d bytes for %d input bytes", alloc, len(data))
		}

		// The recovered log accepts new records and keeps them.
		lsn, err := l.Commit([]byte("fuzz"))
		if err != nil {
			t.Fatalf("Commit after recovery: %v", err)
		}
		if lsn != last+1 {
			t.Fatalf("Commit after recovery: LSN %d, want %d", lsn, last+1)
		}
		if err := l.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		l2, err := wal.Open(wal.Options{FS: fs, Dir: walFuzzDir})
		if err != nil {
			t.Fatalf("reopen: %v", err)
		}
		defer l2.Close()
		if got := l2.LastLSN(); got != lsn {
			t.Fatalf("reopen: LastLSN %d, want %d", got, lsn)
		}
		var tail []byte
		if err := l2.Replay(lsn, func(_ wal.LSN, p []byte) error { tail = bytes.Clone(p); return nil }); err != nil {
			t.Fatalf("replay after reopen: %v", err)
		}
		if string(tail) != "fuzz" {
			t.Fatalf("record %d after reopen: %q", lsn, tail)
		}
	})
}

// walSeeds returns valid log files: the committed v1 format files in
// wal/testdata/v1, and each concatenated with its successor (so a split
// point inside yields two valid files).
func walSeeds(f *testing.F) [][]byte {
	dir := "../wal/testdata/v1"
	disk := vfs.Default
	names, err := disk.List(dir)
	if err != nil {
		f.Fatal(err)
	}
	slices.Sort(names)
	var files [][]byte
	for _, name := range names {
		if strings.HasSuffix(name, ".wal") {
			files = append(files, walReadDiskFile(f, disk, disk.PathJoin(dir, name)))
		}
	}
	seeds := slices.Clone(files)
	for i := 0; i+1 < len(files); i++ {
		seeds = append(seeds, append(slices.Clone(files[i]), files[i+1]...))
	}
	return seeds
}

func walReadDiskFile(tb testing.TB, fs vfs.FS, path string) []byte {
	file, err := fs.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer file.Close()
	st, err := file.Stat()
	if err != nil {
		tb.Fatal(err)
	}
	b := make([]byte, st.Size())
	if _, err := file.ReadAt(b, 0); err != nil {
		tb.Fatal(err)
	}
	return b
}

func walWriteMemFile(tb testing.TB, fs vfs.FS, path string, b []byte) {
	file, err := fs.Create(path, vfs.WriteCategoryUnspecified)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := file.Write(bytes.Clone(b)); err != nil {
		tb.Fatal(err)
	}
	if err := file.Close(); err != nil {
		tb.Fatal(err)
	}
}
