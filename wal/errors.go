package wal

import "errors"

// Sentinel errors returned by this package. Errors are wrapped with context
// (file name, offset, LSN); match them with errors.Is.
var (
	// ErrCorrupt reports log contents that fail validation where a torn
	// write cannot explain the damage: a bad record or header in any file but
	// the newest, a gap or overlap in LSNs between files, or a bad record
	// inside the durable prefix during Replay. The wrapping error names the
	// file and byte offset. Open does not guess past it.
	ErrCorrupt = errors.New("wal: corrupt log")

	// ErrUnsupportedVersion reports a file header with a valid checksum and a
	// format version this package does not know.
	ErrUnsupportedVersion = errors.New("wal: unsupported format version")

	// ErrClosed is returned by operations on a closed Log.
	ErrClosed = errors.New("wal: log closed")

	// ErrTooLarge is returned by Append and Commit for a payload longer than
	// MaxPayloadSize.
	ErrTooLarge = errors.New("wal: payload too large")

	// ErrFailed marks the sticky error of a Log whose write or fsync failed.
	// The error returned to every waiter of the failed batch, and by every
	// later Append, Commit and Sync of a record that was not yet durable,
	// wraps both ErrFailed and the original I/O error (so
	// errors.Is(err, syscall.ENOSPC) works). The Log cannot recover from
	// it: after a failed fsync the kernel may have dropped the dirty pages,
	// so retrying could report lost data as durable. Close and reopen; Open
	// recovers the durable prefix.
	ErrFailed = errors.New("wal: log failed")
)
