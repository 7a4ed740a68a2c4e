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

// auditLog is the engine's audit stream.
type auditLog struct {
	log *wal.Log
	mu  sync.Mutex // serialises chaining: lastHash and append order
	// lastHash is the hash of the newest entry; guarded by mu.
	lastHash string
}

func (e *Engine) openAudit() error {
	l, err := wal.Open(wal.Options{FS: e.fs, Dir: e.fs.PathJoin(e.opts.Dir, auditDir), Logger: e.log})
	if err != nil {
		return fmt.Errorf("engine: open audit log: %w", err)
	}
	a := &auditLog{log: l}
	if last := l.LastLSN(); last > 0 {
		err := l.Replay(last, func(_ wal.LSN, p []byte) error {
			var ent AuditEntry
			if err := json.Unmarshal(p, &ent); err != nil {
				return fmt.Errorf("%w: audit entry: %v", ErrCorrupt, err)
			}
			a.lastHash = ent.Hash
			return nil
		})
		if err != nil {
			l.Close()
			return fmt.Errorf("engine: audit log tail: %w", err)
		}
	}
	e.audit = a
	last := uint64(l.LastLSN())
	e.auditDurable.Store(last)
	floor, err := e.metaUint(keyAuditSeq)
	if err != nil {
		return err
	}
	e.auditAnchored = floor
	if last < floor {
		// Entries the WAL says were durable are gone: the stream was
		// truncated or a stored entry damaged (WAL repair drops everything
		// after a bad record). Say so in the chain itself, permanently.
		detail := fmt.Sprintf("audit stream holds %d entries but entries up to %d were acknowledged: %d entries were removed or damaged", last, floor, floor-last)
		e.log.Error("engine: " + detail)
		if _, err := e.Audit(context.Background(), AuditEntry{Operation: auditDamaged, Outcome: "error", Detail: detail}); err != nil {
			return err
		}
	}
	return nil
}

// Audit appends an entry to the audit stream and returns it with its
// sequence number, time and hashes filled in. It returns once the entry is
// durable (group commit).
func (e *Engine) Audit(ctx context.Context, ent AuditEntry) (AuditEntry, error) {
	if err := ctx.Err(); err != nil {
		return AuditEntry{}, err
	}
	if e.closed.Load() {
		return AuditEntry{}, ErrClosed
	}
	a := e.audit
	a.mu.Lock()
	ent.Seq = uint64(a.log.LastLSN()) + 1
	ent.Time = e.judgeNow()
	ent.Prev = a.lastHash
	h, err := hashAuditEntry(ent)
	if err != nil {
		a.mu.Unlock()
		return AuditEntry{}, err
	}
	ent.Hash = h
	payload, err := json.Marshal(ent)
	if err != nil {
		a.mu.Unlock()
		return AuditEntry{}, err
	}
	lsn, err := a.log.Append(payload)
	if err != nil {
		a.mu.Unlock()
		return AuditEntry{}, err
	}
	a.lastHash = h
	a.mu.Unlock()
	if err := a.log.Sync(lsn); err != nil {
		return ent, err
	}
	for {
		cur := e.auditDurable.Load()
		if ent.Seq <= cur || e.auditDurable.CompareAndSwap(cur, ent.Seq) {
			break
		}
	}
	return ent, nil
}

// anchorAudit logs the durable audit head in the WAL if it advanced since
// the last anchor (every mutation record also carries it).
func (e *Engine) anchorAudit(ctx context.Context) error {
	e.anchorMu.Lock()
	defer e.anchorMu.Unlock()
	head := e.auditDurable.Load()
	if head <= e.auditAnchored {
		return nil
	}
	if _, err := e.commit(ctx, func(now time.Time, seq uint64) (*record, error) {
		return &record{Type: recAuditAnchor}, nil
	}); err != nil {
		return err
	}
	e.auditAnchored = head
	return nil
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
// contiguous, every entry's hash matches its content, and every entry
// names its predecessor's hash.
func (e *Engine) VerifyAudit(ctx context.Context) (*AuditReport, error) {
	rep := &AuditReport{}
	prev := ""
	var want uint64 = 1
	err := e.AuditEntries(ctx, 1, func(ent AuditEntry) error {
		rep.Entries++
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
	return rep, err
}

// AuditLastSeq returns the sequence number of the newest audit entry (0 if
// none), so callers can read the tail with AuditEntries.
func (e *Engine) AuditLastSeq() uint64 {
	if e.closed.Load() {
		return 0
	}
	return uint64(e.audit.log.LastLSN())
}
