// Package fsxtest wraps a vfs.FS, typically a crashable vfs.MemFS, for
// tests of code that uses fsx: files opened for writing gain a Truncate
// method, and an optional byte budget makes writes fail with ENOSPC, as on
// a full disk.
//
// Truncate on a MemFS is modelled so that CrashClone sees what a crash
// after ftruncate(2) can leave: the cut file is written and synced under a
// scratch name (ScratchSuffix) and renamed over the original, and the
// directory entry is synced only by the next Sync of the file. A CrashClone taken between
// Truncate and Sync therefore shows the file uncut (or, with
// UnsyncedDataPercent, possibly cut), never a mix. Side effect: that Sync
// also makes the directory's other unsynced entries durable. After
// Truncate, Write continues at the end of the cut file; use WriteAt.
package fsxtest

import (
	"fmt"
	"sync"
	"syscall"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// ScratchSuffix names the scratch file Truncate builds the cut file in. A
// CrashClone taken during Truncate may contain it.
const ScratchSuffix = ".fsxtest-truncate"

// Unlimited is the budget of an FS that never runs out of space.
const Unlimited = -1

// FS wraps an inner vfs.FS. It is safe for concurrent use.
type FS struct {
	vfs.FS

	mu        sync.Mutex
	budget    int64 // bytes that may still be added to files; guarded by mu
	truncates int   // guarded by mu
}

// New wraps inner with an unlimited budget.
func New(inner vfs.FS) *FS { return &FS{FS: inner, budget: Unlimited} }

// SetBudget lets writes grow files by n more bytes in total (Unlimited: no
// limit). Beyond it, Write, WriteAt and Create fail with ENOSPC. Overwrites
// within a file's size and truncation cost nothing.
func (fs *FS) SetBudget(n int64) {
	fs.mu.Lock()
	fs.budget = n
	fs.mu.Unlock()
}

// Budget returns the bytes left (Unlimited: no limit).
func (fs *FS) Budget() int64 {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.budget
}

// Truncates returns how many Truncate calls succeeded.
func (fs *FS) Truncates() int {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.truncates
}

// charge takes n bytes from the budget, or fails with ENOSPC.
func (fs *FS) charge(n int64) error {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.budget == Unlimited || n <= 0 {
		return nil
	}
	if n > fs.budget {
		return syscall.ENOSPC
	}
	fs.budget -= n
	return nil
}

func (fs *FS) full() bool {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.budget == 0
}

// Create implements vfs.FS.
func (fs *FS) Create(name string, cat vfs.DiskWriteCategory) (vfs.File, error) {
	if fs.full() {
		return nil, fmt.Errorf("create %s: %w", name, syscall.ENOSPC)
	}
	f, err := fs.FS.Create(name, cat)
	if err != nil {
		return nil, err
	}
	return &file{File: f, fs: fs, path: name}, nil
}

// OpenReadWrite implements vfs.FS.
func (fs *FS) OpenReadWrite(name string, cat vfs.DiskWriteCategory, opts ...vfs.OpenOption) (vfs.File, error) {
	f, err := fs.FS.OpenReadWrite(name, cat, opts...)
	if err != nil {
		return nil, err
	}
	return &file{File: f, fs: fs, path: name}, nil
}

// ReuseForWrite implements vfs.FS.
func (fs *FS) ReuseForWrite(oldname, newname string, cat vfs.DiskWriteCategory) (vfs.File, error) {
	f, err := fs.FS.ReuseForWrite(oldname, newname, cat)
	if err != nil {
		return nil, err
	}
	return &file{File: f, fs: fs, path: newname}, nil
}

// file is a writable file of FS.
type file struct {
	vfs.File
	fs   *FS
	path string
	pos  int64 // next Write offset, tracked to charge growth
	// dirPending: a Truncate replaced the directory entry, which the next
	// Sync makes durable.
	dirPending bool
}

func (f *file) size() (int64, error) {
	st, err := f.File.Stat()
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}

func (f *file) Write(p []byte) (int, error) {
	size, err := f.size()
	if err != nil {
		return 0, err
	}
	if err := f.fs.charge(f.pos + int64(len(p)) - size); err != nil {
		return 0, fmt.Errorf("write %s: %w", f.path, err)
	}
	n, err := f.File.Write(p)
	f.pos += int64(n)
	return n, err
}

func (f *file) WriteAt(p []byte, off int64) (int, error) {
	size, err := f.size()
	if err != nil {
		return 0, err
	}
	if err := f.fs.charge(off + int64(len(p)) - size); err != nil {
		return 0, fmt.Errorf("write %s: %w", f.path, err)
	}
	return f.File.WriteAt(p, off)
}

// Truncate implements fsx.Truncater (see the package doc for the model).
func (f *file) Truncate(n int64) error {
	if n < 0 {
		return fmt.Errorf("truncate %s: %w", f.path, syscall.EINVAL)
	}
	size, err := f.size()
	if err != nil {
		return err
	}
	buf := make([]byte, n)
	if k := min(n, size); k > 0 {
		if _, err := f.File.ReadAt(buf[:k], 0); err != nil {
			return fmt.Errorf("truncate %s: %w", f.path, err)
		}
	}
	// The cut file is built under a scratch name and renamed over the
	// original, so the directory entry only ever names a complete node.
	scratch := f.path + ScratchSuffix
	nf, err := f.fs.FS.Create(scratch, vfs.WriteCategoryUnspecified)
	if err != nil {
		return fmt.Errorf("truncate %s: %w", f.path, err)
	}
	if _, err := nf.Write(buf); err == nil {
		err = nf.Sync()
	}
	if err == nil {
		err = f.fs.FS.Rename(scratch, f.path)
	}
	if err != nil {
		_ = nf.Close()
		return fmt.Errorf("truncate %s: %w", f.path, err)
	}
	_ = f.File.Close()
	f.File, f.pos, f.dirPending = nf, n, true
	f.fs.mu.Lock()
	f.fs.truncates++
	f.fs.mu.Unlock()
	return nil
}

func (f *file) Sync() error {
	if err := f.File.Sync(); err != nil {
		return err
	}
	if !f.dirPending {
		return nil
	}
	d, err := f.fs.FS.OpenDir(f.fs.FS.PathDir(f.path))
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		f.dirPending = false
	}
	return err
}

func (f *file) SyncData() error { return f.Sync() }

func (f *file) SyncTo(length int64) (bool, error) {
	if f.dirPending {
		return true, f.Sync()
	}
	return f.File.SyncTo(length)
}
