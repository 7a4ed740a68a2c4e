package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/wormstore/wormstore/segment"
	"github.com/wormstore/wormstore/wal"
)

// Data directory layout.
const (
	formatFile   = "FORMAT"
	lockFile     = "LOCK"
	clockFile    = "CLOCK"
	walDir       = "wal"
	segmentsDir  = "segments"
	indexDir     = "index"
	auditDir     = "audit"
	formatPrefix = "wormstore-data-format "
	// currentFormat is the data directory format this code writes. Do not
	// lower it; raise it only with an upgrade path.
	currentFormat = 1
)

// Engine is the object store: buckets, versions, lock records, multipart
// uploads, compaction and verification over a WAL, immutable segments and a
// Pebble index derived from them. All methods are safe for concurrent use.
type Engine struct {
	opts Options
	fs   vfs.FS
	log  *slog.Logger

	dirLock io.Closer
	segs    *segment.Store
	wal     *wal.Log
	db      *pebble.DB

	// mu serialises metadata mutations so that validation, WAL order and
	// index application agree. Data streaming happens outside it.
	mu     sync.Mutex
	failed error // guarded by mu; sticky after an I/O failure

	hwm          atomic.Int64 // time high-water mark, unix ns
	clockMu      sync.Mutex
	persistedHWM int64 // guarded by clockMu

	compactMu sync.Mutex // one compaction at a time
	ckptMu    sync.Mutex // one checkpoint (or archive removal) at a time; Close waits for it
	compactor compactionProgress

	indexErr chan error // Pebble background errors (buffered 1)

	audit *auditLog
	// auditDurable is the newest audit entry known durable. Every WAL
	// record carries the newest appended entry (record.AuditSeq and
	// AuditHash) as an anchor; the WAL syncs the audit log first.
	auditDurable  atomic.Uint64
	auditAnchored uint64     // guarded by mu: the newest audit seq a logged record carries
	anchorMu      sync.Mutex // one anchorAudit at a time

	// buckets caches bucket configurations (read on every request).
	bucketsMu  sync.RWMutex
	buckets    map[string]BucketInfo // guarded by bucketsMu
	bucketsGen uint64                // guarded by bucketsMu; bumped on every bucket record

	// pending holds extents written but maybe not yet fsynced; the WAL
	// group-commit leader syncs them before it fsyncs the records that
	// reference them (wal.Options.BeforeSync).
	pendingMu sync.Mutex
	pending   []segment.Extent // guarded by pendingMu

	bufs sync.Pool // *[]byte of copyBufSize, for writeData

	// vcache holds decoded version values for the read paths (vcache.go).
	vcache versionCache

	// walEnd is the LSN the WAL_END file records as durable (see
	// recover.go); guarded by mu after open.
	walEnd uint64
	// recovered says what an operator-requested recovery did (Recover).
	recovered *RecoverResult

	// tier is the remote tier's state (tier.go); tierSeams are test hooks.
	tier      tierState
	tierSeams *tierSeams

	closed atomic.Bool
	stop   chan struct{}
	wg     sync.WaitGroup
}

// Open opens (creating if needed) the engine in opts.Dir and recovers it:
// torn segment and WAL tails are truncated, and the index is brought up to
// date by replaying the WAL from the last applied record, or rebuilt from
// scratch when it is missing. Open never drops a record it cannot prove
// unacknowledged: a WAL damaged in a way a torn write cannot explain is
// ErrWALCorrupt, and a WAL that ends before the index's applied LSN or the
// LSN recorded at the last clean shutdown is ErrWALBehindIndex; both leave
// the log untouched and name the recovery command (see Recover).
func Open(ctx context.Context, opts Options) (*Engine, error) {
	return open(ctx, opts, openMode{})
}

// Rebuild discards the index in opts.Dir and reconstructs it from the WAL.
// The engine must not be open. Like Open, it refuses a WAL that ends
// before the last LSN known durable.
func Rebuild(ctx context.Context, opts Options) error {
	e, err := open(ctx, opts, openMode{forceRebuild: true})
	if err != nil {
		return err
	}
	return e.Close()
}

// openMode selects the recovery decisions open may take.
type openMode struct {
	// forceRebuild discards the index and rebuilds it (Rebuild).
	forceRebuild bool
	// truncateCorruptWAL cuts a corrupt WAL at the damage (wal.Repair).
	truncateCorruptWAL bool
	// acceptWALBehind accepts a WAL shorter than the index or the WAL_END
	// record and rebuilds the index from it.
	acceptWALBehind bool
}

func open(ctx context.Context, opts Options, mode openMode) (_ *Engine, err error) {
	opts.EnsureDefaults()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	e := &Engine{opts: opts, fs: opts.FS, log: opts.Logger, stop: make(chan struct{}), indexErr: make(chan error, 1),
		buckets: map[string]BucketInfo{}}
	e.bufs.New = func() any { b := make([]byte, copyBufSize); return &b }
	fs := e.fs
	for _, d := range []string{opts.Dir, fs.PathJoin(opts.Dir, walDir), fs.PathJoin(opts.Dir, segmentsDir), fs.PathJoin(opts.Dir, indexDir), fs.PathJoin(opts.Dir, auditDir)} {
		if err := mkdirSynced(fs, d); err != nil {
			return nil, fmt.Errorf("engine: create data dir %s: %w", d, err)
		}
	}
	lock, err := fs.Lock(fs.PathJoin(opts.Dir, lockFile))
	if err != nil {
		return nil, fmt.Errorf("engine: lock data dir %s (is another server using it?): %w", opts.Dir, err)
	}
	e.dirLock = lock
	defer func() {
		if err != nil {
			e.closeParts()
		}
	}()
	if err := e.checkFormat(); err != nil {
		return nil, err
	}
	if err := e.loadClock(); err != nil {
		return nil, err
	}
	start := time.Now()
	e.segs, err = segment.Open(segment.Options{
		FS: fs, Dir: fs.PathJoin(opts.Dir, segmentsDir), BlockSize: opts.BlockSize,
		TargetSize: opts.SegmentSize, Logger: e.log,
	})
	if err != nil {
		return nil, fmt.Errorf("engine: open segments: %w", err)
	}
	e.recovered = &RecoverResult{}
	walOpts := wal.Options{
		FS: fs, Dir: fs.PathJoin(opts.Dir, walDir), SegmentSize: opts.WALSegmentSize,
		Logger: e.log, OnSync: opts.OnWALSync, BeforeSync: e.beforeWALSync,
	}
	if mode.truncateCorruptWAL {
		for _, sub := range []string{walDir, auditDir} {
			d := fs.PathJoin(opts.Dir, sub)
			rr, err := wal.Repair(wal.Options{FS: fs, Dir: d, Logger: e.log}, fs.PathJoin(d, quarantineSub))
			if err != nil {
				return nil, fmt.Errorf("engine: repair %s: %w", d, err)
			}
			if rr.Corrupt == nil {
				continue
			}
			if sub == walDir {
				e.recovered.WALRepair = rr
			} else {
				e.recovered.AuditRepair = rr
			}
			e.log.Warn("recovery: cut a corrupt log as the operator asked", "dir", d, "err", rr.Corrupt,
				"dropped_from_lsn", uint64(rr.DroppedFrom), "dropped_to_lsn", uint64(rr.DroppedTo), "preserved", rr.Quarantined)
		}
	}
	if e.walEnd, err = readWALEnd(e); err != nil && !mode.acceptWALBehind {
		return nil, err
	}
	// The index is opened before the WAL: its applied LSN, like WAL_END,
	// proves records durable, and the WAL must refuse a log that ends
	// before either before it cuts a torn-looking tail off it.
	applied, err := e.openIndexDB(mode)
	if err != nil {
		return nil, err
	}
	if !mode.acceptWALBehind {
		// Refuse before the WAL cuts a torn-looking tail that held
		// records known durable: the bytes stay for the operator.
		walOpts.RequireLSN = wal.LSN(max(e.walEnd, applied))
	}
	e.wal, err = wal.Open(walOpts)
	if errors.Is(err, wal.ErrMissingRecords) {
		rep, ierr := wal.Inspect(walOpts)
		if ierr != nil {
			return nil, fmt.Errorf("engine: open wal: %w", err)
		}
		return nil, &WALBehindError{Dir: opts.Dir, WALLast: uint64(rep.LastLSN), IndexApplied: applied, CleanLSN: e.walEnd}
	}
	if err != nil {
		return nil, corruptLogError(opts.Dir, walDir, err)
	}
	e.log.Info("recovery: segments and wal open", "wal_last_lsn", uint64(e.wal.LastLSN()),
		"segments", len(e.segs.Segments()), "took", time.Since(start))
	if err := e.openIndex(ctx, mode, applied); err != nil {
		return nil, err
	}
	if err := e.openTier(); err != nil {
		return nil, fmt.Errorf("engine: open remote tier segments: %w", err)
	}
	// Everything the WAL now holds is durable: record it, so that a later
	// open notices if the log loses any of it.
	if last := uint64(e.wal.LastLSN()); last != e.walEnd {
		if err := writeWALEnd(e, last); err != nil {
			return nil, err
		}
		e.walEnd = last
	}
	if err := e.openAudit(); err != nil {
		return nil, corruptLogError(opts.Dir, auditDir, err)
	}
	e.log.Info("recovery: done", "took", time.Since(start))
	e.wg.Add(1)
	go e.auditFlushLoop()
	e.wg.Add(1)
	go e.clockLoop()
	if e.opts.CompactionInterval > 0 {
		e.wg.Add(1)
		go e.compactLoop()
	}
	if e.opts.CheckpointInterval > 0 {
		e.wg.Add(1)
		go e.checkpointLoop()
	}
	e.wg.Add(1)
	go e.tierLoop()
	return e, nil
}

func (e *Engine) pebbleOptions() *pebble.Options {
	o := &pebble.Options{
		FS:                 e.fs,
		DisableWAL:         true, // our WAL is the source of truth; see DESIGN.md
		FormatMajorVersion: pebble.FormatTableFormatV6,
		CacheSize:          e.opts.IndexCacheSize,
		Logger:             pebbleLogger{e.log},
		EventListener: &pebble.EventListener{BackgroundError: func(err error) {
			e.log.Error("engine: index background error", "err", err)
			select {
			case e.indexErr <- err:
			default:
			}
		}},
	}
	// Bloom filters make the frequent point lookups (null-version pointers,
	// version ids) of absent keys cheap.
	o.Levels[0].FilterPolicy = bloom.FilterPolicy(10)
	return o
}

// addPending registers freshly written extents for the next WAL batch's
// data sync. It must be called before the record that references them is
// appended.
func (e *Engine) addPending(exts []segment.Extent) {
	e.pendingMu.Lock()
	e.pending = append(e.pending, exts...)
	e.pendingMu.Unlock()
}

// beforeWALSync runs before the WAL writes a batch: the data extents the
// batch's records point at become durable first. Audit entries need no
// sync here: each travels inside its WAL record (record.Audit), so a
// mutation waits for one dependent fsync stage (its data, if any, then
// the WAL's); the audit log file is written off the request path
// (auditLog).
func (e *Engine) beforeWALSync() error {
	exts := e.takePending()
	if len(exts) == 0 {
		return nil
	}
	return e.segs.Sync(exts)
}

// takePending returns and clears the extents registered for the next
// WAL batch's data sync.
func (e *Engine) takePending() []segment.Extent {
	e.pendingMu.Lock()
	exts := e.pending
	e.pending = nil
	e.pendingMu.Unlock()
	return exts
}

// openIndexDB opens the Pebble index and returns the last LSN it has
// applied. Rebuild too opens the existing index first: what it applied is
// evidence of durable records, and Rebuild must refuse a WAL that lost them
// just as Open does, so the index is only discarded once the WAL has been
// accepted (openIndex). An index Rebuild cannot open or read proves
// nothing (that is what Rebuild is for): it is discarded at once, and the
// failure logged.
func (e *Engine) openIndexDB(mode openMode) (uint64, error) {
	dir := e.fs.PathJoin(e.opts.Dir, indexDir)
	db, err := pebble.Open(dir, e.pebbleOptions())
	if err == nil {
		e.db = db
		applied, err := e.appliedLSN()
		if err == nil || !mode.forceRebuild {
			return applied, err
		}
		e.db = nil
		_ = db.Close()
	}
	if !mode.forceRebuild {
		return 0, fmt.Errorf("engine: open index: %w", err)
	}
	e.log.Warn("rebuild: cannot read the old index; discarding it", "err", err)
	if err := e.fs.RemoveAll(dir); err != nil {
		return 0, fmt.Errorf("engine: remove index: %w", err)
	}
	if e.db, err = pebble.Open(dir, e.pebbleOptions()); err != nil {
		return 0, fmt.Errorf("engine: open index: %w", err)
	}
	return 0, nil
}

// openIndex replays the WAL into the index opened by openIndexDB, which
// has applied up to LSN applied. It refuses (ErrWALBehindIndex) a WAL that
// ends before applied or the WAL_END record unless mode accepts it; then it
// rebuilds the index from the WAL. For Rebuild it discards the index here,
// after those checks.
func (e *Engine) openIndex(ctx context.Context, mode openMode, applied uint64) error {
	dir := e.fs.PathJoin(e.opts.Dir, indexDir)
	var err error
	last := uint64(e.wal.LastLSN())
	if applied > last || e.walEnd > last {
		behind := &WALBehindError{Dir: e.opts.Dir, WALLast: last, IndexApplied: applied, CleanLSN: e.walEnd}
		if !mode.acceptWALBehind {
			// Either acknowledged records were lost from the log (a cut or
			// damaged file), or, after a power loss, Pebble flushed records
			// applied to the index whose WAL batch was never synced. Only
			// an operator can tell; rebuilding silently would delete the
			// first kind.
			return behind
		}
		e.recovered.DroppedFrom, e.recovered.DroppedTo = last+1, max(applied, e.walEnd)
		e.log.Warn("recovery: the operator accepted a wal that ends before the last durable LSN",
			"wal_last_lsn", last, "index_applied", applied, "wal_end", e.walEnd)
	}
	if applied > last || mode.forceRebuild {
		// The index holds mutations the log no longer has (or Rebuild
		// was asked for). The index is derived state: throw it away and
		// rebuild.
		if applied > last {
			e.recovered.IndexRebuilt = true
			e.log.Warn("recovery: index is ahead of the wal; rebuilding", "applied", applied, "wal_last_lsn", last)
		}
		if err := e.db.Close(); err != nil {
			return err
		}
		e.db = nil
		if err := e.fs.RemoveAll(dir); err != nil {
			return fmt.Errorf("engine: remove index: %w", err)
		}
		if e.db, err = pebble.Open(dir, e.pebbleOptions()); err != nil {
			return fmt.Errorf("engine: open index: %w", err)
		}
		applied = 0
	}
	if applied, err = e.seedIndex(ctx, dir, applied, mode.forceRebuild); err != nil {
		return err
	}
	if err := e.ensureRevIndex(ctx); err != nil { // revindex.go
		return err
	}
	if applied < last {
		start := time.Now()
		n, err := e.replay(ctx, wal.LSN(applied+1))
		if err != nil {
			return err
		}
		e.log.Info("recovery: wal replayed", "from", applied+1, "records", n, "took", time.Since(start))
	}
	t, err := e.metaUint(keyLastTime)
	if err != nil {
		return err
	}
	e.observeTime(int64(t))
	return nil
}

// replay applies every WAL record from lsn on to the index.
func (e *Engine) replay(ctx context.Context, from wal.LSN) (int64, error) {
	return replayInto(ctx, e.walSource(), e.db, from, 0, e.observeTime)
}

func (e *Engine) appliedLSN() (uint64, error) { return e.metaUint(keyApplied) }

// metaString reads a string meta key ("" if absent).
func (e *Engine) metaString(k []byte) (string, error) {
	v, c, err := e.db.Get(k)
	if errors.Is(err, pebble.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	defer c.Close()
	return string(v), nil
}

func (e *Engine) metaUint(k []byte) (uint64, error) { return metaUintOf(e.db, k) }

// commit runs build under the mutation lock with the judged time and the
// sequence number the record will get, logs the record, applies it to the
// index and waits until it is durable. build validates against the index
// and returns the record, or an error that aborts the mutation.
//
// If ctx carries an AuditScope (WithAudit), the record's audit entry is
// appended to the audit stream before the record reaches the WAL, and the
// WAL syncs the audit stream before it writes the record: the mutation and
// its entry become durable in one group commit, and a mutation whose entry
// cannot be written never reaches the WAL.
func (e *Engine) commit(ctx context.Context, build func(now time.Time, seq uint64) (*record, error)) (*record, error) {
	rec, _, err := e.commitAudited(ctx, nil, build)
	return rec, err
}

// commitAudited is commit with an explicit audit entry: ent, if not nil,
// is written with the record instead of the one derived from ctx's scope.
// It returns the audit entry written, if any.
func (e *Engine) commitAudited(ctx context.Context, ent *AuditEntry, build func(now time.Time, seq uint64) (*record, error)) (*record, *AuditEntry, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	if e.closed.Load() {
		return nil, nil, ErrClosed
	}
	e.mu.Lock()
	if e.failed != nil {
		e.mu.Unlock()
		return nil, nil, fmt.Errorf("%w: %w", ErrFailed, e.failed)
	}
	now := e.judgeNow()
	seq := uint64(e.wal.LastLSN()) + 1
	rec, err := build(now, seq)
	if err != nil {
		e.mu.Unlock()
		return nil, nil, err
	}
	rec.Time = now.UnixNano()
	scope := auditScopeFrom(ctx)
	if ent == nil && scope != nil && rec.Type != recAuditAnchor && rec.Type != recRelocate {
		d := scope.entryFor(rec, e.recordVersionID(rec))
		ent = &d
	}
	var written *AuditEntry
	var entPayload []byte
	if ent != nil {
		w, p, err := e.chainAuditLocked(now, *ent)
		if err != nil {
			// Nothing may take effect unaudited: the record is not logged.
			e.failLocked(err)
			e.mu.Unlock()
			return nil, nil, err
		}
		written, entPayload = &w, p
		rec.Audit = &w
	}
	var prevSeq uint64
	var prevHash string
	if e.audit != nil {
		prevSeq, prevHash = e.audit.head()
		rec.AuditSeq, rec.AuditHash = prevSeq, prevHash
		rec.AuditDurable = e.auditDurable.Load()
		if written != nil {
			rec.AuditSeq, rec.AuditHash = written.Seq, written.Hash
		}
	}
	payload, err := encodeRecord(rec)
	if err != nil {
		e.mu.Unlock()
		return nil, nil, err
	}
	if written != nil {
		// Queued before the append, so that once the WAL has made LSN seq
		// durable its entry is in the queue for the flusher.
		e.audit.enqueue(wal.LSN(seq), written, entPayload)
	}
	lsn, err := e.wal.Append(payload)
	if err != nil {
		if written != nil {
			e.audit.unqueue(prevSeq, prevHash)
		}
		e.failLocked(err)
		e.mu.Unlock()
		return nil, nil, err
	}
	if uint64(lsn) != seq {
		panic(fmt.Sprintf("engine: wal assigned lsn %d, expected %d", lsn, seq))
	}
	e.auditAnchored = max(e.auditAnchored, rec.AuditSeq)
	b := e.db.NewIndexedBatch()
	if err := e.apply(b, rec, seq); err != nil {
		b.Close()
		e.failLocked(err)
		e.mu.Unlock()
		return nil, nil, err
	}
	err = b.Commit(pebble.NoSync)
	b.Close()
	if err != nil {
		e.failLocked(err)
		e.mu.Unlock()
		return nil, nil, err
	}
	if rec.Type.changesBucket() {
		e.invalidateBuckets()
	}
	e.mu.Unlock()
	if err := e.wal.Sync(lsn); err != nil {
		e.mu.Lock()
		e.failLocked(err)
		e.mu.Unlock()
		if written != nil {
			// The entry stays out of the audit log: the flusher only writes
			// entries of durable records. If the record reached the disk
			// after all, the next open appends its entry with it; if not,
			// neither exists. The stream never claims an effect that
			// recovery will not show.
			e.log.Error("engine: audit entry withheld: its record did not become durable", "seq", written.Seq, "err", err)
		}
		return nil, nil, err
	}
	if written != nil {
		e.audit.wake()
		if scope != nil {
			scope.add(*written)
		}
	}
	return rec, written, nil
}

// Err returns the I/O failure that made the engine refuse writes (see
// ErrFailed), or nil while it is healthy. Health checks use it: a failed
// engine needs a restart to recover.
func (e *Engine) Err() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.failed != nil {
		return fmt.Errorf("%w: %w", ErrFailed, e.failed)
	}
	return nil
}

func (e *Engine) failLocked(err error) {
	if e.failed == nil {
		e.failed = err
		e.log.Error("engine: mutation failed; refusing further writes until reopened", "err", err)
	}
}

// judgeNow returns max(clock, high-water mark) and advances the mark.
func (e *Engine) judgeNow() time.Time {
	now := e.opts.Clock().UnixNano()
	for {
		h := e.hwm.Load()
		if now <= h {
			return time.Unix(0, h).UTC()
		}
		if e.hwm.CompareAndSwap(h, now) {
			return time.Unix(0, now).UTC()
		}
	}
}

// Now returns the time the engine judges retention against:
// max(Options.Clock(), persisted high-water mark).
func (e *Engine) Now() time.Time { return e.judgeNow() }

func (e *Engine) observeTime(t int64) {
	for {
		h := e.hwm.Load()
		if t <= h || e.hwm.CompareAndSwap(h, t) {
			return
		}
	}
}

// closeFlushTimeout bounds the index flush at Close.
const closeFlushTimeout = 5 * time.Second

// Close stops background work, persists the clock high-water mark and
// closes the index, WAL and segments.
func (e *Engine) Close() error {
	if e.closed.Load() {
		return ErrClosed
	}
	// Anchor the audit head in the WAL so that a damaged audit stream is
	// detected at the next open (best effort: a failed engine cannot log).
	_ = e.anchorAudit(context.Background())
	if !e.closed.CompareAndSwap(false, true) {
		return ErrClosed
	}
	close(e.stop)
	e.wg.Wait()
	e.ckptMu.Lock() // wait for an on-demand checkpoint
	defer e.ckptMu.Unlock()
	e.mu.Lock() // wait for in-flight mutations
	defer e.mu.Unlock()
	var errs []error
	if err := e.persistClock(); err != nil {
		errs = append(errs, err)
	}
	if e.db != nil && e.failed == nil {
		// Flushing only shortens the next start's WAL replay; never let a
		// failing disk hold Close hostage.
		if done, err := e.db.AsyncFlush(); err != nil {
			errs = append(errs, err)
		} else {
			select {
			case <-done:
			case err := <-e.indexErr:
				e.log.Warn("engine: index flush failed at close; the next open replays the wal", "err", err)
			case <-time.After(closeFlushTimeout):
				e.log.Warn("engine: index flush did not finish at close; the next open replays the wal")
			}
		}
	}
	errs = append(errs, e.closeParts())
	return errors.Join(errs...)
}

func (e *Engine) closeParts() error {
	var errs []error
	if e.db != nil {
		errs = append(errs, e.db.Close())
		e.db = nil
	}
	if e.wal != nil {
		errs = append(errs, e.wal.Close())
		if e.audit != nil {
			// Everything the WAL holds is durable now: write the audit
			// log up to it (a failure leaves the entries to the next
			// open, which re-appends them from the WAL).
			if err := e.audit.flush(e.wal.DurableLSN()); err != nil {
				e.log.Error("engine: audit log flush at close failed; the next open re-appends the entries from the wal", "err", err)
				errs = append(errs, err)
			}
		}
		if e.closed.Load() {
			// A clean Close: record what the log holds durably (on a
			// failed open, leave the record alone; it may be the evidence
			// of the failure).
			if durable := uint64(e.wal.DurableLSN()); durable > e.walEnd {
				if err := writeWALEnd(e, durable); err != nil {
					e.log.Warn("engine: record last durable lsn at close", "err", err)
				}
			}
		}
		e.wal = nil
	}
	if e.audit != nil {
		errs = append(errs, e.audit.log.Close())
		e.audit = nil
	}
	if e.segs != nil {
		errs = append(errs, e.segs.Close())
		e.segs = nil
	}
	if e.dirLock != nil {
		errs = append(errs, e.dirLock.Close())
		e.dirLock = nil
	}
	return errors.Join(errs...)
}

// checkFormat writes the FORMAT file of a new data directory, or refuses a
// directory written by a newer format.
func (e *Engine) checkFormat() error {
	fs := e.fs
	path := fs.PathJoin(e.opts.Dir, formatFile)
	data, err := readSmallFile(fs, path)
	if oserrorIsNotExist(err) {
		return writeFileAtomic(fs, e.opts.Dir, formatFile, fmt.Appendf(nil, "%s%d\n", formatPrefix, currentFormat))
	}
	if err != nil {
		return fmt.Errorf("engine: read %s: %w", path, err)
	}
	var v int
	if _, err := fmt.Sscanf(strings.TrimSpace(string(data)), formatPrefix+"%d", &v); err != nil {
		return fmt.Errorf("%w: %s: unrecognised content %q", ErrCorrupt, path, data)
	}
	if v > currentFormat {
		return fmt.Errorf("%w: %s says format %d, this binary understands up to %d; upgrade wormstore", ErrFormatTooNew, path, v, currentFormat)
	}
	return nil
}

// pebbleLogger sends Pebble's printf-style logs to slog.
type pebbleLogger struct{ l *slog.Logger }

func (p pebbleLogger) Infof(format string, args ...any) {
	p.l.Debug(fmt.Sprintf(format, args...), "component", "pebble")
}

func (p pebbleLogger) Errorf(format string, args ...any) {
	p.l.Error(fmt.Sprintf(format, args...), "component", "pebble")
}

func (p pebbleLogger) Fatalf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	p.l.Error(msg, "component", "pebble")
	panic("pebble: " + msg)
}
