package wal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/cespare/xxhash/v2"
	"github.com/cockroachdb/errors/oserror"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// Retirement moves old log files out of the live directory so that the
// log stops growing without bound once the engine holds a verified
// checkpoint of everything they say. See doc.go, "Retirement".
//
// The RETIRED marker in Options.Dir is 24 bytes, little-endian:
//
//	+---------------+----------------+---------------+
//	| magic (8)     | first live LSN | xxh64 (8)     |
//	| "WORMRET1"    | u64            | of bytes 0-15 |
//	+---------------+----------------+---------------+
//	 0               8                16              24
//
// It names the first LSN the live directory must hold. Without it the log
// starts at 1. retiredMagic, retiredSize, RetiredFileName and ArchiveDir
// define this format; do not change them.
const (
	// RetiredFileName is the marker naming the first live LSN. Do not change.
	RetiredFileName = "RETIRED"
	// ArchiveDir is the subdirectory of Options.Dir that retired files are
	// moved (renamed, never copied) into. Do not change.
	ArchiveDir   = "archive"
	retiredMagic = "WORMRET1"
	retiredSize  = 24
)

// encodeRetired returns the RETIRED marker for first live LSN first.
func encodeRetired(first LSN) []byte {
	b := make([]byte, retiredSize)
	copy(b[0:8], retiredMagic)
	binary.LittleEndian.PutUint64(b[8:16], uint64(first))
	binary.LittleEndian.PutUint64(b[16:24], xxhash.Sum64(b[:16]))
	return b
}

// readRetired returns the first live LSN the RETIRED marker in dir names,
// or 1 when there is no marker. A damaged marker is ErrCorrupt: it is
// published atomically, so no crash can tear it.
func readRetired(fs vfs.FS, dir string) (LSN, error) {
	path := fs.PathJoin(dir, RetiredFileName)
	f, err := fs.Open(path)
	if oserror.IsNotExist(err) {
		return 1, nil
	}
	if err != nil {
		return 0, fmt.Errorf("wal: open %s: %w", path, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, retiredSize+1))
	if err != nil {
		return 0, fmt.Errorf("wal: read %s: %w", path, err)
	}
	if len(b) != retiredSize || string(b[0:8]) != retiredMagic ||
		binary.LittleEndian.Uint64(b[16:24]) != xxhash.Sum64(b[:16]) {
		return 0, fmt.Errorf("%w: %s: damaged retirement marker (%d bytes)", ErrCorrupt, path, len(b))
	}
	first := LSN(binary.LittleEndian.Uint64(b[8:16]))
	if first < 1 || first > maxFirstLSN {
		return 0, fmt.Errorf("%w: %s: first live LSN %d out of range", ErrCorrupt, path, first)
	}
	return first, nil
}

// writeRetired publishes the RETIRED marker: write a temporary file, sync,
// rename, sync the directory.
func writeRetired(fs vfs.FS, dir string, first LSN) error {
	path := fs.PathJoin(dir, RetiredFileName)
	tmp := path + tmpSuffix
	f, err := fs.Create(tmp, vfs.WriteCategoryUnspecified)
	if err != nil {
		return err
	}
	if _, err := f.Write(encodeRetired(first)); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := fs.Rename(tmp, path); err != nil {
		return err
	}
	return syncDir(fs, dir)
}

// retiredStart is the recovery step for retirement. It reads the RETIRED
// marker and returns the LSN the first live file must start at, with
// files (sorted, oldest first) minus those below it. A crash during Retire
// can leave files below the marker in the live directory: the marker is
// published before any file moves, so such files were on their way to the
// archive: they are returned as pending and recoverDir finishes moving
// them (scanDir itself stays read-only). A file below the marker
// when no live file starts exactly at the marker is ErrCorrupt: retirement
// always stops at a file boundary, so something else removed files.
func retiredStart(opts Options, files []fileInfo) (first LSN, pending, live []fileInfo, err error) {
	fs, dir := opts.FS, opts.Dir
	first, err = readRetired(fs, dir)
	if err != nil || first == 1 {
		return 1, nil, files, err
	}
	below := 0
	for below < len(files) && files[below].first < first {
		below++
	}
	if below == 0 {
		return first, nil, files, nil
	}
	if below == len(files) || files[below].first != first {
		return 0, nil, nil, fmt.Errorf("%w: %s says the live log starts at LSN %d, but %s does not end there (missing or overlapping file)",
			ErrCorrupt, RetiredFileName, first, files[below-1].name)
	}
	return first, files[:below], files[below:], nil
}

// moveToArchive renames files into dir/archive and syncs both directories.
func moveToArchive(fs vfs.FS, dir string, files []fileInfo) error {
	arch := fs.PathJoin(dir, ArchiveDir)
	if err := mkdirAllSynced(fs, arch); err != nil {
		return fmt.Errorf("wal: create %s: %w", arch, err)
	}
	for _, fi := range files {
		if err := fs.Rename(fs.PathJoin(dir, fi.name), fs.PathJoin(arch, fi.name)); err != nil {
			return fmt.Errorf("wal: archive %s: %w", fi.name, err)
		}
	}
	// The archive entries first: once the live entries are gone for good
	// the archived ones must already be durable.
	if err := syncDir(fs, arch); err != nil {
		return fmt.Errorf("wal: %w", err)
	}
	if err := syncDir(fs, dir); err != nil {
		return fmt.Errorf("wal: %w", err)
	}
	return nil
}

// FirstLSN returns the first LSN the live directory holds: 1, or the LSN
// after the last retired record. Records below it are only in the archive.
func (l *Log) FirstLSN() LSN {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.mu.first
}

// FileStarts returns the first LSN of every live log file with a durable
// header, oldest first. Callers use it to find records by LSN range
// without reading the whole log (a file holds the records from its first
// LSN up to its successor's first LSN minus one).
func (l *Log) FileStarts() []LSN {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]LSN, len(l.mu.files))
	for i, fi := range l.mu.files {
		out[i] = fi.first
	}
	return out
}

// RetiredFile describes a log file that Retire moved to the archive.
type RetiredFile struct {
	// Name is the file's base name in Options.Dir/archive.
	Name string
	// First and Last are the LSNs of its first and last record.
	First, Last LSN
}

// Retire moves every log file whose records all have LSN <= upTo into
// Options.Dir/archive by rename, and returns them. It never moves the
// newest file, nor a record that is not durable. Safe for concurrent use
// with Append, Sync and Commit; a Replay running concurrently may fail on
// a file moved under it, and a later Replay from below FirstLSN returns
// ErrRetired. Crash-safe: the RETIRED marker naming the new first live LSN
// is made durable before any file moves, and Open finishes a move a crash
// interrupted.
func (l *Log) Retire(upTo LSN) ([]RetiredFile, error) {
	l.retireMu.Lock()
	defer l.retireMu.Unlock()
	l.mu.Lock()
	if l.mu.closed {
		l.mu.Unlock()
		return nil, ErrClosed
	}
	limit := min(upTo, LSN(l.durable.Load()))
	files := l.mu.files
	var move []fileInfo
	var out []RetiredFile
	for i := 0; i+1 < len(files) && files[i+1].first-1 <= limit; i++ {
		move = append(move, files[i])
		out = append(out, RetiredFile{Name: files[i].name, First: files[i].first, Last: files[i+1].first - 1})
	}
	l.mu.Unlock()
	if len(move) == 0 {
		return nil, nil
	}
	// files[len(move)] exists and, being in l.mu.files, has a durable header.
	newFirst := out[len(out)-1].Last + 1
	fs, dir := l.opts.FS, l.opts.Dir
	if err := writeRetired(fs, dir, newFirst); err != nil {
		return nil, fmt.Errorf("wal: write %s: %w", RetiredFileName, err)
	}
	l.mu.Lock()
	l.mu.first = newFirst
	// Only Retire removes files, and the flush leader only appends, so the
	// first len(move) entries are still the ones we chose.
	l.mu.files = slices.Clone(l.mu.files[len(move):])
	l.mu.Unlock()
	if err := moveToArchive(fs, dir, move); err != nil {
		return nil, err
	}
	l.opts.Logger.Info("wal: retired files to archive", "files", len(move), "first_live_lsn", uint64(newFirst))
	return out, nil
}

// ErrRetired reports a Replay from an LSN whose file was retired to the
// archive; replay those records with Archive.
var ErrRetired = errors.New("wal: records retired to the archive")

// Archive reads the log files that Retire moved to Options.Dir/archive.
// Files are never moved back; the operator is expected to ship them
// elsewhere and may remove them once a verified checkpoint covers them.
type Archive struct {
	fs    vfs.FS
	dir   string // the archive directory
	files []fileInfo
	end   LSN // last archived LSN: the live log's first LSN minus one
}

// OpenArchive lists the archive of the log in dir (the log's
// Options.Dir). It is safe to call while the log is open. A missing archive
// is an empty one.
func OpenArchive(fs vfs.FS, dir string) (*Archive, error) {
	first, err := readRetired(fs, dir)
	if err != nil {
		return nil, err
	}
	a := &Archive{fs: fs, dir: fs.PathJoin(dir, ArchiveDir), end: first - 1}
	names, err := fs.List(a.dir)
	if oserror.IsNotExist(err) {
		return a, nil
	}
	if err != nil {
		return nil, fmt.Errorf("wal: list %s: %w", a.dir, err)
	}
	for _, name := range names {
		if lsn, ok := parseFileName(name); ok && lsn < first {
			a.files = append(a.files, fileInfo{first: lsn, name: name})
		}
	}
	slices.SortFunc(a.files, func(x, y fileInfo) int { return cmpLSN(x.first, y.first) })
	return a, nil
}

// Files returns the archived files, oldest first. Last of each is derived
// from its successor's first LSN (the newest from the RETIRED marker).
func (a *Archive) Files() []RetiredFile {
	out := make([]RetiredFile, len(a.files))
	for i, fi := range a.files {
		last := a.end
		if i+1 < len(a.files) {
			last = a.files[i+1].first - 1
		}
		out[i] = RetiredFile{Name: fi.name, First: fi.first, Last: last}
	}
	return out
}

// Covers reports whether the archive holds every record in [from, to].
func (a *Archive) Covers(from, to LSN) bool {
	if from > to {
		return true
	}
	if to > a.end || len(a.files) == 0 || a.files[0].first > from {
		return false
	}
	// Contiguity between names: each file ends where the next begins, which
	// Replay checks against the records themselves.
	return true
}

// Replay calls fn for every archived record with LSN in [from, to], in
// order, validating every record (checksum and LSN sequence) and that each
// file ends exactly where its successor begins. A gap, a damaged record or
// an archive not reaching back to from is ErrCorrupt.
func (a *Archive) Replay(from, to LSN, fn func(LSN, []byte) error) error {
	from = max(from, 1)
	to = min(to, a.end)
	if from > to {
		return nil
	}
	if !a.Covers(from, to) {
		return fmt.Errorf("%w: archive %s does not hold LSNs %d-%d", ErrCorrupt, a.dir, from, to)
	}
	for i, fi := range a.Files() {
		if fi.Last < from || fi.First > to {
			continue
		}
		if err := a.replayFile(a.files[i], fi.Last, from, to, fn); err != nil {
			return err
		}
	}
	return nil
}

// replayFile reads every record of archived file fi, which must hold
// exactly LSNs fi.first..last, and passes those in [from, to] to fn.
func (a *Archive) replayFile(fi fileInfo, last, from, to LSN, fn func(LSN, []byte) error) error {
	f, err := a.fs.Open(a.fs.PathJoin(a.dir, fi.name))
	if err != nil {
		return fmt.Errorf("wal: archive: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("wal: archive: stat %s: %w", fi.name, err)
	}
	if err := readFileHeader(f, fi.name, st.Size(), fi.first); err != nil {
		if errors.Is(err, errTornHeader) {
			return fmt.Errorf("%w: archive %s: bad file header", ErrCorrupt, fi.name)
		}
		return err
	}
	rr := newRecordReader(f, st.Size(), fi.first)
	for {
		lsn, payload, err := rr.Next()
		if err == io.EOF {
			if rr.next-1 != last {
				return fmt.Errorf("%w: archive %s: ends at LSN %d, want %d (gap)", ErrCorrupt, fi.name, rr.next-1, last)
			}
			return nil
		}
		var re *recordError
		if errors.As(err, &re) {
			return fmt.Errorf("%w: archive %s off %d: %s", ErrCorrupt, fi.name, re.off, re.reason)
		}
		if err != nil {
			return fmt.Errorf("wal: archive %s: %w", fi.name, err)
		}
		if lsn > last {
			return fmt.Errorf("%w: archive %s: holds LSN %d past its successor's first %d", ErrCorrupt, fi.name, lsn, last+1)
		}
		if lsn >= from && lsn <= to {
			if err := fn(lsn, payload); err != nil {
				return err
			}
		}
	}
}

// RemoveArchived deletes archived files whose every record has LSN <=
// upTo and returns them. The caller must have made sure those records are
// covered elsewhere (the engine requires a verified checkpoint at or above
// upTo). Files are removed oldest first, so a crash leaves a contiguous
// archive.
func RemoveArchived(fs vfs.FS, dir string, upTo LSN) ([]RetiredFile, error) {
	a, err := OpenArchive(fs, dir)
	if err != nil {
		return nil, err
	}
	var out []RetiredFile
	for _, fi := range a.Files() {
		if fi.Last > upTo {
			break
		}
		if err := fs.Remove(fs.PathJoin(a.dir, fi.Name)); err != nil {
			return out, fmt.Errorf("wal: remove archived %s: %w", fi.Name, err)
		}
		out = append(out, fi)
	}
	if len(out) > 0 {
		if err := syncDir(fs, a.dir); err != nil {
			return out, fmt.Errorf("wal: %w", err)
		}
	}
	return out, nil
}
