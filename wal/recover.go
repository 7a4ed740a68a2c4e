package wal

import (
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"slices"
	"strings"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// recoverDir validates the log files in opts.Dir, repairs the newest one
// and makes everything it keeps durable. It returns the kept files, oldest
// first, and the next LSN to assign.
//
// Rules (see doc.go): files must carry contiguous LSNs starting at 1. Any
// invalid record or header in a file other than the newest is ErrCorrupt.
// In the newest file the valid prefix ends at the first invalid record;
// if anything follows it, the prefix is copied to <name>.tmp, synced and
// renamed over the file. A newest file whose header is torn is removed.
// Leftover <name>.tmp files are removed first.
func recoverDir(opts Options) ([]fileInfo, LSN, error) {
	fs, dir, log := opts.FS, opts.Dir, opts.Logger
	names, err := fs.List(dir)
	if err != nil {
		return nil, 0, fmt.Errorf("wal: list %s: %w", dir, err)
	}
	var files []fileInfo
	for _, name := range names {
		if base, ok := strings.CutSuffix(name, tmpSuffix); ok {
			if _, ok := parseFileName(base); ok {
				log.Info("wal: removing leftover temporary file", "segment", name)
				if err := fs.Remove(fs.PathJoin(dir, name)); err != nil {
					return nil, 0, fmt.Errorf("wal: remove %s: %w", name, err)
				}
			}
			continue
		}
		if first, ok := parseFileName(name); ok {
			files = append(files, fileInfo{first: first, name: name})
		}
	}
	slices.SortFunc(files, func(a, b fileInfo) int { return cmpLSN(a.first, b.first) })

	next, files, err := retiredStart(opts, files)
	if err != nil {
		return nil, 0, err
	}
	kept := files[:0]
	for i, fi := range files {
		newest := i == len(files)-1
		if fi.first != next {
			return nil, 0, fmt.Errorf("%w: %s: first LSN %d, want %d (missing or overlapping file)",
				ErrCorrupt, fi.name, fi.first, next)
		}
		res, err := scanFile(fs, dir, fi)
		if err != nil {
			return nil, 0, err
		}
		switch {
		case res.tornHeader && newest:
			// Created but never synced: rotation syncs the header and the
			// directory before any record in the file is acknowledged.
			log.Warn("wal: removing newest file with torn header", "segment", fi.name, "size", res.size)
			if err := fs.Remove(fs.PathJoin(dir, fi.name)); err != nil {
				return nil, 0, fmt.Errorf("wal: remove %s: %w", fi.name, err)
			}
			continue
		case res.tornHeader:
			return nil, 0, fmt.Errorf("%w: %s: bad file header", ErrCorrupt, fi.name)
		case res.bad != nil && !newest:
			return nil, 0, fmt.Errorf("%w: %s off %d: %s", ErrCorrupt, fi.name, res.bad.off, res.bad.reason)
		case res.bad != nil:
			log.Warn("wal: torn tail", "segment", fi.name, "offset", res.bad.off, "reason", res.bad.reason)
			if err := repairTail(opts, fi.name, res.validEnd, res.size); err != nil {
				return nil, 0, err
			}
		case newest:
			// A previous process may have crashed with data in the page
			// cache; make what we are about to call durable durable.
			if err := syncFile(fs, fs.PathJoin(dir, fi.name)); err != nil {
				return nil, 0, fmt.Errorf("wal: sync %s: %w", fi.name, err)
			}
		}
		kept = append(kept, fi)
		next += LSN(res.records)
	}
	// Persist removals, and directory entries a crashed process may not
	// have synced.
	if err := syncDir(fs, dir); err != nil {
		return nil, 0, fmt.Errorf("wal: %w", err)
	}
	return slices.Clone(kept), next, nil
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

// scanResult summarizes one log file.
type scanResult struct {
	size       int64
	tornHeader bool         // the header is short or fails magic/checksum
	records    int64        // valid records
	validEnd   int64        // offset just past the last valid record
	bad        *recordError // first invalid record; nil if the file ends cleanly
}

// scanFile validates log file fi in dir. Damage a torn write can explain
// is reported in the result; anything else (I/O errors, an unknown
// version, a header contradicting the name) is an error.
func scanFile(fs vfs.FS, dir string, fi fileInfo) (scanResult, error) {
	var res scanResult
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
	if errors.Is(err, errTornHeader) {
		res.tornHeader = true
		return res, nil
	}
	if err != nil {
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
	return res, nil
}

// repairTail cuts the file name down to its first validEnd bytes. vfs has
// no Truncate, so the prefix is copied to name.tmp, synced, and renamed
// over the original; then the directory is synced.
func repairTail(opts Options, name string, validEnd, size int64) error {
	fs, dir := opts.FS, opts.Dir
	path := fs.PathJoin(dir, name)
	tmp := path + tmpSuffix
	if err := copyPrefix(fs, path, tmp, validEnd); err != nil {
		return fmt.Errorf("wal: repair %s: %w", name, err)
	}
	if err := fs.Rename(tmp, path); err != nil {
		return fmt.Errorf("wal: repair %s: %w", name, err)
	}
	if err := syncDir(fs, dir); err != nil {
		return fmt.Errorf("wal: repair %s: %w", name, err)
	}
	opts.Logger.Warn("wal: truncated torn tail", "segment", name,
		"valid_bytes", validEnd, "dropped_bytes", size-validEnd)
	return nil
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
