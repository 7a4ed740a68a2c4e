package wal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"slices"
	"strings"

	"github.com/cespare/xxhash/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/wormstore/wormstore/internal/fsx"
)

// recoverDir validates the log files in opts.Dir, repairs the newest one
// and makes everything it keeps durable. It returns the kept files, oldest
// first, and the next LSN to assign.
//
// Rules (see doc.go): the directory is first scanned read-only (scanDir).
// If the scan finds corruption, recoverDir returns it as a *CorruptError
// and modifies nothing. Otherwise it removes leftover <name>.tmp files,
// removes a newest file whose header never became durable, cuts a torn
// tail off the newest file, and syncs the newest file and the directory.
func recoverDir(opts Options) ([]fileInfo, LSN, error) {
	fs, dir, log := opts.FS, opts.Dir, opts.Logger
	ds, err := scanDir(opts)
	if err != nil {
		return nil, 0, err
	}
	if ds.corrupt != nil {
		return nil, 0, ds.corrupt
	}
	if last := ds.next - 1; last < opts.RequireLSN {
		return nil, 0, fmt.Errorf("%w: %s ends at LSN %d, but LSN %d was durable; nothing was modified",
			ErrMissingRecords, dir, last, opts.RequireLSN)
	}
	_ = fs.Remove(fs.PathJoin(dir, RetiredFileName+tmpSuffix))
	if len(ds.toArchive) > 0 {
		log.Warn("wal: finishing an interrupted retirement", "files", len(ds.toArchive), "first_live_lsn", uint64(ds.files[0].first))
		if err := moveToArchive(fs, dir, ds.toArchive); err != nil {
			return nil, 0, err
		}
	}
	for _, name := range ds.tmps {
		log.Info("wal: removing leftover temporary file", "segment", name)
		if err := fs.Remove(fs.PathJoin(dir, name)); err != nil {
			return nil, 0, fmt.Errorf("wal: remove %s: %w", name, err)
		}
	}
	var kept []fileInfo
	for i, fs1 := range ds.files {
		newest := i == len(ds.files)-1
		switch {
		case !newest:
		case fs1.tornHeader:
			// Created but never synced: rotation syncs the header and the
			// directory before any record in the file is acknowledged.
			log.Warn("wal: removing newest file with torn header", "segment", fs1.name, "size", fs1.size)
			if err := fs.Remove(fs.PathJoin(dir, fs1.name)); err != nil {
				return nil, 0, fmt.Errorf("wal: remove %s: %w", fs1.name, err)
			}
			continue
		case fs1.bad != nil:
			log.Warn("wal: torn tail", "segment", fs1.name, "offset", fs1.bad.off,
				"reason", fs1.bad.reason, "torn", fs1.torn, "first_dropped_lsn", uint64(fs1.first)+uint64(fs1.records))
			if err := repairTail(opts, fs1.name, fs1.validEnd, fs1.size); err != nil {
				return nil, 0, err
			}
		default:
			// A previous process may have crashed with data in the page
			// cache; make what we are about to call durable durable.
			if err := syncFile(fs, fs.PathJoin(dir, fs1.name)); err != nil {
				return nil, 0, fmt.Errorf("wal: sync %s: %w", fs1.name, err)
			}
		}
		kept = append(kept, fs1.fileInfo)
	}
	// Persist removals, and directory entries a crashed process may not
	// have synced.
	if err := syncDir(fs, dir); err != nil {
		return nil, 0, fmt.Errorf("wal: %w", err)
	}
	return kept, ds.next, nil
}

// dirState is what a read-only scan of the log directory found.
type dirState struct {
	tmps []string // leftover temporary files (<log file>.tmp)
	// files are the scanned log files in LSN order, up to and including the
	// damaged one if corrupt is set.
	files []fileScan
	// next is the LSN after the last valid record of the valid prefix.
	next LSN
	// corrupt is the damage Open refuses, nil if the log is recoverable.
	corrupt *CorruptError
	// after lists the files following the damaged one (all of them lie past
	// the damage), oldest first.
	after []fileInfo
	// toArchive are files below the RETIRED marker that an interrupted
	// retirement left in the live directory; Open finishes moving them.
	toArchive []fileInfo
}

// scanDir scans the log files in opts.Dir without modifying anything.
// Corruption is reported in the result; errors are I/O errors and unknown
// format versions.
func scanDir(opts Options) (*dirState, error) {
	fs, dir := opts.FS, opts.Dir
	names, err := fs.List(dir)
	if err != nil {
		return nil, fmt.Errorf("wal: list %s: %w", dir, err)
	}
	ds := &dirState{next: 1}
	var files []fileInfo
	for _, name := range names {
		if base, ok := strings.CutSuffix(name, tmpSuffix); ok {
			if _, ok := parseFileName(base); ok {
				ds.tmps = append(ds.tmps, name)
			}
			continue
		}
		if first, ok := parseFileName(name); ok {
			files = append(files, fileInfo{first: first, name: name})
		}
	}
	slices.SortFunc(files, func(a, b fileInfo) int { return cmpLSN(a.first, b.first) })

	first, pending, files, err := retiredStart(opts, files)
	if err != nil {
		return nil, err
	}
	ds.next, ds.toArchive = first, pending
	for i, fi := range files {
		newest := i == len(files)-1
		if fi.first != ds.next {
			ds.corrupt = &CorruptError{File: fi.name, Offset: -1, LSN: ds.next,
				Reason: fmt.Sprintf("first LSN %d, want %d (missing or overlapping file)", fi.first, ds.next)}
			ds.after = files[i+1:]
			ds.files = append(ds.files, fileScan{fileInfo: fi})
			break
		}
		res, err := scanFile(fs, dir, fi, newest)
		if err != nil {
			var ce *CorruptError
			if !errors.As(err, &ce) {
				return nil, err
			}
			ds.corrupt = ce
		}
		ds.files = append(ds.files, res)
		switch {
		case ds.corrupt != nil:
		case res.tornHeader && newest:
			continue
		case res.tornHeader:
			ds.corrupt = &CorruptError{File: fi.name, Offset: -1, LSN: fi.first,
				Reason: "bad file header (torn header in a file that is not the newest)"}
		case res.bad != nil && (!newest || res.torn == ""):
			ds.corrupt = &CorruptError{File: fi.name, Offset: res.bad.off,
				LSN: fi.first + LSN(res.records), Reason: res.bad.reason, LaterLSN: res.laterLSN}
		}
		if ds.corrupt != nil {
			ds.after = files[i+1:]
			break
		}
		ds.next += LSN(res.records)
	}
	if ds.corrupt != nil {
		ds.corrupt.Dir = dir
		// Records in the files past the damage are dropped too by cutting
		// the log there; report the highest one (best effort).
		for _, fi := range ds.after {
			if res, err := scanFile(fs, dir, fi, false); err == nil && res.records > 0 {
				ds.corrupt.LaterLSN = max(ds.corrupt.LaterLSN, fi.first+LSN(res.records)-1)
			}
		}
	}
	return ds, nil
}

func cmpLSN(a, b LSN) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// fileScan summarizes one log file.
type fileScan struct {
	fileInfo
	size       int64
	tornHeader bool         // the header never became durable (see errTornHeader)
	records    int64        // valid records
	validEnd   int64        // offset just past the last valid record
	bad        *recordError // first invalid record; nil if the file ends cleanly
	// torn says why bad is explained by a torn write ("" if it is not);
	// set only for the newest file.
	torn string
	// laterLSN is the highest LSN of a valid-looking record found after
	// bad, 0 if none.
	laterLSN LSN
}

// scanFile validates log file fi in dir and, if it is the newest file,
// classifies a bad record as a torn write or corruption. A damaged header
// is returned as a *CorruptError; other errors (I/O, an unknown version)
// are returned as they are.
func scanFile(fs vfs.FS, dir string, fi fileInfo, newest bool) (fileScan, error) {
	res := fileScan{fileInfo: fi}
	f, err := fs.Open(fs.PathJoin(dir, fi.name))
	if err != nil {
		return res, fmt.Errorf("wal: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return res, fmt.Errorf("wal: stat %s: %w", fi.name, err)
	}
	res.size = st.Size()
	err = readFileHeader(f, fi.name, res.size, fi.first)
	switch {
	case errors.Is(err, errTornHeader):
		res.tornHeader = true
		return res, nil
	case errors.Is(err, errBadHeader):
		later, lerr := findLater(f, fileHeaderSize, res.size, fi.first)
		if lerr != nil {
			return res, fmt.Errorf("wal: read %s: %w", fi.name, lerr)
		}
		return res, &CorruptError{File: fi.name, Offset: -1, LSN: fi.first,
			Reason: "bad file header", LaterLSN: later}
	case err != nil:
		return res, err
	}
	rr := newRecordReader(f, res.size, fi.first)
	for {
		_, _, err := rr.Next()
		if err == io.EOF {
			break
		}
		var re *recordError
		if errors.As(err, &re) {
			res.bad = re
			break
		}
		if err != nil {
			return res, fmt.Errorf("wal: read %s: %w", fi.name, err)
		}
		res.records++
	}
	res.validEnd = rr.off
	if res.bad == nil {
		return res, nil
	}
	if res.laterLSN, err = findLater(f, res.bad.off+1, res.size, rr.next); err != nil {
		return res, fmt.Errorf("wal: read %s: %w", fi.name, err)
	}
	if newest {
		if res.torn, err = classifyTail(f, res.size, res.bad, res.laterLSN); err != nil {
			return res, fmt.Errorf("wal: read %s: %w", fi.name, err)
		}
	}
	return res, nil
}

// sectorSize is the granularity at which a crash can lose an unsynced
// write: disks tear at 512-byte sectors, page caches at 4 KiB pages.
const sectorSize = 512

// minZeroTail is the shortest zero-filled file tail that counts as
// evidence of a torn write when it starts inside a record.
const minZeroTail = 8

// classifyTail decides whether bad, the first invalid record of the newest
// file (size bytes), is explained by a torn final write, and returns why,
// or "" for corruption. later is the highest LSN of a valid-looking record
// after bad (0: none). The rules, as etcd's WAL decoder applies them:
//
//   - A zero-filled tail from bad's offset, or from inside bad (at least
//     minZeroTail bytes), is torn: the file grew but the data never landed.
//   - A sector touched by bad that is all zeros (from bad's offset or a
//     sector boundary inside bad, to the end of that sector) is torn: a
//     crash lost that sector of an unsynced write. A flipped bit never
//     zeroes a sector.
//   - A record whose length runs past the end of the file is torn, unless
//     a valid record with a later LSN follows (then its length field was
//     damaged).
//   - Anything else, in particular a complete record that fails its
//     checksum or carries the wrong LSN, is corruption.
func classifyTail(f vfs.File, size int64, bad *recordError, later LSN) (string, error) {
	q, err := zeroTailStart(f, size)
	if err != nil {
		return "", err
	}
	end := min(bad.end, size)
	switch {
	case q <= bad.off:
		return "zero-filled tail", nil
	case q < end && size-q >= minZeroTail:
		return fmt.Sprintf("record runs into a zero-filled tail at off %d", q), nil
	}
	if p, err := zeroSector(f, bad.off, end, size); err != nil {
		return "", err
	} else if p >= 0 {
		return fmt.Sprintf("zero-filled sector at off %d", p), nil
	}
	if bad.end > size && later == 0 {
		return "incomplete final record", nil
	}
	return "", nil
}

// zeroTailStart returns the offset where the run of zero bytes that ends
// the file starts (size if the last byte is not zero).
func zeroTailStart(f vfs.File, size int64) (int64, error) {
	buf := make([]byte, 4096)
	for end := size; end > 0; {
		start := max(end-int64(len(buf)), 0)
		b := buf[:end-start]
		if _, err := f.ReadAt(b, start); err != nil {
			return 0, err
		}
		for i := len(b) - 1; i >= 0; i-- {
			if b[i] != 0 {
				return start + int64(i) + 1, nil
			}
		}
		end = start
	}
	return 0, nil
}

// zeroSector returns the first p in [off, end) that is off or a multiple of
// sectorSize such that the file's bytes from p to the end of p's sector (or
// the end of the file) are all zero, or -1.
func zeroSector(f vfs.File, off, end, size int64) (int64, error) {
	buf := make([]byte, sectorSize)
	for p := off; p < end; p = (p/sectorSize + 1) * sectorSize {
		stop := min((p/sectorSize+1)*sectorSize, size)
		b := buf[:stop-p]
		if _, err := f.ReadAt(b, p); err != nil {
			return 0, err
		}
		if allZero(b) {
			return p, nil
		}
	}
	return -1, nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// findLater searches the bytes [from, size) of f for a valid record (a
// header whose LSN is at least minLSN and plausible for the bytes left,
// whose payload fits and matches the checksum), follows the chain of
// records after it, and returns the chain's last LSN, or 0 if there is no
// such record. It reads the region once, in windows.
func findLater(f vfs.File, from, size int64, minLSN LSN) (LSN, error) {
	if size-from < recordHeaderSize {
		return 0, nil
	}
	maxLSN := minLSN + LSN((size-from)/recordHeaderSize)
	const window = 64 << 10
	var buf []byte
	bufOff := int64(0)
	var d xxhash.Digest
	valid := func(p int64, h []byte, want LSN) (LSN, int64, bool, error) {
		n := int64(binary.LittleEndian.Uint32(h[0:4]))
		lsn := LSN(binary.LittleEndian.Uint64(h[4:12]))
		if lsn < minLSN || lsn > maxLSN || (want != 0 && lsn != want) ||
			n > MaxPayloadSize || p+recordHeaderSize+n > size {
			return 0, 0, false, nil
		}
		payload := make([]byte, n)
		if _, err := f.ReadAt(payload, p+recordHeaderSize); err != nil {
			return 0, 0, false, err
		}
		if recordChecksum(&d, h[:12], payload) != binary.LittleEndian.Uint64(h[12:20]) {
			return 0, 0, false, nil
		}
		return lsn, p + recordHeaderSize + n, true, nil
	}
	for p := from; p+recordHeaderSize <= size; p++ {
		if p+recordHeaderSize > bufOff+int64(len(buf)) {
			bufOff = p
			buf = make([]byte, min(window+recordHeaderSize, size-p))
			if _, err := f.ReadAt(buf, p); err != nil {
				return 0, err
			}
		}
		lsn, next, ok, err := valid(p, buf[p-bufOff:p-bufOff+recordHeaderSize], 0)
		if err != nil {
			return 0, err
		}
		if !ok {
			continue
		}
		last := lsn
		var h [recordHeaderSize]byte
		for next+recordHeaderSize <= size {
			if _, err := f.ReadAt(h[:], next); err != nil {
				return 0, err
			}
			l, n, ok, err := valid(next, h[:], last+1)
			if err != nil {
				return 0, err
			}
			if !ok {
				break
			}
			last, next = l, n
		}
		return last, nil
	}
	return 0, nil
}

// repairTail cuts the file name down to its first validEnd bytes in place
// (fsx.Truncate, then Sync), so a repair needs no free space. A crash
// before the Sync leaves the file uncut or cut, and the next Open finds the
// same valid prefix either way. Only if the file cannot be truncated in
// place (vfs.MemFS) is the prefix copied to name.tmp, synced, and renamed
// over the original, then the directory synced.
func repairTail(opts Options, name string, validEnd, size int64) error {
	fs, dir := opts.FS, opts.Dir
	path := fs.PathJoin(dir, name)
	how := "in place"
	err := truncateInPlace(fs, path, validEnd)
	if errors.Is(err, fsx.ErrTruncateUnsupported) {
		opts.Logger.Warn("wal: cannot truncate in place; copying the valid prefix (needs free space for it)",
			"segment", name, "valid_bytes", validEnd)
		how = "copy"
		err = copyTruncate(fs, dir, path, validEnd)
	}
	if err != nil {
		return fmt.Errorf("wal: repair %s: %w", name, err)
	}
	opts.Logger.Warn("wal: truncated torn tail", "segment", name,
		"valid_bytes", validEnd, "dropped_bytes", size-validEnd, "method", how)
	return nil
}

// truncateInPlace cuts the file at path to n bytes and syncs it (the data
// before n too: a crashed process may have left it in the page cache).
func truncateInPlace(fs vfs.FS, path string, n int64) error {
	f, err := fs.OpenReadWrite(path, vfs.WriteCategoryUnspecified)
	if err != nil {
		return err
	}
	if err := fsx.Truncate(f, n); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

// copyTruncate is the fallback of truncateInPlace: copy the first n bytes
// to path.tmp, sync, rename over path, sync dir.
func copyTruncate(fs vfs.FS, dir, path string, n int64) error {
	tmp := path + tmpSuffix
	if err := copyPrefix(fs, path, tmp, n); err != nil {
		_ = fs.Remove(tmp)
		return err
	}
	if err := fs.Rename(tmp, path); err != nil {
		return err
	}
	return syncDir(fs, dir)
}

// copyPrefix writes the first n bytes of src to a new synced file dst.
func copyPrefix(fs vfs.FS, src, dst string, n int64) (err error) {
	in, err := fs.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := fs.Create(dst, vfs.WriteCategoryUnspecified)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := out.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	if _, err := io.Copy(out, io.NewSectionReader(in, 0, n)); err != nil {
		return err
	}
	return out.Sync()
}

// syncFile fsyncs the file at path.
func syncFile(fs vfs.FS, path string) error {
	f, err := fs.Open(path)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// syncDir fsyncs directory dir, making entries created, renamed or removed
// in it durable.
func syncDir(fs vfs.FS, dir string) error {
	d, err := fs.OpenDir(dir)
	if err != nil {
		return fmt.Errorf("open dir %s: %w", dir, err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sync dir %s: %w", dir, err)
	}
	return nil
}

// mkdirAllSynced creates dir and its missing parents, syncing the parent of
// each directory it creates so the new entries survive a crash.
func mkdirAllSynced(fs vfs.FS, dir string) error {
	var missing []string
	for d := dir; ; {
		_, err := fs.Stat(d)
		if err == nil {
			break
		}
		if !errors.Is(err, iofs.ErrNotExist) {
			return err
		}
		missing = append(missing, d)
		parent := fs.PathDir(d)
		if parent == d {
			break
		}
		d = parent
	}
	if len(missing) == 0 {
		return nil
	}
	if err := fs.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, d := range missing {
		if err := syncDir(fs, fs.PathDir(d)); err != nil {
			return err
		}
	}
	return nil
}
