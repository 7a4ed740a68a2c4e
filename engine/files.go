package engine

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"time"

	"github.com/cespare/xxhash/v2"
	"github.com/cockroachdb/errors/oserror"
	"github.com/cockroachdb/pebble/v2/vfs"
)

func oserrorIsNotExist(err error) bool { return err != nil && oserror.IsNotExist(err) }

// readSmallFile reads a whole small control file (FORMAT, CLOCK).
func readSmallFile(fs vfs.FS, path string) ([]byte, error) {
	f, err := fs.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, 4096))
}

// writeFileAtomic publishes a small control file: write to a temporary
// name, sync, rename over the target, sync the directory.
func writeFileAtomic(fs vfs.FS, dir, name string, data []byte) error {
	tmp := fs.PathJoin(dir, name+".tmp")
	f, err := fs.Create(tmp, vfs.WriteCategoryUnspecified)
	if err != nil {
		return fmt.Errorf("engine: create %s: %w", tmp, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("engine: write %s: %w", tmp, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("engine: sync %s: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := fs.Rename(tmp, fs.PathJoin(dir, name)); err != nil {
		return fmt.Errorf("engine: rename %s: %w", tmp, err)
	}
	return syncDir(fs, dir)
}

// The CLOCK file holds the time high-water mark: unix ns (u64 BE) and the
// XXH64 of those 8 bytes. Do not change.
func (e *Engine) loadClock() error {
	path := e.fs.PathJoin(e.opts.Dir, clockFile)
	data, err := readSmallFile(e.fs, path)
	if oserrorIsNotExist(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("engine: read %s: %w", path, err)
	}
	if len(data) != 16 || xxhash.Sum64(data[:8]) != binary.BigEndian.Uint64(data[8:]) {
		// A torn CLOCK file only loses the idle-time part of the mark; the
		// WAL's record times still bound it from below.
		e.log.Warn("engine: ignoring damaged clock file", "path", path)
		return nil
	}
	t := int64(binary.BigEndian.Uint64(data[:8]))
	e.observeTime(t)
	e.clockMu.Lock()
	e.persistedHWM = t
	e.clockMu.Unlock()
	return nil
}

// persistClock advances the high-water mark to now and writes it if it
// moved since last time.
func (e *Engine) persistClock() error {
	e.clockMu.Lock()
	defer e.clockMu.Unlock()
	h := e.judgeNow().UnixNano()
	if h <= e.persistedHWM {
		return nil
	}
	buf := binary.BigEndian.AppendUint64(nil, uint64(h))
	buf = binary.BigEndian.AppendUint64(buf, xxhash.Sum64(buf))
	if err := writeFileAtomic(e.fs, e.opts.Dir, clockFile, buf); err != nil {
		return err
	}
	e.persistedHWM = h
	return nil
}

// clockLoop advances and persists the high-water mark while the engine
// runs, so that even an idle server's clock cannot later be set back below
// the time it was last seen running. It warns (once at open and once per
// tick) while the clock is behind the mark; see clock.go.
func (e *Engine) clockLoop() {
	defer e.wg.Done()
	t := time.NewTicker(e.opts.ClockPersistInterval)
	defer t.Stop()
	e.warnClockBehind() // at open: the mark now includes the WAL and CLOCK file
	for {
		select {
		case <-e.stop:
			return
		case <-t.C:
			e.warnClockBehind()
			if err := e.persistClock(); err != nil {
				e.log.Error("engine: persist clock high-water mark", "err", err)
			}
			if err := e.anchorAudit(context.Background()); err != nil {
				e.log.Error("engine: anchor audit head", "err", err)
			}
		}
	}
}

// mkdirSynced creates dir (and missing parents) and syncs every parent
// whose entries changed, so the directory survives a crash.
func mkdirSynced(fs vfs.FS, dir string) error {
	if _, err := fs.Stat(dir); err == nil {
		return nil
	}
	parent := fs.PathDir(dir)
	if parent != dir {
		if err := mkdirSynced(fs, parent); err != nil {
			return err
		}
	}
	if err := fs.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return syncDir(fs, parent)
}

func syncDir(fs vfs.FS, dir string) error {
	d, err := fs.OpenDir(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
