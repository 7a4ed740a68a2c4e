package engine

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
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
	h, _, err := hashAndEncodeAuditEntry(a)
	return h, err
}

// emptyHashSuffix ends the canonical JSON of an entry whose Hash is empty
// (Hash is AuditEntry's last field and is never omitted).
const emptyHashSuffix = `"hash":""}`

// hashAndEncodeAuditEntry computes an entry's chain hash and its JSON with
// that hash filled in, from one encoding: the JSON with the hash is the
// hashed JSON with the empty hash value spliced in
// (TestAuditEntryEncodingSplice compares it with json.Marshal).
func hashAndEncodeAuditEntry(a AuditEntry) (hash string, payload []byte, err error) {
	a.Hash = ""
	jw := jsonWriter{b: make([]byte, 0, 384)}
	jw.audit(auditToWire(&a))
	if jw.err != nil {
		return "", nil, jw.err
	}
	b := jw.b
	h := sha256.New()
	h.Write([]byte(a.Prev))
	h.Write([]byte{0})
	h.Write(b)
	hash = hex.EncodeToString(h.Sum(nil))
	if !bytes.HasSuffix(b, []byte(emptyHashSuffix)) {
		return "", nil, fmt.Errorf("engine: audit entry JSON does not end with %s", emptyHashSuffix)
	}
	payload = make([]byte, 0, len(b)+len(hash))
	payload = append(payload, b[:len(b)-2]...) // up to the closing quote of the empty value
	payload = append(payload, hash...)
	payload = append(payload, `"}`...)
	return hash, payload, nil
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

// validUTF8Bytes returns s with every byte that is not part of a valid
// UTF-8 sequence replaced by U+FFFD, as encoding/json does.
func validUTF8Bytes(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b.WriteString("\uFFFD")
		} else {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// capAuditFields bounds every free-form field of ent (see AuditMaxKey).
func capAuditFields(ent *AuditEntry) {
	// The entry travels inside its WAL record, whose encoder refuses
	// invalid UTF-8; replace bad bytes as encoding/json would have in the
	// audit log (one U+FFFD per byte), so the entry hashed, logged and
	// stored is the same.
	for _, f := range []*string{&ent.RequestID, &ent.Principal, &ent.Source, &ent.Operation, &ent.Bucket,
		&ent.VersionID, &ent.Key, &ent.Outcome, &ent.Detail} {
		*f = validUTF8Bytes(*f)
	}
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

// auditLog is the engine's audit stream. Its durable copy is the WAL: a
// commit chains its entry (seq, prev, hash) under Engine.mu and logs it
// inside the WAL record (record.Audit), so the entry becomes durable with
// the record, in the same group commit and the same fsync. The audit log
// file (<data>/audit) is the user-visible stream; it is written from those
// entries, in order, once their records are durable, and fsynced lazily by
// a background flusher (auditFlushLoop), by the audit reads and verify,
// before a checkpoint retires WAL files, and at Close. Open re-appends the
// entries the file lacks from the WAL (recoverAuditTail). So the file only
// ever holds entries whose records are durable, and never misses an entry
// of an acknowledged request.
type auditLog struct {
	log *wal.Log
	mu  sync.Mutex // guards the chain head and the queue
	// lastSeq and lastHash are the newest chained entry's sequence number
	// and hash: the newest entry a WAL record carries (maybe not durable
	// yet); guarded by mu.
	lastSeq  uint64
	lastHash string
	// queue holds the chained entries not yet written to the audit log,
	// in order, with the LSN of the WAL record carrying each; guarded by
	// mu.
	queue       []queuedAudit
	queuedBytes int // guarded by mu

	flushMu sync.Mutex // one flush at a time
	failed  error      // guarded by flushMu: sticky audit log failure
	// covered is a WAL LSN such that the entry of every record at or
	// below it is durable in the audit log: WAL files may be retired up
	// to it, never past it.
	covered atomic.Uint64
	// kick wakes the flusher (buffered 1); urgent makes it flush without
	// waiting for the interval (the queue is large).
	kick, urgent chan struct{}
}

// queuedAudit is a chained entry waiting for the audit log.
type queuedAudit struct {
	lsn     wal.LSN // the WAL record carrying it
	seq     uint64
	payload []byte // the audit log payload (JSON of the entry)
}

// DefaultAuditFlushInterval is the default Options.AuditFlushInterval.
const DefaultAuditFlushInterval = 100 * time.Millisecond

// auditQueueUrgent is the size of queued entries at which the flusher
// writes at once instead of waiting for the interval (bounds memory).
const auditQueueUrgent = 4 << 20

// head returns the newest chained entry's sequence number and hash.
func (a *auditLog) head() (uint64, string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.lastSeq, a.lastHash
}

// enqueue makes ent, carried by the record about to be logged as lsn, the
// chain head and queues it for the audit log. Engine.mu must be held.
func (a *auditLog) enqueue(lsn wal.LSN, ent *AuditEntry, payload []byte) {
	a.mu.Lock()
	a.queue = append(a.queue, queuedAudit{lsn: lsn, seq: ent.Seq, payload: payload})
	a.queuedBytes += len(payload)
	a.lastSeq, a.lastHash = ent.Seq, ent.Hash
	urgent := a.queuedBytes >= auditQueueUrgent
	a.mu.Unlock()
	if urgent {
		select {
		case a.urgent <- struct{}{}:
		default:
		}
	}
}

// unqueue undoes the last enqueue (its record could not be logged), making
// prevSeq and prevHash the head again. Engine.mu must be held.
func (a *auditLog) unqueue(prevSeq uint64, prevHash string) {
	a.mu.Lock()
	if n := len(a.queue); n > 0 {
		a.queuedBytes -= len(a.queue[n-1].payload)
		a.queue = a.queue[:n-1]
	}
	a.lastSeq, a.lastHash = prevSeq, prevHash
	a.mu.Unlock()
}

// wake tells the flusher that queued entries became durable in the WAL.
func (a *auditLog) wake() {
	select {
	case a.kick <- struct{}{}:
	default:
	}
}

// flush writes every queued entry whose WAL record is at or below durable
// (so is durable) to the audit log and fsyncs it. A failure is sticky.
func (a *auditLog) flush(durable wal.LSN) error {
	a.flushMu.Lock()
	defer a.flushMu.Unlock()
	if a.failed != nil {
		return a.failed
	}
	a.mu.Lock()
	n := 0
	for n < len(a.queue) && a.queue[n].lsn <= durable {
		n++
	}
	batch := a.queue[:n:n]
	a.mu.Unlock()
	if n == 0 {
		a.covered.Store(max(a.covered.Load(), uint64(durable)))
		return nil
	}
	var err error
	for _, q := range batch {
		var lsn wal.LSN
		if lsn, err = a.log.Append(q.payload); err != nil {
			break
		}
		if uint64(lsn) != q.seq {
			err = fmt.Errorf("audit log assigned lsn %d to entry %d", lsn, q.seq)
			break
		}
	}
	if err == nil {
		err = a.log.Sync(wal.LSN(batch[n-1].seq))
	}
	if err != nil {
		a.failed = fmt.Errorf("%w: write entries %d-%d to the audit log: %w", ErrAuditFailed, batch[0].seq, batch[n-1].seq, err)
		return a.failed
	}
	a.mu.Lock()
	bytes := 0
	for _, q := range batch {
		bytes += len(q.payload)
	}
	a.queuedBytes -= bytes
	a.queue = append([]queuedAudit(nil), a.queue[n:]...)
	a.mu.Unlock()
	a.covered.Store(max(a.covered.Load(), uint64(durable)))
	return nil
}

// flushAudit flushes the audit log up to the WAL's durable LSN. A failure
// fails the engine (sticky, ErrAuditFailed: no further mutation until a
// reopen, which re-appends the entries from the WAL) and is logged.
// Engine.mu must not be held.
func (e *Engine) flushAudit() error {
	a := e.audit
	if a == nil {
		return nil
	}
	if err := a.flush(e.wal.DurableLSN()); err != nil {
		if !errors.Is(err, ErrAuditFailed) {
			// The audit stream failed, whatever the cause (a full audit
			// disk included): requests refused from now on answer as
			// for any audit failure.
			err = fmt.Errorf("%w: %w", ErrAuditFailed, err)
		}
		e.mu.Lock()
		if e.failed == nil {
			e.log.Error("engine: audit log write failed; refusing further mutations until reopened (the entries are safe in the wal and are re-appended at the next open)", "err", err)
		}
		e.failLocked(err)
		e.mu.Unlock()
		return err
	}
	e.auditDurable.Store(uint64(a.log.DurableLSN()))
	return nil
}

// auditFlushLoop is the background audit flusher: woken when entries
// become durable in the WAL, it lets them gather for
// Options.AuditFlushInterval, then writes and fsyncs them in one batch.
func (e *Engine) auditFlushLoop() {
	defer e.wg.Done()
	a := e.audit
	for {
		select {
		case <-e.stop:
			return
		case <-a.kick:
		case <-a.urgent:
		}
		if d := e.opts.AuditFlushInterval; d > 0 {
			t := time.NewTimer(d)
			select {
			case <-e.stop:
				t.Stop()
				return
			case <-t.C:
			case <-a.urgent:
				t.Stop()
			}
		}
		_ = e.flushAudit() // logs and fails the engine itself
	}
}

// FlushAudit writes every audit entry of a durable WAL record to the
// audit log and fsyncs it, as the background flusher does every
// Options.AuditFlushInterval. An error wraps ErrAuditFailed: the engine
// has failed (see Err) and refuses mutations until reopened.
func (e *Engine) FlushAudit(ctx context.Context) error {
	if e.closed.Load() {
		return ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return e.flushAudit()
}

func (e *Engine) openAudit() error {
	l, err := wal.Open(wal.Options{FS: e.fs, Dir: e.fs.PathJoin(e.opts.Dir, auditDir), Logger: e.log})
	if err != nil {
		return fmt.Errorf("engine: open audit log: %w", err)
	}
	a := &auditLog{log: l, kick: make(chan struct{}, 1), urgent: make(chan struct{}, 1)}
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
	cut := e.recovered != nil && e.recovered.AuditRepair != nil
	var tail auditTail
	found := last
	if last < floor {
		// The log lacks entries the WAL holds: the lazy flush had not
		// written them when the process stopped (or recovery cut the
		// log). Append them from the WAL records that carry them.
		if tail, err = e.recoverAuditTail(floor, floorHash); err != nil {
			return err
		}
		floorHash = tail.floorHash
		last = a.lastSeq
	}
	a.covered.Store(uint64(e.wal.DurableLSN()))
	e.auditDurable.Store(last)
	e.auditAnchored = floor
	var detail string
	restored := tail.restored
	switch {
	case tail.mismatch > 0:
		detail = fmt.Sprintf("audit entry %d in the write-ahead log does not chain onto entry %d of the audit log: the audit log was altered or entries were removed", tail.mismatch, tail.mismatch-1)
	case last < floor:
		// Entries the WAL says were durable are gone and the WAL no
		// longer holds them either: the stream was truncated or a stored
		// entry damaged (WAL repair drops everything after a bad record).
		detail = fmt.Sprintf("audit stream holds %d entries but entries up to %d were acknowledged: %d entries were removed or damaged", last, floor, floor-last)
	case floor > 0 && anchored != "" && floorHash != anchored:
		detail = fmt.Sprintf("audit entry %d does not match the hash the wal anchored for it: the entry was altered", floor)
	case tail.claim > found:
		// The file held fewer entries than it was known to hold durably:
		// it was cut, not merely behind the WAL. What the WAL still had
		// is back, but the damage stays on record.
		detail = fmt.Sprintf("the audit log held %d entries but was known to hold %d: entries were removed or damaged; %d entries were restored from the write-ahead log",
			found, tail.claim, restored)
	case cut:
		// Recovery cut a damaged audit log; the WAL gave back what it
		// held, but the damage happened and stays on record.
		rr := e.recovered.AuditRepair
		detail = fmt.Sprintf("the audit log was damaged and cut by recovery at entry %d (the damaged files are preserved in %s/%s): entries were removed or damaged; %d entries were restored from the write-ahead log",
			uint64(rr.DroppedFrom), auditDir, quarantineSub, restored)
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

// recoverAuditTail appends to the audit log the entries after its last
// one that WAL records carry, up to at least floor (the newest entry an
// applied record anchors), in order and only while they chain onto the
// log (seq contiguous, prev = the log's last hash, hash valid): a WAL entry
// that does not fit is left out, and openAudit then reports the stream as
// damaged. It returns how many entries it appended and the hash of entry
// floor if it appended it (else floorHash unchanged). The engine is not
// serving yet.
func (e *Engine) recoverAuditTail(floor uint64, floorHash string) (auditTail, error) {
	ents, claim, err := e.walAuditEntriesAfter(e.audit.lastSeq)
	if err != nil {
		return auditTail{floorHash: floorHash}, fmt.Errorf("engine: read audit entries from the wal: %w", err)
	}
	t, err := e.reappendAudit(ents, floor, floorHash)
	t.claim = claim
	return t, err
}

// auditTail is what recoverAuditTail did.
type auditTail struct {
	restored  int    // entries appended from the wal
	floorHash string // hash of the anchored entry, if known
	claim     uint64 // newest seq a record says the log held durably
	mismatch  uint64 // seq of a wal entry that did not chain onto the log (0: none)
}

// reappendAudit appends ents to the audit log while they chain onto it
// (see recoverAuditTail).
func (e *Engine) reappendAudit(ents []AuditEntry, floor uint64, floorHash string) (auditTail, error) {
	a := e.audit
	last := a.lastSeq
	t := auditTail{floorHash: floorHash}
	for _, ent := range ents {
		h, err := hashAuditEntry(ent)
		if err != nil {
			return t, err
		}
		if ent.Seq != a.lastSeq+1 || ent.Prev != a.lastHash || h != ent.Hash {
			e.log.Error("engine: an audit entry in the wal does not chain onto the audit log; not appending it",
				"seq", ent.Seq, "audit_log_last", a.lastSeq)
			if ent.Seq == a.lastSeq+1 {
				t.mismatch = ent.Seq
			}
			break
		}
		payload, err := json.Marshal(ent)
		if err != nil {
			return t, err
		}
		if _, err := a.log.Append(payload); err != nil {
			return t, fmt.Errorf("%w: re-append entry %d: %w", ErrAuditFailed, ent.Seq, err)
		}
		a.lastSeq, a.lastHash = ent.Seq, ent.Hash
		if ent.Seq == floor {
			t.floorHash = ent.Hash
		}
		t.restored++
	}
	if t.restored > 0 {
		if err := a.log.Sync(wal.LSN(a.lastSeq)); err != nil {
			return t, fmt.Errorf("%w: sync re-appended entries: %w", ErrAuditFailed, err)
		}
		e.log.Info("recovery: audit log completed from the wal", "entries", t.restored, "from_seq", last+1, "to_seq", a.lastSeq)
	}
	return t, nil
}

// walAuditEntryKey is the field name of a record's own audit entry in the
// format-1 JSON: a cheap filter before decoding a record.
var walAuditEntryKey = []byte(`"ae":`)

// walAuditDurableKey is the field name of record.AuditDurable.
var walAuditDurableKey = []byte(`"ad":`)

// errStopReplay ends a replay early.
var errStopReplay = errors.New("stop replay")

// walAuditEntries returns the audit entries with Seq > after that the
// live WAL's records carry, as the chain stands now: an entry that
// restarts the sequence (the AuditStreamDamaged entry of an earlier open)
// supersedes the entries at and after its seq. It starts reading at the
// newest WAL file whose first record anchors an entry <= after (records
// anchor a non-decreasing head), so the cost is the WAL written since the
// audit log's last flush, not the whole log.
//
// It also returns the newest audit seq any record read says was durable in
// the audit log file (record.AuditDurable).
func (e *Engine) walAuditEntriesAfter(after uint64) ([]AuditEntry, uint64, error) {
	starts := e.wal.FileStarts()
	from := e.wal.FirstLSN()
	for i := len(starts) - 1; i >= 0; i-- {
		var as uint64
		found := false
		err := e.wal.Replay(starts[i], func(_ wal.LSN, p []byte) error {
			rec, err := decodeRecord(p)
			if err != nil {
				return err
			}
			as, found = rec.AuditSeq, true
			return errStopReplay
		})
		if err != nil && !errors.Is(err, errStopReplay) {
			return nil, 0, err
		}
		if found && as <= after {
			from = starts[i]
			break
		}
	}
	var out []AuditEntry
	var claim uint64
	err := e.wal.Replay(from, func(_ wal.LSN, p []byte) error {
		if !bytes.Contains(p, walAuditEntryKey) && !bytes.Contains(p, walAuditDurableKey) {
			return nil
		}
		rec, err := decodeRecord(p)
		if err != nil {
			return err
		}
		claim = max(claim, rec.AuditDurable)
		if rec.Audit == nil {
			return nil
		}
		ent := *rec.Audit
		for len(out) > 0 && out[len(out)-1].Seq >= ent.Seq {
			out = out[:len(out)-1]
		}
		if ent.Seq > after {
			out = append(out, ent)
		}
		return nil
	})
	return out, claim, err
}

// chainAuditLocked chains ent (bounded by capAuditFields) onto the audit
// stream at time now: it fills Seq, Time, Prev and Hash and returns the
// entry with its audit log payload. The head does not move until the
// record carrying it is appended (enqueue). e.mu must be held.
func (e *Engine) chainAuditLocked(now time.Time, ent AuditEntry) (AuditEntry, []byte, error) {
	a := e.audit
	if a == nil {
		return AuditEntry{}, nil, fmt.Errorf("%w: the audit log is not open", ErrAuditFailed)
	}
	capAuditFields(&ent)
	seq, prev := a.head()
	ent.Seq = seq + 1
	ent.Time = now
	ent.Prev = prev
	ent.Hash = ""
	h, payload, err := hashAndEncodeAuditEntry(ent)
	if err != nil {
		return AuditEntry{}, nil, fmt.Errorf("%w: %w", ErrAuditFailed, err)
	}
	ent.Hash = h
	return ent, payload, nil
}

// Audit appends ent to the audit stream and returns it with its sequence
// number, time and hashes filled in. It returns once the entry is durable:
// it is logged inside an audit-anchor WAL record, group-committed like any
// mutation (the audit log file gets it from there, see auditLog), so a
// later truncation or rewrite of the stream is detected at the next open
// even when the request changed nothing. Long fields are truncated (see
// AuditMaxKey). If ctx carries an AuditScope, the entry is added to its
// Written list.
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

// anchorAudit logs the audit head in the WAL if it advanced past the last
// anchor. Every entry is carried by its own WAL record, so this is only a
// safety net; Close and the clock loop call it.
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
	// Entries of acknowledged requests may still be queued: write them
	// first. If that fails the stream on disk is known to be incomplete:
	// refuse rather than serve it as if it were whole (the failure also
	// fails the engine; the entries are safe in the WAL and reach the log
	// at the next open).
	if err := e.flushAudit(); err != nil {
		return fmt.Errorf("%w: audit log cannot be completed: %w", ErrAuditFailed, err)
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
	_ = e.flushAudit() // see AuditEntries
	return uint64(e.audit.log.LastLSN())
}
