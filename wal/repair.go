package wal

import (
	"errors"
	"fmt"
	iofs "io/fs"
	"math"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// Report is what Inspect found in a log directory.
type Report struct {
	// Files are the log files, oldest first.
	Files []string
	// LastLSN is the last LSN of the valid prefix: what Open keeps.
	LastLSN LSN
	// Torn describes the torn write Open would cut off the newest file;
	// nil if there is none.
	Torn *TornTail
	// Corrupt is the damage Open refuses; nil if Open would succeed.
	Corrupt *CorruptError
}

// TornTail describes the end of the newest file that a crash left
// incomplete, which Open removes.
type TornTail struct {
	File string
	// Offset is where the valid prefix ends (0 with WholeFile).
	Offset int64
	// Bytes is how many bytes Open drops.
	Bytes int64
	// WholeFile is set when the file's header never became durable and
	// Open removes the file.
	WholeFile bool
	// Reason says why the damage counts as a torn write.
	Reason string
}

// Inspect scans the log in opts.Dir like Open does, without modifying
// anything, and reports what Open would keep, cut or refuse. It takes the
// log's lock, so it fails while a Log is open on the directory.
func Inspect(opts Options) (*Report, error) {
	opts = opts.EnsureDefaults()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	lock, err := opts.FS.Lock(opts.FS.PathJoin(opts.Dir, lockFileName))
	if err != nil {
		return nil, fmt.Errorf("wal: lock %s: %w", opts.Dir, err)
	}
	defer lock.Close()
	ds, err := scanDir(opts)
	if err != nil {
		return nil, err
	}
	r := &Report{LastLSN: ds.next - 1, Corrupt: ds.corrupt}
	if ds.corrupt != nil {
		r.LastLSN = ds.corrupt.LSN - 1
	}
	for _, f := range ds.files {
		r.Files = append(r.Files, f.name)
	}
	for _, f := range ds.after {
		r.Files = append(r.Files, f.name)
	}
	if ds.corrupt == nil && len(ds.files) > 0 {
		f := ds.files[len(ds.files)-1]
		switch {
		case f.tornHeader:
			r.Torn = &TornTail{File: f.name, Bytes: f.size, WholeFile: true, Reason: "file header never became durable"}
		case f.bad != nil:
			r.Torn = &TornTail{File: f.name, Offset: f.validEnd, Bytes: f.size - f.validEnd,
				Reason: f.bad.reason + ": " + f.torn}
		}
	}
	return r, nil
}

// RepairResult says what Repair did.
type RepairResult struct {
	// Corrupt is the damage Repair cut the log at; nil if the log was not
	// corrupt and Repair changed nothing.
	Corrupt *CorruptError
	// LastLSN is the last LSN the log holds after the repair.
	LastLSN LSN
	// DroppedFrom and DroppedTo bound the LSNs cut off. DroppedTo is the
	// highest valid-looking LSN found past the damage; it is
	// DroppedFrom-1 when none was found (only the damaged record, if it
	// was one, is gone).
	DroppedFrom, DroppedTo LSN
	// Quarantined lists the preserved copies of the files Repair changed
	// or moved, as paths.
	Quarantined []string
}

// Repair cuts the log in opts.Dir at the corruption that Open refuses, so
// that Open succeeds with the valid prefix, and reports the LSNs dropped.
// Nothing is deleted: first every file past the damaged one is moved into
// quarantineDir (created if needed; it should be on the same filesystem,
// e.g. <wal dir>/quarantine), then a copy of the damaged file is written
// and synced there, and only then is the damaged file cut at the offset of
// its first bad record (or moved whole, for a bad header or an LSN gap).
// Each step is synced, so an interrupted Repair can be run again. A log
// that is not corrupt is left alone. The log must not be open.
func Repair(opts Options, quarantineDir string) (*RepairResult, error) {
	opts = opts.EnsureDefaults()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	fs, dir := opts.FS, opts.Dir
	lock, err := fs.Lock(fs.PathJoin(dir, lockFileName))
	if err != nil {
		return nil, fmt.Errorf("wal: lock %s: %w", dir, err)
	}
	defer lock.Close()
	ds, err := scanDir(opts)
	if err != nil {
		return nil, err
	}
	ce := ds.corrupt
	if ce == nil {
		return &RepairResult{LastLSN: ds.next - 1}, nil
	}
	res := &RepairResult{Corrupt: ce, LastLSN: ce.LSN - 1, DroppedFrom: ce.LSN, DroppedTo: max(ce.LaterLSN, ce.LSN-1)}
	if err := mkdirAllSynced(fs, quarantineDir); err != nil {
		return nil, fmt.Errorf("wal: create %s: %w", quarantineDir, err)
	}
	move := func(name string) error {
		dst, err := freeName(fs, quarantineDir, name)
		if err != nil {
			return err
		}
		if err := fs.Rename(fs.PathJoin(dir, name), dst); err != nil {
			return fmt.Errorf("wal: move %s to %s: %w", name, dst, err)
		}
		if err := syncDir(fs, quarantineDir); err != nil {
			return fmt.Errorf("wal: %w", err)
		}
		if err := syncDir(fs, dir); err != nil {
			return fmt.Errorf("wal: %w", err)
		}
		res.Quarantined = append(res.Quarantined, dst)
		opts.Logger.Warn("wal: moved file past corruption into quarantine", "segment", name, "to", dst)
		return nil
	}
	// Newest first: an interrupted repair leaves a log whose files still
	// start at 1 and end in the damage, which Repair finds again.
	for i := len(ds.after) - 1; i >= 0; i-- {
		if err := move(ds.after[i].name); err != nil {
			return res, err
		}
	}
	if ce.Offset < 0 {
		if err := move(ce.File); err != nil {
			return res, err
		}
		return res, nil
	}
	path := fs.PathJoin(dir, ce.File)
	dst, err := freeName(fs, quarantineDir, ce.File)
	if err != nil {
		return res, err
	}
	if err := copyFile(fs, path, dst); err != nil {
		return res, fmt.Errorf("wal: preserve %s as %s: %w", ce.File, dst, err)
	}
	if err := syncDir(fs, quarantineDir); err != nil {
		return res, fmt.Errorf("wal: %w", err)
	}
	res.Quarantined = append(res.Quarantined, dst)
	st, err := fs.Stat(path)
	if err != nil {
		return res, fmt.Errorf("wal: %w", err)
	}
	if err := repairTail(opts, ce.File, ce.Offset, st.Size()); err != nil {
		return res, err
	}
	opts.Logger.Warn("wal: cut corrupt log", "segment", ce.File, "offset", ce.Offset,
		"dropped_from_lsn", uint64(res.DroppedFrom), "dropped_to_lsn", uint64(res.DroppedTo), "copy", dst)
	return res, nil
}

// freeName returns a path in dir for a copy of name that does not exist
// yet: dir/name, or dir/name.1, dir/name.2, ...
func freeName(fs vfs.FS, dir, name string) (string, error) {
	for i := 0; ; i++ {
		p := fs.PathJoin(dir, name)
		if i > 0 {
			p = fs.PathJoin(dir, fmt.Sprintf("%s.%d", name, i))
		}
		_, err := fs.Stat(p)
		if errors.Is(err, iofs.ErrNotExist) {
			return p, nil
		}
		if err != nil {
			return "", fmt.Errorf("wal: stat %s: %w", p, err)
		}
	}
}

// copyFile writes a synced copy of src to the new file dst.
func copyFile(fs vfs.FS, src, dst string) error {
	return copyPrefix(fs, src, dst, math.MaxInt64)
}
