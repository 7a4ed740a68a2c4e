package segment

import (
	"errors"
	"fmt"
	"log/slog"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// Defaults applied by Options.EnsureDefaults.
const (
	// DefaultBlockSize is the default Options.BlockSize: 1 MiB.
	DefaultBlockSize = 1 << 20
	// DefaultTargetSize is the default Options.TargetSize: 256 MiB.
	DefaultTargetSize = 256 << 20
)

// Options configures a Store. Open copies it; the caller's value is never
// modified.
type Options struct {
	// FS performs all file I/O. Required.
	FS vfs.FS
	// Dir is the directory holding "<id %016x>.seg" files; it is created if
	// missing. Required.
	Dir string
	// BlockSize is the number of raw bytes per block (frame). Default
	// DefaultBlockSize; at most MaxBlockSize.
	BlockSize int
	// TargetSize seals the active segment once its size reaches it. Default
	// DefaultTargetSize. A segment may exceed it by at most one frame.
	TargetSize int64
	// Logger receives recovery and failure reports. nil discards them.
	Logger *slog.Logger
}

// EnsureDefaults fills zero fields with their defaults and returns o.
func (o *Options) EnsureDefaults() *Options {
	if o.BlockSize == 0 {
		o.BlockSize = DefaultBlockSize
	}
	if o.TargetSize == 0 {
		o.TargetSize = DefaultTargetSize
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// Validate reports whether o is usable (after EnsureDefaults).
func (o *Options) Validate() error {
	switch {
	case o.FS == nil:
		return errors.New("segment: Options.FS is required")
	case o.Dir == "":
		return errors.New("segment: Options.Dir is required")
	case o.BlockSize < 1 || o.BlockSize > MaxBlockSize:
		return fmt.Errorf("segment: Options.BlockSize %d out of range [1, %d]", o.BlockSize, MaxBlockSize)
	case o.TargetSize < 1:
		return fmt.Errorf("segment: Options.TargetSize %d must be positive", o.TargetSize)
	}
	return nil
}
