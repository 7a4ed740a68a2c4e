package wal

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// DefaultSegmentSize is the default Options.SegmentSize, 64 MiB.
const DefaultSegmentSize = 64 << 20

// Options configures Open. Open copies it; the caller's value is never
// modified.
type Options struct {
	// FS performs all file I/O. Required.
	FS vfs.FS
	// Dir holds the log files, named <first LSN as %016x>.wal, and the lock
	// file wal.lock. It is created (with its missing parents, which are
	// synced) if missing. Required.
	Dir string
	// SegmentSize is the size at which the current file is closed and a new
	// one started. A file exceeds it by at most one group-commit batch.
	// Default DefaultSegmentSize (64 MiB).
	SegmentSize int64
	// Logger receives recovery events (torn tails repaired, files removed).
	// Nil discards.
	Logger *slog.Logger
	// OnSync, if set, is called after every fsync the log issues for
	// appended records with its duration and the number of records it made
	// durable (0 for the directory fsync that follows creating a file). It
	// runs on the committing goroutine before the batch's waiters wake, so
	// it must be fast and must not call the Log. Intended for metrics.
	OnSync func(d time.Duration, records int)
	// RequireLSN, if set, is an LSN the caller knows was durable. If the
	// recovered log would end before it, Open fails with ErrMissingRecords
	// before modifying anything (a torn-looking tail is then not cut).
	RequireLSN LSN
	// BeforeSync, if set, is called by the group-commit leader before it
	// writes and fsyncs a batch, outside the log's lock, after the batch's
	// records were taken. Calls are serialised, but one may run while the
	// previous batch is being written and fsynced (the pipeline in Log's
	// doc); the batch is written only after BeforeSync returned. The
	// engine uses it to fsync the object data and audit entries those
	// records point at, so data, audit and records become durable in
	// order. An error fails the batch and, like any write failure, makes
	// the log refuse further appends.
	BeforeSync func() error
}

// EnsureDefaults fills zero fields with their defaults and returns o.
func (o Options) EnsureDefaults() Options {
	if o.SegmentSize == 0 {
		o.SegmentSize = DefaultSegmentSize
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// Validate reports whether o (after EnsureDefaults) is usable.
func (o Options) Validate() error {
	var errs []error
	if o.FS == nil {
		errs = append(errs, errors.New("FS is nil"))
	}
	if o.Dir == "" {
		errs = append(errs, errors.New("Dir is empty"))
	}
	if o.SegmentSize < 0 {
		errs = append(errs, fmt.Errorf("SegmentSize %d is negative", o.SegmentSize))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("wal: invalid options: %w", err)
	}
	return nil
}
