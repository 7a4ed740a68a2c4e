// Package fsx adds file capabilities that pebble's vfs.File lacks. It sits
// below wal and segment and, like them, reaches files only through vfs.
//
// Truncate cuts a file in place, so that crash recovery (the WAL's torn
// tail, an unsealed segment's torn frames) needs no free space for a copy.
// A file supports it if it has a Truncate(int64) error method (pebble's
// default FS returns files embedding *os.File, which have one; test
// wrappers such as fsxtest.FS add one), or else a valid Fd (errorfs and
// pebble's disk-health wrappers pass the descriptor through). For other
// files (vfs.MemFS) Truncate returns ErrTruncateUnsupported and the caller
// falls back to a copy.
package fsx

import (
	"errors"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// ErrTruncateUnsupported is returned by Truncate for a file that can be cut
// neither through a Truncate method nor through its file descriptor.
var ErrTruncateUnsupported = errors.New("fsx: truncate not supported by this file")

// Truncater is the optional capability Truncate looks for first.
// Truncate(size) must set the file's size like ftruncate(2): the cut is
// durable once the file is synced, and a crash before that leaves the file
// either as it was or cut.
type Truncater interface {
	Truncate(size int64) error
}

// CanTruncate reports whether Truncate can cut f in place (it may still
// fail, e.g. on a file not open for writing).
func CanTruncate(f vfs.File) bool {
	if _, ok := f.(Truncater); ok {
		return true
	}
	return f.Fd() != vfs.InvalidFd && ftruncateSupported
}

// Truncate sets the size of f, which must be open for writing, to size.
// The change is durable only after f.Sync. It returns an error wrapping
// ErrTruncateUnsupported if f has no way to truncate in place.
func Truncate(f vfs.File, size int64) error {
	if t, ok := f.(Truncater); ok {
		return t.Truncate(size)
	}
	if fd := f.Fd(); fd != vfs.InvalidFd {
		return ftruncate(fd, size)
	}
	return ErrTruncateUnsupported
}
