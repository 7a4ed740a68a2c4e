package wal

import (
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cespare/xxhash/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// LSN is a log sequence number. The first record of a log is 1; each
// record's LSN is its predecessor's plus one; an LSN is never reused. 0
// means "no record".
type LSN uint64

// lockFileName is the lock file that keeps two Logs off one directory.
const lockFileName = "wal.lock"

// maxSpareCap bounds the capacity of a batch buffer kept for reuse, so one
// huge batch does not pin its memory forever.
const maxSpareCap = 4 << 20

// fileInfo names one log file.
type fileInfo struct {
	first LSN    // LSN of its first record (from its name and header)
	name  string // base name, fileName(first)
}

// Log is a write-ahead log. All methods are safe for concurrent use.
//
// Records are appended to an in-memory tail by Append and made durable by
// Sync, which implements group commit in a two-stage pipeline: a caller
// that finds no batch being prepared becomes the leader of the next batch,
// takes every record appended so far and runs Options.BeforeSync (the
// engine's data and audit fsyncs) while the previous batch may still be
// being written and fsynced; then, once that write is done, it writes and
// fsyncs its own batch. Both stages run without the append lock; batches
// are written in LSN order; callers arriving meanwhile wait and form the
// next batch.
type Log struct {
	opts Options
	lock io.Closer // lock file; released by Close

	// durable is the last durable LSN. Written only with mu held; read
	// without it.
	durable atomic.Uint64

	mu struct {
		sync.Mutex
		// cond is signalled (Broadcast) when a flush ends.
		cond sync.Cond
		// next is the LSN the next Append gets. Guarded by mu.
		next LSN
		// pending holds the encoded records after those being flushed, i.e.
		// LSNs (flushTarget, next). Guarded by mu.
		pending []byte
		// pendingRecords counts the records in pending. Guarded by mu.
		pendingRecords int
		// spare is an empty buffer to swap in for pending. Guarded by mu.
		spare []byte
		// preparing is set while a leader has taken a batch (LSNs up to
		// taken) and runs BeforeSync or waits for the previous batch's
		// write; at most one batch is being prepared. Guarded by mu.
		preparing bool
		// writing is set while a leader writes and syncs a batch; the
		// leader owns cur and curSize. Guarded by mu.
		writing bool
		// taken is the last LSN taken out of pending by a leader (durable,
		// being written, or being prepared). Guarded by mu.
		taken LSN
		// closed is set by Close. Guarded by mu.
		closed bool
		// err is the sticky write/fsync failure. Guarded by mu.
		err error
		// files lists the log files whose headers are durable, oldest
		// first. Guarded by mu.
		files []fileInfo
		// first is the first LSN in the live directory (see Retire).
		// Guarded by mu.
		first LSN
	}
	// retireMu serialises Retire.
	retireMu sync.Mutex
	// digest is checksum scratch for Append. Guarded by mu.
	digest xxhash.Digest

	// cur is the file being appended to, nil until the first flush after
	// Open. cur and curSize are owned by the writing leader (the goroutine
	// that set mu.writing) and, once no flush can start, by Close.
	cur     vfs.File
	curName string
	curSize int64
}

// Open opens the log in opts.Dir, creating the directory if needed, and
// recovers it: every file is validated; a torn tail of the newest file is
// cut off (see doc.go); damage anywhere else fails Open with ErrCorrupt.
// Records that survive recovery are durable and readable with Replay.
// New records go to a new file, created at the first Sync.
func Open(opts Options) (*Log, error) {
	opts = opts.EnsureDefaults()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if err := mkdirAllSynced(opts.FS, opts.Dir); err != nil {
		return nil, fmt.Errorf("wal: create %s: %w", opts.Dir, err)
	}
	lock, err := opts.FS.Lock(opts.FS.PathJoin(opts.Dir, lockFileName))
	if err != nil {
		return nil, fmt.Errorf("wal: lock %s: %w", opts.Dir, err)
	}
	files, next, err := recoverDir(opts)
	if err != nil {
		_ = lock.Close()
		return nil, err
	}
	l := &Log{opts: opts, lock: lock}
	l.mu.cond.L = &l.mu.Mutex
	l.mu.next = next
	l.mu.taken = next - 1
	l.mu.files = files
	l.mu.first = next
	if len(files) > 0 {
		l.mu.first = files[0].first
	}
	l.durable.Store(uint64(next - 1))
	return l, nil
}

// Append adds a record with a copy of payload to the in-memory tail and
// returns its LSN. The record is not durable until Sync of an LSN >= it
// returns nil. LSNs are assigned in call order. Append fails with
// ErrTooLarge for a payload over MaxPayloadSize, ErrClosed after Close, and
// the sticky ErrFailed error after a write or fsync failure.
//
// Records stay in memory until a Sync; callers that never Sync grow memory
// without bound.
func (l *Log) Append(payload []byte) (LSN, error) {
	if len(payload) > MaxPayloadSize {
		return 0, fmt.Errorf("%w: %d bytes, max %d", ErrTooLarge, len(payload), MaxPayloadSize)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.mu.closed {
		return 0, ErrClosed
	}
	if l.mu.err != nil {
		return 0, l.mu.err
	}
	lsn := l.mu.next
	l.mu.next++
	l.mu.pending = appendRecord(l.mu.pending, &l.digest, lsn, payload)
	l.mu.pendingRecords++
	return lsn, nil
}

// Sync returns once every record with LSN <= lsn is durable (written and
// fsynced), or with the error that prevented it. Concurrent callers share
// one write and fsync: a leader flushes everything appended so far while
// the others wait; callers arriving during a flush form the next batch.
// Appends are not blocked during the fsync.
//
// Sync of an LSN that is already durable returns nil, even after Close or a
// failure. Sync of an LSN not yet appended is an error.
func (l *Log) Sync(lsn LSN) error {
	if LSN(l.durable.Load()) >= lsn {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for {
		switch {
		case LSN(l.durable.Load()) >= lsn:
			return nil
		case l.mu.err != nil:
			return l.mu.err
		case lsn >= l.mu.next:
			return fmt.Errorf("wal: sync of LSN %d beyond last appended LSN %d", lsn, l.mu.next-1)
		case lsn <= l.mu.taken || l.mu.preparing:
			// In a batch on its way, or behind the batch being prepared.
			l.mu.cond.Wait()
		case l.mu.closed:
			// Unreachable: Close flushes everything before it finishes.
			return ErrClosed
		default:
			l.flushLocked()
		}
	}
}

// Commit appends payload and waits until it is durable. It is Append
// followed by Sync of the returned LSN.
func (l *Log) Commit(payload []byte) (LSN, error) {
	lsn, err := l.Append(payload)
	if err != nil {
		return 0, err
	}
	return lsn, l.Sync(lsn)
}

// LastLSN returns the LSN of the last appended record (durable or not), 0
// for an empty log.
func (l *Log) LastLSN() LSN {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.mu.next - 1
}

// DurableLSN returns the LSN of the last durable record, 0 if none.
func (l *Log) DurableLSN() LSN {
	return LSN(l.durable.Load())
}

// Close flushes and syncs pending records, then closes the log. It returns
// the sticky failure, if any, or ErrClosed if the log was already closed.
// Callers blocked in Sync return normally once their records are durable.
func (l *Log) Close() error {
	l.mu.Lock()
	if l.mu.closed {
		l.mu.Unlock()
		return ErrClosed
	}
	l.mu.closed = true
	for l.mu.err == nil && LSN(l.durable.Load()) < l.mu.next-1 {
		if l.mu.preparing || l.mu.taken == l.mu.next-1 {
			l.mu.cond.Wait()
		} else {
			l.flushLocked()
		}
	}
	for l.mu.preparing || l.mu.writing {
		l.mu.cond.Wait()
	}
	// No flush can start now: everything appended is durable, or the log
	// has failed. Close owns cur.
	err := l.mu.err
	l.mu.pending, l.mu.spare = nil, nil
	l.mu.Unlock()

	if l.cur != nil {
		if cerr := l.cur.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("wal: close: %w", cerr)
		}
		l.cur = nil
	}
	if cerr := l.lock.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("wal: unlock: %w", cerr)
	}
	return err
}

// flushLocked takes every pending record as one batch, runs BeforeSync,
// waits for the previous batch's write to end, then writes and syncs the
// batch. mu must be held and no batch being prepared; flushLocked
// releases mu during BeforeSync and the I/O and holds it again on return.
// On failure it sets the sticky error; a batch prepared behind a failed
// one is not written.
func (l *Log) flushLocked() {
	buf, records := l.mu.pending, l.mu.pendingRecords
	first := l.mu.taken + 1
	last := l.mu.next - 1
	l.mu.taken = last
	l.mu.pending, l.mu.pendingRecords = l.mu.spare, 0
	l.mu.spare = nil
	l.mu.preparing = true
	l.mu.Unlock()

	var err error
	if l.opts.BeforeSync != nil {
		if err = l.opts.BeforeSync(); err != nil {
			err = fmt.Errorf("before sync: %w", err)
		}
	}

	l.mu.Lock()
	for l.mu.writing {
		l.mu.cond.Wait()
	}
	if err == nil && l.mu.err != nil {
		// The previous batch failed: the log refuses everything after it.
		err = l.mu.err
	}
	l.mu.preparing = false
	var created *fileInfo
	if err == nil {
		l.mu.writing = true
		// The next batch may start preparing now.
		l.mu.cond.Broadcast()
		l.mu.Unlock()
		created, err = l.writeBatch(buf, first, records)
		l.mu.Lock()
		l.mu.writing = false
	}
	if err != nil {
		if l.mu.err == nil {
			l.mu.err = fmt.Errorf("%w: %w", ErrFailed, err)
			l.opts.Logger.Error("wal: write failed; log refuses further appends", "err", err)
		}
	} else {
		if created != nil {
			if n := len(l.mu.files); n > 0 && l.mu.files[n-1].first == created.first {
				// The previous newest file held no records and was
				// replaced by Create.
				l.mu.files[n-1] = *created
			} else {
				l.mu.files = append(l.mu.files, *created)
			}
		}
		l.durable.Store(uint64(last))
	}
	if cap(buf) <= maxSpareCap && l.mu.spare == nil {
		l.mu.spare = buf[:0]
	}
	l.mu.cond.Broadcast()
}

// writeBatch writes buf, holding the encoded records first.. (records of
// them), to the current file and syncs it. If there is no current file or
// it has reached SegmentSize, it first starts a new file named for first;
// that file's header, data and directory entry are all synced before
// writeBatch returns, and the new file is returned. The caller must own
// cur (be the flush leader).
func (l *Log) writeBatch(buf []byte, first LSN, records int) (*fileInfo, error) {
	var created *fileInfo
	if l.cur == nil || l.curSize >= l.opts.SegmentSize {
		// The current file, if any, was fully synced by the previous batch.
		if l.cur != nil {
			err := l.cur.Close()
			l.cur = nil
			if err != nil {
				return nil, fmt.Errorf("close: %w", err)
			}
		}
		name := fileName(first)
		f, err := l.opts.FS.Create(l.opts.FS.PathJoin(l.opts.Dir, name), vfs.WriteCategoryUnspecified)
		if err != nil {
			return nil, fmt.Errorf("create %s: %w", name, err)
		}
		l.cur, l.curName, l.curSize = f, name, 0
		if err := l.write(encodeFileHeader(first)); err != nil {
			return nil, err
		}
		created = &fileInfo{first: first, name: name}
	}
	if err := l.write(buf); err != nil {
		return nil, err
	}
	start := time.Now()
	var err error
	if created != nil {
		// The file is new: sync its metadata too.
		err = l.cur.Sync()
	} else {
		err = l.cur.SyncData()
	}
	if err != nil {
		return nil, fmt.Errorf("sync %s: %w", l.curName, err)
	}
	l.onSync(time.Since(start), records)
	if created != nil {
		start := time.Now()
		if err := syncDir(l.opts.FS, l.opts.Dir); err != nil {
			return nil, err
		}
		l.onSync(time.Since(start), 0)
	}
	return created, nil
}

// write writes b to cur. vfs.File.Write may scribble on b.
func (l *Log) write(b []byte) error {
	n, err := l.cur.Write(b)
	l.curSize += int64(n)
	if err == nil && n != len(b) {
		err = io.ErrShortWrite
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", l.curName, err)
	}
	return nil
}

func (l *Log) onSync(d time.Duration, records int) {
	if l.opts.OnSync != nil {
		l.opts.OnSync(d, records)
	}
}
