package wal

import (
	"errors"
	"fmt"
	"io"
	"slices"
)

// Replay calls fn for every durable record with LSN >= from, in LSN order.
// It reads only records that were durable when Replay started, so it is
// safe on an open log concurrently with Append, Sync and Commit. The
// payload passed to fn is only valid during the call. If fn returns an
// error, Replay stops and returns it unchanged. A record that fails
// validation inside the durable prefix yields ErrCorrupt naming the file
// and offset.
func (l *Log) Replay(from LSN, fn func(lsn LSN, payload []byte) error) error {
	l.mu.Lock()
	if l.mu.closed {
		l.mu.Unlock()
		return ErrClosed
	}
	durable := LSN(l.durable.Load())
	files := slices.Clone(l.mu.files)
	first := l.mu.first
	l.mu.Unlock()

	from = max(from, 1)
	if from > durable {
		return nil
	}
	if from < first {
		return fmt.Errorf("%w: LSN %d is below the first live LSN %d", ErrRetired, from, first)
	}
	// Every file in files has a durable header. Drop those holding only
	// records past durable, then start at the last one starting <= from.
	for len(files) > 0 && files[len(files)-1].first > durable {
		files = files[:len(files)-1]
	}
	start := 0
	for i, fi := range files {
		if fi.first <= from {
			start = i
		}
	}
	if len(files) == 0 || files[start].first > from {
		return fmt.Errorf("%w: no file holds LSN %d", ErrCorrupt, from)
	}
	for i := start; i < len(files); i++ {
		end := durable // last LSN to read from this file
		if i+1 < len(files) {
			end = files[i+1].first - 1
		}
		if err := l.replayFile(files[i], from, end, fn); err != nil {
			return err
		}
	}
	return nil
}

// replayFile calls fn for the records of fi with LSN in [from, end]; the
// file must hold every LSN from its first up to end.
func (l *Log) replayFile(fi fileInfo, from, end LSN, fn func(LSN, []byte) error) error {
	fs := l.opts.FS
	f, err := fs.Open(fs.PathJoin(l.opts.Dir, fi.name))
	if err != nil {
		return fmt.Errorf("wal: replay: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("wal: replay: stat %s: %w", fi.name, err)
	}
	// The file may grow while we read; records up to end lie within size.
	size := st.Size()
	if err := readFileHeader(f, fi.name, size, fi.first); err != nil {
		if errors.Is(err, errTornHeader) || errors.Is(err, errBadHeader) {
			return fmt.Errorf("%w: %s: bad file header", ErrCorrupt, fi.name)
		}
		return err
	}
	if end < fi.first {
		return nil
	}
	rr := newRecordReader(f, size, fi.first)
	for {
		lsn, payload, err := rr.Next()
		if err == io.EOF {
			return fmt.Errorf("%w: %s off %d: ends at LSN %d, want %d",
				ErrCorrupt, fi.name, rr.off, rr.next-1, end)
		}
		var re *recordError
		if errors.As(err, &re) {
			return fmt.Errorf("%w: %s off %d: %s", ErrCorrupt, fi.name, re.off, re.reason)
		}
		if err != nil {
			return fmt.Errorf("wal: replay %s: %w", fi.name, err)
		}
		if lsn >= from {
			if err := fn(lsn, payload); err != nil {
				return err
			}
		}
		if lsn == end {
			return nil
		}
	}
}
