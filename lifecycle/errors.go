package lifecycle

import "errors"

// Errors of Decode.
var (
	// ErrFormatTooNew: the stored document was written by a newer wormstore.
	ErrFormatTooNew = errors.New("lifecycle: configuration format is newer than this binary")
	// ErrCorrupt: the stored document does not decode.
	ErrCorrupt = errors.New("lifecycle: corrupt configuration document")
)
