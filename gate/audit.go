package gate

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/wormstore/wormstore/engine"
)

// OpAnonymousDenialsSummarized is the operation of the entry that counts
// the unauthenticated refusals from one source that were not audited one
// by one.
const OpAnonymousDenialsSummarized = "AnonymousDenialsSummarized"

// auditTimeout bounds an audit write: the request's own context may be
// cancelled (client gone) but its entry must still be written.
const auditTimeout = 30 * time.Second

// Scope is the audit writer of one request. A door opens it with Begin
// before anything else, fills in the caller, operation and target as it
// learns them, passes Context(ctx) to every engine call, records per-item
// outcomes with Record and calls Finish before the response goes out.
// A Scope belongs to its request's goroutine; only Record may be called
// concurrently.
type Scope struct {
	g      *Gate
	door   string
	es     engine.AuditScope
	caller Caller
	op     Op
	done   bool
}

// Begin opens the audit scope of a request arriving at door (DoorS3,
// DoorConsole, DoorAdmin) from sourceIP, with the door's request id.
func (g *Gate) Begin(door, requestID, sourceIP string) *Scope {
	src := sourceIP
	if door != DoorS3 {
		src = door + ":" + sourceIP
	}
	s := &Scope{g: g, door: door}
	s.caller.SourceIP = sourceIP
	s.es.Base = engine.AuditEntry{RequestID: requestID, Source: src}
	s.op = unknownOp("")
	return s
}

// Context returns ctx carrying the scope to the engine: every mutation
// committed with it writes its own audit entry (what the engine did)
// before the mutation reaches the WAL.
func (s *Scope) Context(ctx context.Context) context.Context {
	return engine.WithAudit(ctx, &s.es)
}

// SetCaller records who the request acts for (after authentication).
func (s *Scope) SetCaller(c Caller) {
	if c.SourceIP == "" {
		c.SourceIP = s.caller.SourceIP
	}
	s.caller = c
	s.es.Base.Principal = c.auditName()
}

// Caller returns the request's caller as set by SetCaller (unauthenticated
// until then).
func (s *Scope) Caller() *Caller { return &s.caller }

// SetOp records the operation (a name from Ops, or a door's own).
func (s *Scope) SetOp(name string) {
	s.op = s.g.Op(name)
	s.es.Base.Operation = name
}

// Op returns the operation's table row.
func (s *Scope) Op() Op { return s.op }

// SetTarget records the bucket, key and version id the request names.
func (s *Scope) SetTarget(bucket, key, versionID string) {
	s.es.Base.Bucket, s.es.Base.Key, s.es.Base.VersionID = bucket, key, versionID
}

// SetBypassRequested records that the request asked for a GOVERNANCE
// bypass (entries of mutations record whether it was exercised).
func (s *Scope) SetBypassRequested(b bool) { s.es.Base.Bypass = b }

// Written returns the entries written for the request so far.
func (s *Scope) Written() []engine.AuditEntry { return s.es.Written() }

// Outcome classifies an answer: 403 or a lock refusal is "denied", any
// other error or status >= 400 "error", the rest "ok".
func Outcome(status int, err error) string {
	switch {
	case status == http.StatusForbidden || errors.Is(err, engine.ErrObjectLocked):
		return engine.AuditDenied
	case err != nil || status >= 400:
		return engine.AuditError
	}
	return engine.AuditOK
}

// Record writes one entry for a part of the request (one key of a
// DeleteObjects, say) before the request goes on; the request's id,
// principal, source and operation are filled in. It returns once the entry
// is durable and anchored, or an error wrapping engine.ErrAuditFailed (or
// engine.ErrFailed): the door must then fail the request with 503.
func (s *Scope) Record(ctx context.Context, ent engine.AuditEntry) error {
	b := s.es.Base
	ent.RequestID, ent.Principal, ent.Source = b.RequestID, b.Principal, b.Source
	if ent.Operation == "" {
		ent.Operation = b.Operation
	}
	if ent.Bucket == "" {
		ent.Bucket = b.Bucket
	}
	return s.write(ctx, ent)
}

// Intent writes the entry of a change the request is about to make whose
// effect the engine does not record itself (the admin API's identity
// changes, compactions, checkpoints): ent's Outcome (e.g. "intent") and
// Detail are the door's; request id, principal, source, operation and
// bucket are filled in as by Record. It returns the entry written, once it
// is durable and anchored; on error (wrapping engine.ErrAuditFailed or
// engine.ErrFailed) the change must not be made. An intent entry is not a
// recorded effect: Finish still writes the request's result entry.
func (s *Scope) Intent(ctx context.Context, ent engine.AuditEntry) (engine.AuditEntry, error) {
	b := s.es.Base
	ent.RequestID, ent.Principal, ent.Source = b.RequestID, b.Principal, b.Source
	if ent.Operation == "" {
		ent.Operation = b.Operation
	}
	if ent.Bucket == "" {
		ent.Bucket = b.Bucket
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), auditTimeout)
	defer cancel()
	got, err := s.g.eng.Audit(ctx, ent) // not in s.es: it records no effect
	if err != nil {
		s.g.log.Error("gate: audit append failed; refusing the change", "request_id", ent.RequestID, "op", ent.Operation, "err", err)
		return engine.AuditEntry{}, fmt.Errorf("gate: audit %s: %w", ent.Operation, err)
	}
	return got, nil
}

// Result is how a request ended, for Finish.
type Result struct {
	// Status is the HTTP status about to be sent.
	Status int
	// Err is the error answered, if any (its text becomes the detail).
	Err error
	// VersionID is the version the answer names, if any.
	VersionID string
	// Detail, if set, is the entry's detail (the door's description of
	// the target and outcome); otherwise the detail is Err's text.
	Detail string
	// Denied marks the answer as a refusal whatever its status (a failed
	// sign-in answered 401 or 429): the entry's outcome is "denied".
	Denied bool
}

// Finish writes the request's own audit entry, before the door sends the
// response, unless nothing needs recording: an operation that is not
// audited and was not denied, or one whose effects the engine already
// recorded entry by entry (a success with Written entries). Refusals of
// unauthenticated requests are rate-limited per source (see package doc).
// Finish runs once; later calls return nil. An error (wrapping
// engine.ErrAuditFailed or engine.ErrFailed) means the entry could not be
// written: the door must answer 503 instead of the response it had.
func (s *Scope) Finish(ctx context.Context, res Result) error {
	if s.done {
		return nil
	}
	s.done = true
	outcome := Outcome(res.Status, res.Err)
	if res.Denied {
		outcome = engine.AuditDenied
	}
	if outcome != engine.AuditDenied && !s.op.Audited {
		return nil
	}
	if res.Status < 400 && res.Err == nil && len(s.es.Written()) > 0 {
		return nil
	}
	ent := s.es.Base
	ent.Outcome, ent.Status = outcome, res.Status
	if res.Detail != "" {
		ent.Detail = res.Detail
	} else if res.Err != nil {
		ent.Detail = res.Err.Error()
	}
	if res.VersionID != "" && ent.VersionID == "" {
		ent.VersionID = res.VersionID
	}
	if ent.Operation == "" {
		ent.Operation = s.door
	}
	if !s.caller.Authenticated && outcome != engine.AuditOK {
		admit, due := s.g.anon.admit(s.caller.SourceIP, s.g.Now())
		if err := s.g.writeSummaries(ctx, due); err != nil {
			return err
		}
		if !admit {
			return nil
		}
	}
	return s.write(ctx, ent)
}

func (s *Scope) write(ctx context.Context, ent engine.AuditEntry) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), auditTimeout)
	defer cancel()
	if _, err := s.g.eng.Audit(engine.WithAudit(ctx, &s.es), ent); err != nil {
		s.g.log.Error("gate: audit append failed; refusing the request", "request_id", ent.RequestID, "op", ent.Operation, "err", err)
		return fmt.Errorf("gate: audit %s: %w", ent.Operation, err)
	}
	return nil
}

// Flush writes the summary entries of every unauthenticated refusal
// counted but not yet recorded. Call it at shutdown, before the engine
// closes.
func (g *Gate) Flush(ctx context.Context) error {
	return g.writeSummaries(ctx, g.anon.flush(g.Now()))
}

func (g *Gate) writeSummaries(ctx context.Context, due []anonSummary) error {
	for _, d := range due {
		ent := engine.AuditEntry{
			Operation: OpAnonymousDenialsSummarized, Source: d.source, Outcome: engine.AuditDenied, Count: d.count,
			Detail: fmt.Sprintf("%d refused unauthenticated requests from %s between %s and %s were counted, not recorded one by one",
				d.count, d.source, d.start.UTC().Format(time.RFC3339), d.end.UTC().Format(time.RFC3339)),
		}
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), auditTimeout)
		_, err := g.eng.Audit(actx, ent)
		cancel()
		if err != nil {
			g.log.Error("gate: audit summary append failed", "source", d.source, "count", d.count, "err", err)
			return fmt.Errorf("gate: audit %s: %w", OpAnonymousDenialsSummarized, err)
		}
	}
	return nil
}

// otherSources is the counter shared by sources beyond Config.AnonymousSources.
const otherSources = "(other sources)"

// anonLimiter counts unauthenticated refusals per source and interval.
type anonLimiter struct {
	burst      uint64
	interval   time.Duration
	maxSources int

	mu        sync.Mutex
	windows   map[string]*anonWindow // guarded by mu
	nextSweep time.Time              // guarded by mu
}

type anonWindow struct {
	start      time.Time
	written    uint64
	suppressed uint64
}

type anonSummary struct {
	source     string
	start, end time.Time
	count      uint64
}

func newAnonLimiter(burst int, interval time.Duration, maxSources int) *anonLimiter {
	return &anonLimiter{burst: uint64(burst), interval: interval, maxSources: maxSources, windows: map[string]*anonWindow{}}
}

// admit counts one refusal from src at now and reports whether it gets an
// entry of its own, plus the summaries of intervals that have ended.
func (l *anonLimiter) admit(src string, now time.Time) (bool, []anonSummary) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var due []anonSummary
	end := func(s string, w *anonWindow) {
		if w.suppressed > 0 {
			due = append(due, anonSummary{source: s, start: w.start, end: now, count: w.suppressed})
		}
		delete(l.windows, s)
	}
	if w := l.windows[src]; w != nil && now.Sub(w.start) >= l.interval {
		end(src, w)
	}
	if !now.Before(l.nextSweep) {
		for s, w := range l.windows {
			if now.Sub(w.start) >= l.interval {
				end(s, w)
			}
		}
		l.nextSweep = now.Add(l.interval)
	}
	sort.Slice(due, func(i, j int) bool { return due[i].source < due[j].source })
	w := l.windows[src]
	if w == nil {
		if len(l.windows) >= l.maxSources {
			src = otherSources
			w = l.windows[src]
		}
		if w == nil {
			w = &anonWindow{start: now}
			l.windows[src] = w
		}
	}
	if w.written < l.burst {
		w.written++
		return true, due
	}
	w.suppressed++
	return false, due
}

// flush returns a summary of every counted refusal and clears the counts.
func (l *anonLimiter) flush(now time.Time) []anonSummary {
	l.mu.Lock()
	defer l.mu.Unlock()
	var due []anonSummary
	for s, w := range l.windows {
		if w.suppressed > 0 {
			due = append(due, anonSummary{source: s, start: w.start, end: now, count: w.suppressed})
			w.suppressed = 0
		}
	}
	sort.Slice(due, func(i, j int) bool { return due[i].source < due[j].source })
	return due
}
