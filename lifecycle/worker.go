package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/wormstore/wormstore/engine"
	"github.com/wormstore/wormstore/gate"
)

// DefaultInterval is the server's default time between passes.
const DefaultInterval = time.Hour

// Config configures a Worker.
type Config struct {
	// Gate is the door whose engine the worker acts on and whose audit
	// scopes record every action. Required.
	Gate *gate.Gate
	// Logger receives pass summaries and errors. Default: discard.
	Logger *slog.Logger
	// Interval between passes of Run; 0 or negative: Run returns at once
	// (passes only on demand, RunPass).
	Interval time.Duration
}

// Stats counts what one pass did (or, from Totals, every pass so far).
type Stats struct {
	Buckets int `json:"buckets"` // buckets with a lifecycle configuration
	// Versions is how many versions and delete markers were evaluated.
	Versions int64 `json:"versions"`
	// Uploads is how many multipart uploads were evaluated.
	Uploads int64 `json:"uploads"`
	// Actions by kind (ActionKind.String()).
	ExpiredCurrent      int64 `json:"expired_current"`
	RemovedNoncurrent   int64 `json:"removed_noncurrent"`
	RemovedDeleteMarker int64 `json:"removed_delete_markers"`
	AbortedUploads      int64 `json:"aborted_uploads"`
	// SkippedLocked counts versions a rule selected that are under
	// retention or legal hold: kept, retried on later passes.
	SkippedLocked int64 `json:"skipped_locked"`
	// SkippedChanged counts actions whose target changed between listing
	// and removal (a new version, an upload completed): not carried out.
	SkippedChanged int64 `json:"skipped_changed"`
	// Errors counts failed actions and buckets whose configuration could
	// not be read.
	Errors int64 `json:"errors"`

	Started time.Time     `json:"started"`
	Took    time.Duration `json:"took_ns"`
}

func (s *Stats) count(k ActionKind) {
	switch k {
	case ExpireCurrent:
		s.ExpiredCurrent++
	case RemoveNoncurrent:
		s.RemovedNoncurrent++
	case RemoveDeleteMarker:
		s.RemovedDeleteMarker++
	case AbortUpload:
		s.AbortedUploads++
	}
}

// Actions returns the count of kind k.
func (s *Stats) Actions(k ActionKind) int64 {
	switch k {
	case ExpireCurrent:
		return s.ExpiredCurrent
	case RemoveNoncurrent:
		return s.RemovedNoncurrent
	case RemoveDeleteMarker:
		return s.RemovedDeleteMarker
	case AbortUpload:
		return s.AbortedUploads
	}
	return 0
}

func (s *Stats) add(o Stats) {
	s.Buckets += o.Buckets
	s.Versions += o.Versions
	s.Uploads += o.Uploads
	s.ExpiredCurrent += o.ExpiredCurrent
	s.RemovedNoncurrent += o.RemovedNoncurrent
	s.RemovedDeleteMarker += o.RemovedDeleteMarker
	s.AbortedUploads += o.AbortedUploads
	s.SkippedLocked += o.SkippedLocked
	s.SkippedChanged += o.SkippedChanged
	s.Errors += o.Errors
}

// Totals is the worker's running state for metrics.
type Totals struct {
	Passes int64
	Stats  // sums over all passes (Started/Took unset)
	// LastPass is the most recent completed pass (zero before the first).
	LastPass Stats
}

// Worker applies the buckets' lifecycle rules: on a timer (Run) and on
// demand (RunPass). One pass runs at a time. It is safe for concurrent
// use.
//
// Every removal goes through engine.LifecycleRemove (or
// AbortMultipartUpload), which re-checks the decision and the lock rules
// under the engine's lock and never bypasses governance retention: a
// locked version is skipped and counted, and removed by the first pass
// after its retention ends and its legal hold is released. Every action is
// audited by the engine in its commit, through a gate scope whose source
// and principal are "lifecycle".
type Worker struct {
	g        *gate.Gate
	eng      *engine.Engine
	log      *slog.Logger
	interval time.Duration

	running chan struct{} // one pass at a time (a token)

	mu     sync.Mutex
	totals Totals // guarded by mu
}

// New returns a worker for cfg.
func New(cfg Config) (*Worker, error) {
	if cfg.Gate == nil {
		return nil, errors.New("lifecycle: Config.Gate is nil")
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	w := &Worker{g: cfg.Gate, eng: cfg.Gate.Engine(), log: log, interval: cfg.Interval, running: make(chan struct{}, 1)}
	return w, nil
}

// Totals returns the counts of every pass so far and the last pass.
func (w *Worker) Totals() Totals {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.totals
}

// FirstPassDelay bounds how long after the start Run waits for its first
// pass (then it runs every Interval), so a server restarted more often
// than its interval still applies its rules.
const FirstPassDelay = 5 * time.Minute

// Run runs a pass every Interval until ctx ends, the first one after
// min(Interval, FirstPassDelay). With Interval <= 0 it returns at once.
func (w *Worker) Run(ctx context.Context) {
	if w.interval <= 0 {
		return
	}
	t := time.NewTimer(min(w.interval, FirstPassDelay))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		t.Reset(w.interval)
		// Scheduled passes are named by their start on the engine clock.
		id := "lifecycle-" + w.eng.Now().Format("20060102T150405.000Z")
		if _, err := w.RunPass(ctx, "", id); err != nil && ctx.Err() == nil {
			w.log.Error("lifecycle: pass failed", "err", err)
		}
	}
}

// RunPass runs one pass now over bucket ("" = every bucket) and returns
// its counts. requestID names the pass in the audit stream (the admin
// request's id when an operator ran it). It waits for a running pass to
// end first. An error means the pass stopped early (ctx ended, the engine
// failed or closed, the audit log failed); the counts so far are returned
// with it. Per-version failures are counted in Errors, logged, and do not
// stop the pass.
func (w *Worker) RunPass(ctx context.Context, bucket, requestID string) (Stats, error) {
	select {
	case w.running <- struct{}{}:
	case <-ctx.Done():
		return Stats{}, ctx.Err()
	}
	defer func() { <-w.running }()
	st := Stats{Started: w.eng.Now()}
	start := time.Now()
	err := w.pass(ctx, bucket, requestID, &st)
	st.Took = time.Since(start)
	w.mu.Lock()
	w.totals.Passes++
	w.totals.Stats.add(st)
	w.totals.LastPass = st
	w.mu.Unlock()
	if st.Buckets > 0 || err != nil {
		// One summary entry per pass that had rules to apply, so the
		// audit stream shows the worker ran and what it kept because it is
		// locked (the removals have entries of their own).
		sum := w.g.BeginLifecycle(requestID, gate.OpLifecyclePass)
		detail := st.summary()
		outcome := engine.AuditOK
		if err != nil {
			detail += "; stopped: " + err.Error()
			outcome = engine.AuditError
		}
		if rerr := sum.Record(context.WithoutCancel(ctx), engine.AuditEntry{Bucket: bucket, Outcome: outcome, Detail: detail}); rerr != nil && err == nil {
			err = rerr
		}
	}
	lvl := slog.LevelInfo
	if err != nil || st.Errors > 0 {
		lvl = slog.LevelWarn
	}
	w.log.Log(ctx, lvl, "lifecycle: pass done", "request_id", requestID, "buckets", st.Buckets, "expired_current", st.ExpiredCurrent,
		"removed_noncurrent", st.RemovedNoncurrent, "removed_delete_markers", st.RemovedDeleteMarker, "aborted_uploads", st.AbortedUploads,
		"skipped_locked", st.SkippedLocked, "skipped_changed", st.SkippedChanged, "errors", st.Errors, "took", st.Took, "err", err)
	return st, err
}

func (s *Stats) summary() string {
	return fmt.Sprintf("buckets=%d versions=%d uploads=%d expired_current=%d removed_noncurrent=%d removed_delete_markers=%d aborted_uploads=%d skipped_locked=%d skipped_changed=%d errors=%d",
		s.Buckets, s.Versions, s.Uploads, s.ExpiredCurrent, s.RemovedNoncurrent, s.RemovedDeleteMarker, s.AbortedUploads,
		s.SkippedLocked, s.SkippedChanged, s.Errors)
}

func (w *Worker) pass(ctx context.Context, only, requestID string, st *Stats) error {
	var buckets []engine.BucketInfo
	if only != "" {
		bi, err := w.eng.Bucket(ctx, only)
		if err != nil {
			return err
		}
		buckets = []engine.BucketInfo{*bi}
	} else {
		var err error
		if buckets, err = w.eng.ListBuckets(ctx); err != nil {
			return err
		}
	}
	for i := range buckets {
		bi := &buckets[i]
		doc := bi.Config(engine.ConfigLifecycle)
		if doc == "" {
			continue
		}
		cfg, err := Decode(doc)
		if err != nil {
			st.Errors++
			w.log.Error("lifecycle: bucket configuration unreadable; bucket skipped", "bucket", bi.Name, "err", err)
			continue
		}
		st.Buckets++
		if err := w.bucketPass(ctx, bi, cfg, requestID, st); err != nil {
			if errors.Is(err, engine.ErrNoSuchBucket) {
				continue // deleted during the pass
			}
			return fmt.Errorf("lifecycle: bucket %s: %w", bi.Name, err)
		}
	}
	return nil
}

// fatal reports errors that end the pass: nothing further can succeed.
func fatal(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, engine.ErrClosed) || errors.Is(err, engine.ErrFailed) || errors.Is(err, engine.ErrAuditFailed)
}

func (w *Worker) bucketPass(ctx context.Context, bi *engine.BucketInfo, cfg *Configuration, requestID string, st *Stats) error {
	if cfg.HasVersionRules() {
		if err := w.versionsPass(ctx, bi, cfg, requestID, st); err != nil {
			return err
		}
	}
	if cfg.HasUploadRules() {
		return w.uploadsPass(ctx, bi, cfg, requestID, st)
	}
	return nil
}

func (w *Worker) versionsPass(ctx context.Context, bi *engine.BucketInfo, cfg *Configuration, requestID string, st *Stats) error {
	versioned := bi.Versioning != engine.VersioningOff
	var key string
	var vs []Version
	locked := map[string]engine.LockState{} // lock states of vs's versions
	flush := func() error {
		if len(vs) == 0 {
			return nil
		}
		st.Versions += int64(len(vs))
		now := w.eng.Now()
		for _, a := range cfg.Evaluate(key, vs, now, versioned) {
			if a.Kind == RemoveNoncurrent && locked[a.VersionID].ProtectedAt(now) {
				// Known locked from the listing: count it without taking
				// the engine's lock. (The engine re-checks every removal
				// it is asked for; this only spares it the refusals.)
				st.SkippedLocked++
				continue
			}
			if err := w.apply(ctx, bi.Name, key, a, requestID, st); err != nil {
				return err
			}
		}
		vs = vs[:0]
		clear(locked)
		return nil
	}
	opts := engine.VersionListOptions{}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		page, err := w.eng.ListVersions(ctx, bi.Name, opts)
		if err != nil {
			return err
		}
		for _, o := range page.Versions {
			if o.Key != key {
				if err := flush(); err != nil {
					return err
				}
				key = o.Key
			}
			vs = append(vs, Version{ID: o.VersionID, DeleteMarker: o.DeleteMarker, Size: o.Size, ModTime: o.ModTime, Tags: o.Tags})
			if o.Lock != (engine.LockState{}) {
				locked[o.VersionID] = o.Lock
			}
		}
		if !page.IsTruncated {
			break
		}
		opts.KeyMarker, opts.VersionIDMarker = page.NextKeyMarker, page.NextVersionIDMarker
	}
	return flush()
}

var opOf = map[ActionKind]string{
	ExpireCurrent:      gate.OpLifecycleExpireCurrent,
	RemoveNoncurrent:   gate.OpLifecycleRemoveNoncurrent,
	RemoveDeleteMarker: gate.OpLifecycleRemoveDeleteMarker,
	AbortUpload:        gate.OpLifecycleAbortUpload,
}

var condOf = map[ActionKind]engine.LifecycleCond{
	ExpireCurrent:      engine.LifecycleCurrent,
	RemoveNoncurrent:   engine.LifecycleNoncurrent,
	RemoveDeleteMarker: engine.LifecycleSoleDeleteMarker,
}

// apply carries out one action through the engine, audited as lifecycle's.
// It returns only errors that end the pass.
func (w *Worker) apply(ctx context.Context, bucket, key string, a Action, requestID string, st *Stats) error {
	sc := w.g.BeginLifecycle(requestID, opOf[a.Kind])
	if a.Kind == AbortUpload {
		sc.SetTarget(bucket, key, "")
	} else {
		sc.SetTarget(bucket, key, a.VersionID)
	}
	actx := sc.Context(ctx)
	var err error
	if a.Kind == AbortUpload {
		err = w.eng.AbortMultipartUpload(actx, bucket, key, a.VersionID)
	} else {
		_, err = w.eng.LifecycleRemove(actx, bucket, key, a.VersionID, condOf[a.Kind])
	}
	switch {
	case err == nil:
		st.count(a.Kind)
		return nil
	case errors.Is(err, engine.ErrObjectLocked):
		st.SkippedLocked++
		w.log.Debug("lifecycle: version locked; kept", "bucket", bucket, "key", key, "version", a.VersionID, "rule", a.Rule, "err", err)
		return nil
	case errors.Is(err, engine.ErrPreconditionFailed), errors.Is(err, engine.ErrNoSuchVersion), errors.Is(err, engine.ErrNoSuchKey),
		errors.Is(err, engine.ErrNoSuchUpload):
		st.SkippedChanged++
		return nil
	case fatal(err):
		return err
	}
	st.Errors++
	w.log.Error("lifecycle: action failed", "bucket", bucket, "key", key, "version", a.VersionID, "action", a.Kind.String(), "rule", a.Rule, "err", err)
	return nil
}

func (w *Worker) uploadsPass(ctx context.Context, bi *engine.BucketInfo, cfg *Configuration, requestID string, st *Stats) error {
	opts := engine.UploadListOptions{}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		page, err := w.eng.ListMultipartUploads(ctx, bi.Name, opts)
		if err != nil {
			return err
		}
		for _, u := range page.Uploads {
			st.Uploads++
			rule, due := cfg.AbortDue(u.Key, u.Initiated, w.eng.Now())
			if !due {
				continue
			}
			if err := w.apply(ctx, bi.Name, u.Key, Action{Kind: AbortUpload, VersionID: u.UploadID, Rule: rule}, requestID, st); err != nil {
				return err
			}
		}
		if !page.IsTruncated {
			return nil
		}
		opts.KeyMarker, opts.UploadIDMarker = page.NextKeyMarker, page.NextUploadIDMarker
	}
}
