package engine

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/cespare/xxhash/v2"
	"github.com/cockroachdb/pebble/v2"
	"github.com/wormstore/wormstore/wal"
)

// The WAL_END file records an LSN known to be durable in the write-ahead
// log: the log's last LSN at the last clean Close or successful Open. Open
// refuses a log that ends before it (ErrWALBehindIndex): cutting the last
// bytes of the log leaves a valid-looking log, and only this record (and
// the index's applied LSN) tells that acknowledged records are gone. It is
// written atomically (write, fsync, rename, fsync dir). Layout, 24 bytes,
// do not change:
//
//	+--------------+---------------+---------------------------+
//	| "WORMEND1"   | LSN u64 BE    | xxh64 of bytes 0-15 u64 BE |
//	+--------------+---------------+---------------------------+
//	0              8               16                          24
const (
	walEndFile  = "WAL_END"
	walEndMagic = "WORMEND1"
	walEndSize  = 24
)

// quarantineSub is where Recover preserves log files it cuts or moves,
// relative to the log's directory (wal/quarantine, audit/quarantine).
const quarantineSub = "quarantine"

// readWALEnd returns the LSN in the WAL_END file, 0 if there is none. A
// damaged file is ErrCorrupt: it is only ever replaced atomically.
func readWALEnd(e *Engine) (uint64, error) {
	path := e.fs.PathJoin(e.opts.Dir, walEndFile)
	data, err := readSmallFile(e.fs, path)
	if oserrorIsNotExist(err) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("engine: read %s: %w", path, err)
	}
	if len(data) != walEndSize || string(data[:8]) != walEndMagic ||
		xxhash.Sum64(data[:16]) != binary.BigEndian.Uint64(data[16:]) {
		return 0, fmt.Errorf("%w: %s is damaged; run `wormstore recover --data %s` to see what is wrong, "+
			"`wormstore recover --data %s --accept-index-ahead` to accept the log as it is", ErrCorrupt, path, e.opts.Dir, e.opts.Dir)
	}
	return binary.BigEndian.Uint64(data[8:16]), nil
}

// writeWALEnd records lsn as durable in the log.
func writeWALEnd(e *Engine, lsn uint64) error {
	buf := append([]byte(walEndMagic), make([]byte, 8)...)
	binary.BigEndian.PutUint64(buf[8:], lsn)
	buf = binary.BigEndian.AppendUint64(buf, xxhash.Sum64(buf))
	return writeFileAtomic(e.fs, e.opts.Dir, walEndFile, buf)
}

// RecoveryReport is what Inspect found in a data directory.
type RecoveryReport struct {
	// WAL and Audit are the write-ahead log's and the audit log's state
	// (see wal.Inspect); Corrupt is set if Open refuses that log.
	WAL, Audit *wal.Report
	// IndexApplied is the last LSN the index has applied, 0 if the index
	// is missing or unreadable (IndexErr).
	IndexApplied uint64
	IndexErr     error
	// CleanLSN is the LSN the WAL_END file records as durable, 0 if none
	// or damaged (CleanErr).
	CleanLSN uint64
	CleanErr error
}

// Behind returns the refusal Open gives for a log that ends before a known
// durable LSN, or nil.
func (r *RecoveryReport) Behind(dir string) *WALBehindError {
	if r.WAL.Corrupt != nil {
		return nil
	}
	last := uint64(r.WAL.LastLSN)
	if r.IndexApplied <= last && r.CleanLSN <= last {
		return nil
	}
	return &WALBehindError{Dir: dir, WALLast: last, IndexApplied: r.IndexApplied, CleanLSN: r.CleanLSN}
}

// Inspect examines the data directory in opts.Dir without modifying
// anything and reports what Open would find: the write-ahead log's torn
// tail or corruption, the index's applied LSN and the WAL_END record. The
// engine must not be open.
func Inspect(ctx context.Context, opts Options) (*RecoveryReport, error) {
	opts.EnsureDefaults()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	e := &Engine{opts: opts, fs: opts.FS, log: opts.Logger, indexErr: make(chan error, 1)}
	lock, err := e.fs.Lock(e.fs.PathJoin(opts.Dir, lockFile))
	if err != nil {
		return nil, fmt.Errorf("engine: lock data dir %s (is a server using it?): %w", opts.Dir, err)
	}
	defer lock.Close()
	r := &RecoveryReport{}
	if r.WAL, err = wal.Inspect(wal.Options{FS: e.fs, Dir: e.fs.PathJoin(opts.Dir, walDir), Logger: e.log}); err != nil {
		return nil, fmt.Errorf("engine: inspect wal: %w", err)
	}
	if r.Audit, err = wal.Inspect(wal.Options{FS: e.fs, Dir: e.fs.PathJoin(opts.Dir, auditDir), Logger: e.log}); err != nil {
		return nil, fmt.Errorf("engine: inspect audit log: %w", err)
	}
	r.CleanLSN, r.CleanErr = readWALEnd(e)
	po := e.pebbleOptions()
	po.ReadOnly = true
	po.ErrorIfNotExists = true
	db, err := pebble.Open(e.fs.PathJoin(opts.Dir, indexDir), po)
	if err != nil {
		r.IndexErr = err
		return r, nil
	}
	e.db = db
	r.IndexApplied, r.IndexErr = e.appliedLSN()
	if err := db.Close(); err != nil && r.IndexErr == nil {
		r.IndexErr = err
	}
	return r, ctx.Err()
}

// RecoverOptions are the operator's explicit decisions for Recover.
type RecoverOptions struct {
	// TruncateCorruptWAL cuts a corrupt write-ahead log or audit log at
	// the damage (wal.Repair): the damaged file and every later one are
	// preserved in <data>/wal/quarantine (<data>/audit/quarantine) first.
	// It implies AcceptIndexAhead for the records dropped. A cut audit log
	// records the loss in its chain when the engine opens.
	TruncateCorruptWAL bool
	// AcceptIndexAhead accepts a log that ends before the index's applied
	// LSN or the WAL_END record: the index is rebuilt from the log, and the
	// records past the log's end are dropped from it.
	AcceptIndexAhead bool
}

// RecoverResult says what Recover did.
type RecoverResult struct {
	// WALRepair and AuditRepair are what cutting the write-ahead log and
	// the audit log did; nil unless that log was corrupt and
	// TruncateCorruptWAL was set.
	WALRepair, AuditRepair *wal.RepairResult
	// WALLast is the last LSN of the log after recovery.
	WALLast uint64
	// IndexRebuilt reports that the index was ahead of the log and was
	// rebuilt from it.
	IndexRebuilt bool
	// DroppedFrom and DroppedTo bound the LSNs the index or the WAL_END
	// record knew of but the log no longer holds (0, 0 if none).
	DroppedFrom, DroppedTo uint64
}

// Recover applies the operator's decisions in ro to the data directory in
// opts.Dir, opens the engine (recovering it as Open does, and rebuilding
// the index when it is ahead of the log) and closes it again. It refuses
// damage ro does not accept, with the same errors as Open. The engine must
// not be open.
func Recover(ctx context.Context, opts Options, ro RecoverOptions) (*RecoverResult, error) {
	e, err := open(ctx, opts, openMode{truncateCorruptWAL: ro.TruncateCorruptWAL,
		acceptWALBehind: ro.AcceptIndexAhead || ro.TruncateCorruptWAL})
	if err != nil {
		return nil, err
	}
	res := e.recovered
	res.WALLast = uint64(e.wal.LastLSN())
	if err := e.Close(); err != nil {
		return res, err
	}
	return res, nil
}

// corruptLogError wraps an error from wal.Open of the log in sub (walDir or
// auditDir) for the operator.
func corruptLogError(dir, sub string, err error) error {
	what := "write-ahead log"
	if sub == auditDir {
		what = "audit log"
	}
	var ce *wal.CorruptError
	if !errors.As(err, &ce) {
		if sub == auditDir {
			return err // openAudit names the log already
		}
		return fmt.Errorf("engine: open wal: %w", err)
	}
	return fmt.Errorf("%w: %s: %w; nothing was modified. Run `wormstore recover --data %s` to see what is wrong; "+
		"`wormstore recover --data %s --truncate-corrupt-wal` preserves the damaged files in %s/%s/%s "+
		"and cuts the %s at LSN %d", ErrWALCorrupt, what, err, dir, dir, dir, sub, quarantineSub, what, ce.LSN)
}
