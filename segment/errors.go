package segment

import "errors"

// Sentinel errors returned (wrapped, with segment id and file offset where
// known) by this package. Match them with errors.Is.
var (
	// ErrCorrupt marks data that fails validation: a bad checksum, magic,
	// version, impossible length, or an extent that does not line up with
	// the frames of its segment.
	ErrCorrupt = errors.New("segment: corrupt data")

	// ErrClosed is returned by operations on a closed Store, and by Writers
	// and Readers used after their Store was closed.
	ErrClosed = errors.New("segment: store closed")

	// ErrNotFound is returned for a segment id the Store does not know (never
	// existed, or removed).
	ErrNotFound = errors.New("segment: segment not found")

	// ErrActive is returned by Remove for the active segment.
	ErrActive = errors.New("segment: segment is active")

	// ErrBroken is returned, wrapped together with the original I/O error,
	// for data that may not be durable because a write or sync of its
	// segment failed. The segment was sealed off: no further writes go to it.
	ErrBroken = errors.New("segment: segment failed and was sealed off")

	// ErrFinished is returned by a Writer used after Finish or Abort.
	ErrFinished = errors.New("segment: writer already finished")

	// ErrInvalidRange is returned by NewReader for a range outside the object
	// described by its extents, and for malformed extents.
	ErrInvalidRange = errors.New("segment: invalid range")
)
