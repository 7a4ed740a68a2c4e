package engine

import "github.com/wormstore/wormstore/segment"

// Segments returns a description of every segment file, sorted by ID,
// including the active one. It reads in-memory state only (no I/O) and is
// safe for concurrent use; the slice belongs to the caller. It returns nil
// once the engine is closed.
func (e *Engine) Segments() []segment.Info {
	if e.closed.Load() {
		return nil
	}
	return e.segs.Segments()
}
