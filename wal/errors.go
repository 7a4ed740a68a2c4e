package wal

import (
	"errors"
	"fmt"
)

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

	// ErrMissingRecords is returned by Open when the recovered log would end
	// before Options.RequireLSN: records known durable are gone (a cut
	// file, or damage that looks like a torn write). Open modified nothing.
	ErrMissingRecords = errors.New("wal: log ends before a record known durable")

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

// CorruptError describes log damage that a torn write cannot explain. It
// wraps ErrCorrupt. Open returns it (via errors.As) and leaves every byte of
// the log as it found it; Repair cuts the log at it after preserving the
// damaged files.
type CorruptError struct {
	// Dir is the log directory.
	Dir string
	// File is the base name of the damaged file (for an LSN gap: the file
	// after the gap).
	File string
	// Offset is the byte offset of the first invalid record in File, or -1
	// when the whole file is unusable (bad header, LSN gap).
	Offset int64
	// LSN is the LSN the damaged record (or file) should hold: the first
	// record Open cannot vouch for. Every record before it is valid.
	LSN LSN
	// Reason says what failed validation.
	Reason string
	// LaterLSN is the highest LSN of a valid-looking record found after
	// the damage (in the same file, or in later files), 0 if none: records
	// up to it would be dropped by cutting the log at the damage.
	LaterLSN LSN
}

func (e *CorruptError) Error() string {
	where := e.File
	if e.Dir != "" {
		where = e.Dir + "/" + e.File
	}
	if e.Offset >= 0 {
		where = fmt.Sprintf("%s off %d", where, e.Offset)
	}
	msg := fmt.Sprintf("%v: %s: %s (first unreadable LSN %d", ErrCorrupt, where, e.Reason, e.LSN)
	if e.LaterLSN > 0 {
		msg += fmt.Sprintf("; valid records up to LSN %d follow the damage", e.LaterLSN)
	}
	return msg + ")"
}

// Unwrap returns ErrCorrupt.
func (e *CorruptError) Unwrap() error { return ErrCorrupt }
