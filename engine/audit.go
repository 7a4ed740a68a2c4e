package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/wormstore/wormstore/wal"
)

// The audit stream is an append-only, hash-chained log kept by the engine
// in <data>/audit (a WAL of its own: length + XXH64 framing, group commit,
// torn-tail recovery). Each entry carries the SHA-256 of its predecessor and
// its own hash over its canonical JSON, so rewriting or removing an entry in
// the middle breaks the chain. No API deletes or rewrites entries; the
// stream is only ever appended to.

// AuditEntry is one audited request or event.
type AuditEntry struct {
	Seq       uint64    `json:"seq"`
	Time      time.Time `json:"time"`
	RequestID string    `json:"request_id,omitempty"`
	Principal string    `json:"principal,omitempty"`
	// Source is the client address, or e.g. "console".
	Source    string `json:"source,omitempty"`
	Operation string `json:"operation"`
	Bucket    string `json:"bucket,omitempty"`
	Key       string `json:"key,omitempty"`
	VersionID string `json:"version_id,omitempty"`
	// Outcome is "ok", "denied" or "error".
	Outcome string `json:"outcome"`
	Status  int    `json:"status,omitempty"`
	Detail  string `json:"detail,omitempty"`
	// OldLock and NewLock record lock changes (retention, legal hold).
	OldLock *LockState `json:"old_lock,omitempty"`
	NewLock *LockState `json:"new_lock,omitempty"`
	Bypass  bool       `json:"bypass,omitempty"`
	// Count is the number of requests a summary entry stands for (e.g.
	// AnonymousDenialsSummarized); 0 for an entry about one request.
	Count uint64 `json:"count,omitempty"`
	// Prev is the hash of the previous entry ("" for the first); Hash is
	// SHA-256 over Prev and this entry's canonical JSON with Hash empty.
	Prev string `json:"prev"`
	Hash string `json:"hash"`
}

// hashAuditEntry computes an entry's chain hash.
func hashAuditEntry(a AuditEntry) (string, error) {
	a.Hash = ""
	b, err := json.Marshal(a)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	h.Write([]byte(a.Prev))
	h.Write([]byte{0})
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Audit outcomes.
const (
	AuditOK     = "ok"
	AuditDenied = "denied"
	AuditError  = "error"
)

// Bounds on the fields of an audit entry, in bytes. A longer value is cut
// at a UTF-8 boundary at most this long and followed by a marker
// "…[truncated N bytes]" (at most 32 more bytes), so no request, however
// large its key, source or error text, writes more than about 3 KiB of
// entry. A key is never longer than 1024 bytes once authorized.
const (
	AuditMaxKey    = 1024
	AuditMaxDetail = 512
	// AuditMaxDetailAuthorized bounds the detail of an entry for an
	// authenticated caller's allowed request (an admin policy grant records
	// the policy document in it); a denied or anonymous request's detail
	// stays within AuditMaxDetail.
	AuditMaxDetailAuthorized = 8192
	AuditMaxField            = 256 // request id, principal, source, operation, bucket, version id
)

// truncField cuts s to at most max bytes (at a rune boundary) and marks the
// cut.
func truncField(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + fmt.Sprintf("…[truncated %d bytes]", len(s)-cut)
}

// capAuditFields bounds every free-form field of ent (see AuditMaxKey).
func capAuditFields(ent *AuditEntry) {
	ent.RequestID = truncField(ent.RequestID, AuditMaxField)
	ent.Principal = truncField(ent.Principal, AuditMaxField)
	ent.Source = truncField(ent.Source, AuditMaxField)
	ent.Operation = truncField(ent.Operation, AuditMaxField)
	ent.Bucket = truncField(ent.Bucket, AuditMaxField)
	ent.VersionID = truncField(ent.VersionID, AuditMaxField)
	ent.Key = truncField(ent.Key, AuditMaxKey)
	maxDetail := AuditMaxDetail
	if ent.Principal != "" && ent.Outcome != AuditDenied {
		maxDetail = AuditMaxDetailAuthorized
	}
	ent.Detail = truncField(ent.Detail, maxDetail)
}

// AuditScope carries one request's audit context into the engine, so that
// every mutation the request causes is recorded by the engine itself, from
// the record it logs (what it actually did), in the same commit. The door
// (package gate) creates one per request, fills Base before calling the
// engine and attaches it with WithAudit.
//
// Base is read by the engine in the calling goroutine during a commit;
// set it before the call, not concurrently with it. Written is safe for
// concurrent use.
type AuditScope struct {
	// Base is the template of every entry written for the request:
	// RequestID, Principal, Source and Operation (the request's
	// operation). The engine fills Seq, Time, hashes, Outcome, Bucket,
	// Key, VersionID, lock states and Bypass from what it did.
	Base AuditEntry

	mu      sync.Mutex
	written []AuditEntry // guarded by mu
}

// Written returns the entries written for this scope so far, in order.
func (s *AuditScope) Written() []AuditEntry {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]AuditEntry(nil), s.written...)
}

func (s *AuditScope) add(ent AuditEntry) {
	s.mu.Lock()
	s.written = append(s.written, ent)
	s.mu.Unlock()
}

type auditScopeKey struct{}

// WithAudit returns ctx carrying s: every mutation committed with that
// context appends its audit entry (derived from s.Base and the committed
// record) before its WAL record, and every Audit call with it is added to
// s.Written.
func WithAudit(ctx context.Context, s *AuditScope) context.Context {
	return context.WithValue(ctx, auditScopeKey{}, s)
}

func auditScopeFrom(ctx context.Context) *AuditScope {
	s, _ := ctx.Value(auditScopeKey{}).(*AuditScope)
	return s
}

// entryFor derives the audit entry of a committed record: the request's
// identity from the scope, everything else from what the record does.
func (s *AuditScope) entryFor(rec *record, versionID string) AuditEntry {
	ent := s.Base
	ent.Seq, ent.Time, ent.Prev, ent.Hash = 0, time.Time{}, "", ""
	ent.Outcome, ent.Status = AuditOK, 0
	if ent.Operation == "" {
		ent.Operation = rec.Type.String()
	}
	ent.Detail = rec.Type.String()
	switch rec.Type {
	case recBucketConfig:
		if rec.ConfigDoc == "" {
			ent.Detail += ": " + string(rec.Config) + " deleted"
		} else {
			ent.Detail += ": " + string(rec.Config) + " set"
		}
	case recObjectTags:
		ent.Detail += fmt.Sprintf(": %d tags", len(rec.Tags))
	}
	if rec.Bucket != "" {
		ent.Bucket = rec.Bucket
	}
	if rec.Key != "" {
		ent.Key = rec.Key
	}
	if versionID != "" {
		ent.VersionID = versionID
	}
	ent.Bypass = rec.Bypass
	ent.OldLock, ent.NewLock = nil, nil
	if rec.Prev != nil {
		old := *rec.Prev
		next := old
		if rec.Retention != nil {
			next.Retention = *rec.Retention
		}
		if rec.LegalHold != nil {
			next.LegalHold, next.LegalHoldSet = *rec.LegalHold, true
		}
		ent.OldLock, ent.NewLock = &old, &next
	}
	if v := rec.Version; v != nil {
		if v.DeleteMarker {
			ent.Detail = rec.Type.String() + ": delete marker"
		} else if v.Lock != (LockState{}) {
			l := v.Lock
			ent.NewLock = &l
		}
	}
	return ent
}

// recordVersionID names the version a record creates or targets. mu must
// be held (it reads the committed index).
func (e *Engine) recordVersionID(rec *record) string {
	if rec.Version != nil {
		return rec.Version.id()
	}
	switch rec.Type {
	case recRemove, recRetention, recLegalHold, recObjectTags:
		if v, err := e.getVersion(versionKey(rec.Bucket, rec.Key, rec.Seq)); err == nil && v != nil {
			return v.id()
		}
		return versionID(rec.Seq)
	}
	return ""
}

// auditLog is the engine's audit stream. Entries are appended only under
// Engine.mu (in commit), so the head every WAL record carries grows with
// the WAL.
type auditLog struct {
	log *wal.Log
	mu  sync.Mutex // serialises chaining: lastSeq, lastHash and append order
	// lastSeq and lastHash are the sequence number and hash of the newest
	// appended (maybe not yet durable) entry; guarded by mu.
	lastSeq  uint64
	lastHash string
}

// head returns the newest appended entry's sequence number and hash.
func (a *auditLog) head() (uint64, string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.lastSeq, a.lastHash
}

func (e *Engine) openAudit() error {
	l, err := wal.Open(wal.Options{FS: e.fs, Dir: e.fs.PathJoin(e.opts.Dir, auditDir), Logger: e.log})
	if err != nil {
		return fmt.Errorf("engine: open audit log: %w", err)
	}
	a := &auditLog{log: l}
	last := uint64(l.LastLSN())
	floor, err := e.metaUint(keyAuditSeq)
	if err != nil {
		l.Close()
		return err
	}
	anchored, err := e.metaString(keyAuditHash)
	if err != nil {
		l.Close()
		return err
	}
	var floorHash string
	if last > 0 {
		from := last
		if floor > 0 && floor < last {
			from = floor
		}
		err := l.Replay(wal.LSN(from), func(lsn wal.LSN, p []byte) error {
			var ent AuditEntry
			if err := json.Unmarshal(p, &ent); err != nil {
				return fmt.Errorf("%w: audit entry: %v", ErrCorrupt, err)
			}
			if uint64(lsn) == floor {
				floorHash = ent.Hash
			}
			a.lastHash = ent.Hash
			return nil
		})
		if err != nil {
			l.Close()
			return fmt.Errorf("engine: audit log tail: %w", err)
		}
	}
	a.lastSeq = last
	e.audit = a
	e.auditDurable.Store(last)
	e.auditAnchored = floor
	var detail string
	switch {
	case last < floor:
		// Entries the WAL says were durable are gone: the stream was
		// truncated or a stored entry damaged (WAL repair drops everything
		// after a bad record).
		detail = fmt.Sprintf("audit stream holds %d entries but entries up to %d were acknowledged: %d entries were removed or damaged", last, floor, floor-last)
	case floor > 0 && anchored != "" && floorHash != anchored:
		detail = fmt.Sprintf("audit entry %d does not match the hash the wal anchored for it: the entry was altered", floor)
	}
	if detail != "" {
		// Say so in the chain itself, permanently; the entry's anchor
		// record resets the anchor to the stream as it is now.
		e.log.Error("engine: " + detail)
		if _, err := e.Audit(context.Background(), AuditEntry{Operation: auditDamaged, Outcome: AuditError, Detail: detail}); err != nil {
			return err
		}
	}
	return nil
}

// appendAuditLocked chains ent (bounded by capAuditFields) onto the audit
// stream at time now. The entry is not durable until the next WAL batch:
// the WAL syncs the audit log before it writes (beforeWALSync). e.mu must
// be held.
func (e *Engine) appendAuditLocked(now time.Time, ent AuditEntry) (AuditEntry, error) {
	a := e.audit
	if a == nil {
		return AuditEntry{}, fmt.Errorf("%w: the audit log is not open", ErrAuditFailed)
	}
	capAuditFields(&ent)
	a.mu.Lock()
	defer a.mu.Unlock()
	ent.Seq = a.lastSeq + 1
	ent.Time = now
	ent.Prev = a.lastHash
	ent.Hash = ""
	h, err := hashAuditEntry(ent)
	if err != nil {
		return AuditEntry{}, fmt.Errorf("%w: %w", ErrAuditFailed, err)
	}
	ent.Hash = h
	payload, err := json.Marshal(ent)
	if err != nil {
		return AuditEntry{}, fmt.Errorf("%w: %w", ErrAuditFailed, err)
	}
	lsn, err := a.log.Append(payload)
	if err != nil {
		return AuditEntry{}, fmt.Errorf("%w: append entry %d: %w", ErrAuditFailed, ent.Seq, err)
	}
	if uint64(lsn) != ent.Seq {
		panic(fmt.Sprintf("engine: audit log assigned lsn %d, expected %d", lsn, ent.Seq))
	}
	a.lastSeq, a.lastHash = ent.Seq, h
	return ent, nil
}

// syncAudit makes every appended audit entry durable. The WAL calls it
// (beforeWALSync) before it writes a batch, so a record never becomes
// durable before the audit entries it anchors; when it fails the batch is
// not written at all.
func (e *Engine) syncAudit() error {
	a := e.audit
	if a == nil {
		return nil
	}
	last := a.log.LastLSN()
	if err := a.log.Sync(last); err != nil {
		return fmt.Errorf("%w: sync: %w", ErrAuditFailed, err)
	}
	for {
		cur := e.auditDurable.Load()
		if uint64(last) <= cur || e.auditDurable.CompareAndSwap(cur, uint64(last)) {
			return nil
		}
	}
}

// Audit appends ent to the audit stream and returns it with its sequence
// number, time and hashes filled in. It returns once the entry is durable
// and anchored: the entry is logged with an audit-anchor WAL record
// carrying its sequence number and hash, group-committed like any
// mutation, so a later truncation or rewrite of the stream is detected at
// the next open even when the request changed nothing. Long fields are
// truncated (see AuditMaxKey). If ctx carries an AuditScope, the entry is
// added to its Written list.
//
// A failed append is sticky: the engine fails (Err, ErrAuditFailed) and
// refuses mutations until it is reopened, because nothing may take effect
// unaudited.
func (e *Engine) Audit(ctx context.Context, ent AuditEntry) (AuditEntry, error) {
	_, w, err := e.commitAudited(ctx, &ent, func(now time.Time, seq uint64) (*record, error) {
		return &record{Type: recAuditAnchor}, nil
	})
	if err != nil {
		return AuditEntry{}, err
	}
	return *w, nil
}

// auditNotDurable appends, best effort, an entry saying that the mutation
// audited as written did not become durable (its WAL sync failed after the
// entry was logged), so the stream does not claim an effect that recovery
// will not show.
func (e *Engine) auditNotDurable(written AuditEntry, cause error) {
	ent := written
	ent.Outcome, ent.Status = AuditError, 0
	ent.Detail = fmt.Sprintf("entry %d: the mutation was not made durable: %v", written.Seq, cause)
	e.mu.Lock()
	w, err := e.appendAuditLocked(e.judgeNow(), ent)
	e.mu.Unlock()
	if err == nil {
		err = e.audit.log.Sync(wal.LSN(w.Seq))
	}
	if err != nil {
		e.log.Error("engine: audit entry for a failed mutation not written", "err", err)
	}
}

// anchorAudit logs the audit head in the WAL if it advanced past the last
// anchor. Every commit anchors the head it appended, so this only matters
// for entries appended outside a commit (none today); Close calls it as a
// safety net.
func (e *Engine) anchorAudit(ctx context.Context) error {
	e.anchorMu.Lock()
	defer e.anchorMu.Unlock()
	if e.audit == nil {
		return nil
	}
	head, _ := e.audit.head()
	e.mu.Lock()
	anchored := e.auditAnchored
	e.mu.Unlock()
	if head <= anchored {
		return nil
	}
	_, err := e.commit(ctx, func(now time.Time, seq uint64) (*record, error) {
		return &record{Type: recAuditAnchor}, nil
	})
	return err
}

// auditDamaged is the operation of the entry the engine appends when it
// finds at open that acknowledged audit entries are missing.
const auditDamaged = "AuditStreamDamaged"

// AuditEntries calls fn for every durable audit entry with Seq >= from, in
// order.
func (e *Engine) AuditEntries(ctx context.Context, from uint64, fn func(AuditEntry) error) error {
	if e.closed.Load() {
		return ErrClosed
	}
	n := 0
	return e.audit.log.Replay(wal.LSN(max(from, 1)), func(lsn wal.LSN, p []byte) error {
		if n++; n%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		var ent AuditEntry
		if err := json.Unmarshal(p, &ent); err != nil {
			return fmt.Errorf("%w: audit entry %d: %v", ErrCorrupt, lsn, err)
		}
		return fn(ent)
	})
}

// AuditReport is the result of VerifyAudit.
type AuditReport struct {
	Entries uint64
	// Head is the hash of the newest entry; recording it elsewhere lets an
	// operator detect later truncation of the stream's tail.
	Head     string
	Problems []string
}

// OK reports whether the chain verified end to end.
func (r *AuditReport) OK() bool { return len(r.Problems) == 0 }

// VerifyAudit checks the audit chain end to end: sequence numbers are
// contiguous, every entry's hash matches its content, every entry names
// its predecessor's hash, and the stream still holds, unchanged, the
// newest entry the WAL anchored (so a cut or rewritten tail is reported
// even when it was cut right after a request that changed nothing).
func (e *Engine) VerifyAudit(ctx context.Context) (*AuditReport, error) {
	rep := &AuditReport{}
	prev := ""
	var want uint64 = 1
	e.mu.Lock()
	floor, _ := e.metaUint(keyAuditSeq)
	e.mu.Unlock()
	hashes := map[uint64]string{}
	err := e.AuditEntries(ctx, 1, func(ent AuditEntry) error {
		rep.Entries++
		if ent.Seq == floor {
			hashes[floor] = ent.Hash
		}
		if ent.Seq != want {
			rep.Problems = append(rep.Problems, fmt.Sprintf("entry %d: sequence number %d, want %d", want, ent.Seq, want))
		}
		if ent.Prev != prev {
			rep.Problems = append(rep.Problems, fmt.Sprintf("entry %d: previous hash %.16s… does not match entry %d's hash %.16s… (an entry was removed or rewritten)", ent.Seq, ent.Prev, want-1, prev))
		}
		h, err := hashAuditEntry(ent)
		if err != nil {
			return err
		}
		if h != ent.Hash {
			rep.Problems = append(rep.Problems, fmt.Sprintf("entry %d: content does not match its hash (the entry was altered)", ent.Seq))
		}
		if ent.Operation == auditDamaged {
			rep.Problems = append(rep.Problems, fmt.Sprintf("entry %d: %s", ent.Seq, ent.Detail))
		}
		prev, want = ent.Hash, want+1
		rep.Head = ent.Hash
		return nil
	})
	if errors.Is(err, ErrCorrupt) {
		rep.Problems = append(rep.Problems, err.Error())
		return rep, nil
	}
	if err != nil {
		return rep, err
	}
	// The WAL anchors the head of the stream with every record (and an
	// anchor record for every audited request that changed nothing): the
	// stream must still reach that entry, unchanged.
	e.mu.Lock()
	floor, ferr := e.metaUint(keyAuditSeq)
	anchored, herr := e.metaString(keyAuditHash)
	e.mu.Unlock()
	if err := errors.Join(ferr, herr); err != nil {
		return rep, err
	}
	switch {
	case rep.Entries < floor:
		rep.Problems = append(rep.Problems, fmt.Sprintf("audit stream holds %d entries but the wal anchored entry %d: entries were removed", rep.Entries, floor))
	case floor > 0 && anchored != "" && hashes[floor] != anchored:
		rep.Problems = append(rep.Problems, fmt.Sprintf("audit entry %d does not match the hash the wal anchored for it: the entry was altered", floor))
	}
	return rep, nil
}

// AuditLastSeq returns the sequence number of the newest audit entry (0 if
// none), so callers can read the tail with AuditEntries.
func (e *Engine) AuditLastSeq() uint64 {
	if e.closed.Load() {
		return 0
	}
	return uint64(e.audit.log.LastLSN())
}
