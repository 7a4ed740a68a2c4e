package engine

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"
	"github.com/stretchr/testify/require"
	"github.com/wormstore/wormstore/wal"
)

func TestAuditChain(t *testing.T) {
	clock := newFakeClock()
	fs := vfs.NewMem()
	opts := testOptions(fs, clock)
	e, err := Open(ctx, opts)
	require.NoError(t, err)
	for i := 0; i < 5; i++ {
		ent, err := e.Audit(ctx, AuditEntry{Principal: "uploader", Operation: "PutObjectLegalHold", Bucket: "archive",
			Key: fmt.Sprint("k", i), Outcome: "ok", OldLock: &LockState{}, NewLock: &LockState{LegalHold: true, LegalHoldSet: true}})
		require.NoError(t, err)
		require.Equal(t, uint64(i+1), ent.Seq)
		require.Equal(t, clock.Now(), ent.Time)
	}
	rep, err := e.VerifyAudit(ctx)
	require.NoError(t, err)
	require.True(t, rep.OK(), "%v", rep.Problems)
	require.Equal(t, uint64(5), rep.Entries)
	head := rep.Head
	require.NoError(t, e.Close())

	// The chain continues across a restart.
	e, err = Open(ctx, opts)
	require.NoError(t, err)
	ent, err := e.Audit(ctx, AuditEntry{Operation: "DeleteObject", Outcome: "denied", Status: 403})
	require.NoError(t, err)
	require.Equal(t, head, ent.Prev)
	var seen []uint64
	require.NoError(t, e.AuditEntries(ctx, 4, func(a AuditEntry) error { seen = append(seen, a.Seq); return nil }))
	require.Equal(t, []uint64{4, 5, 6}, seen)
	require.NoError(t, e.Close())
}

// rewriteAudit replaces the audit log with entries (re-framed by a fresh
// WAL, as an attacker with file access could do).
func rewriteAudit(t *testing.T, fs vfs.FS, entries []AuditEntry) {
	require.NoError(t, fs.RemoveAll("/data/audit"))
	l, err := wal.Open(wal.Options{FS: fs, Dir: "/data/audit"})
	require.NoError(t, err)
	for _, ent := range entries {
		b, err := json.Marshal(ent)
		require.NoError(t, err)
		_, err = l.Commit(b)
		require.NoError(t, err)
	}
	require.NoError(t, l.Close())
}

func TestAuditTamperingDetected(t *testing.T) {
	clock := newFakeClock()
	fs := vfs.NewMem()
	opts := testOptions(fs, clock)
	e, err := Open(ctx, opts)
	require.NoError(t, err)
	var all []AuditEntry
	for i := 0; i < 4; i++ {
		ent, err := e.Audit(ctx, AuditEntry{Operation: "PutObjectRetention", Key: fmt.Sprint("k", i), Outcome: "ok"})
		require.NoError(t, err)
		all = append(all, ent)
	}
	require.NoError(t, e.Close())

	check := func(name string, entries []AuditEntry, want string) {
		t.Run(name, func(t *testing.T) {
			rewriteAudit(t, fs, entries)
			e, err := Open(ctx, opts)
			require.NoError(t, err)
			defer e.Close()
			rep, err := e.VerifyAudit(ctx)
			require.NoError(t, err)
			require.False(t, rep.OK())
			require.Contains(t, fmt.Sprint(rep.Problems), want)
		})
	}
	altered := append([]AuditEntry(nil), all...)
	altered[1].Outcome = "denied"
	check("rewritten entry", altered, "content does not match its hash")

	removed := []AuditEntry{all[0], all[2], all[3]}
	removed[1].Seq, removed[2].Seq = 2, 3
	for i := 1; i < 3; i++ { // recompute own hashes, but the chain still breaks
		h, err := hashAuditEntry(removed[i])
		require.NoError(t, err)
		removed[i].Hash = h
	}
	check("removed entry", removed, "an entry was removed or rewritten")

	// Putting the original entries back does not hide the tampering: the
	// AuditStreamDamaged entry the last open wrote is anchored in the WAL
	// (seq and hash), and the restored stream no longer holds it.
	rewriteAudit(t, fs, all)
	e, err = Open(ctx, opts)
	require.NoError(t, err)
	rep, err := e.VerifyAudit(ctx)
	require.NoError(t, err)
	require.False(t, rep.OK())
	require.Contains(t, fmt.Sprint(rep.Problems), "was altered")
	require.NoError(t, e.Close())
}

// TestAuditByteFlipDetected: flipping one byte of a stored entry makes the
// WAL drop it and everything after it at the next open; the anchor the
// engine keeps in its own WAL shows acknowledged entries are missing, and
// verify reports it.
func TestAuditByteFlipDetected(t *testing.T) {
	clock := newFakeClock()
	fs := vfs.NewMem()
	opts := testOptions(fs, clock)
	e, err := Open(ctx, opts)
	require.NoError(t, err)
	for i := 0; i < 6; i++ {
		_, err := e.Audit(ctx, AuditEntry{Operation: "PutObjectLegalHold", Key: fmt.Sprint("k", i), Outcome: "ok"})
		require.NoError(t, err)
	}
	require.NoError(t, e.Close()) // anchors the audit head in the WAL

	names, err := fs.List("/data/audit")
	require.NoError(t, err)
	flipped := false
	for _, n := range names {
		if !strings.HasSuffix(n, ".wal") {
			continue
		}
		data, err := fs.UnsafeGetFileDataBuffer("/data/audit/" + n)
		require.NoError(t, err)
		i := bytes.Index(data, []byte(`"k2"`))
		require.Positive(t, i)
		data[i+1] = 'X' // k2 → X2, one byte
		flipped = true
	}
	require.True(t, flipped)

	// A damaged audit log is corruption, not a torn tail: Open refuses
	// and names the recovery; the explicit recovery preserves the file
	// and cuts the log, and the chain then records the loss.
	_, err = Open(ctx, opts)
	require.ErrorIs(t, err, ErrWALCorrupt)
	require.ErrorContains(t, err, "/data/audit/")
	require.ErrorContains(t, err, "wormstore recover --data /data --truncate-corrupt-wal")
	_, err = Recover(ctx, opts, RecoverOptions{TruncateCorruptWAL: true})
	require.NoError(t, err)
	e, err = Open(ctx, opts)
	require.NoError(t, err)
	defer e.Close()
	rep, err := e.VerifyAudit(ctx)
	require.NoError(t, err)
	require.False(t, rep.OK())
	require.Contains(t, fmt.Sprint(rep.Problems), "removed or damaged")
}

// auditFaultFS fails every write and sync under /data/audit with ENOSPC
// while fail is set: a full disk that hits only the audit log.
func auditFaultFS(fs vfs.FS, fail *atomic.Bool) vfs.FS {
	return errorfs.Wrap(fs, errorfs.InjectorFunc(func(op errorfs.Op) error {
		if !fail.Load() || !strings.HasPrefix(op.Path, "/data/audit") {
			return nil
		}
		switch op.Kind {
		case errorfs.OpFileWrite, errorfs.OpFileWriteAt, errorfs.OpFileSync, errorfs.OpFileSyncData, errorfs.OpCreate:
			return syscall.ENOSPC
		}
		return nil
	}))
}

// TestAuditFailureBlocksMutation: when the audit log file cannot be
// written, the engine fails closed: the failure surfaces at the next flush
// (the mutation before it was acknowledged with its entry durable in its
// WAL record), the engine fails sticky with ErrAuditFailed, reports it
// (Err) and refuses further mutations and audits until reopened; the
// reopened engine re-appends the acknowledged entry from the WAL, and the
// refused change never happened.
func TestAuditFailureBlocksMutation(t *testing.T) {
	clock := newFakeClock()
	mem := vfs.NewCrashableMem()
	var fail atomic.Bool
	opts := testOptions(auditFaultFS(mem, &fail), clock)
	e, err := Open(ctx, opts)
	require.NoError(t, err)
	require.NoError(t, e.CreateBucket(ctx, "lk", CreateBucketOptions{ObjectLock: true}))
	v := put(t, e, "lk", "k", []byte("data"))
	v2 := put(t, e, "lk", "k2", []byte("data"))

	fail.Store(true)
	sc := &AuditScope{Base: AuditEntry{RequestID: "r1", Principal: "writer", Operation: "PutObjectLegalHold"}}
	_, err = e.PutObjectLegalHold(WithAudit(ctx, sc), "lk", "k", v.VersionID, true)
	require.NoError(t, err, "the entry is durable in the WAL record: the audit disk is not on the request path")
	require.Len(t, sc.Written(), 1)
	acked := sc.Written()[0]

	err = e.FlushAudit(ctx)
	require.ErrorIs(t, err, ErrAuditFailed)
	require.ErrorIs(t, err, syscall.ENOSPC)
	require.ErrorIs(t, e.Err(), ErrAuditFailed, "health must report the audit failure")
	_, err = e.PutObjectLegalHold(ctx, "lk", "k2", v2.VersionID, true)
	require.ErrorIs(t, err, ErrFailed)
	require.ErrorIs(t, err, ErrAuditFailed)
	_, err = e.Audit(ctx, AuditEntry{Operation: "DeleteObject", Outcome: AuditDenied})
	require.ErrorIs(t, err, ErrAuditFailed)

	// After a crash and with space back, the acknowledged change and its
	// entry are there (re-appended from the WAL), the refused one is not,
	// and the audit stream verifies.
	img := mem.CrashClone(vfs.CrashCloneCfg{})
	_ = e.Close()
	require.Less(t, uint64(len(lastAuditEntries(t, img))), acked.Seq, "the crash image lacks the entry in the audit log")
	e2 := openTest(t, testOptions(img, clock))
	hold, err := e2.GetObjectLegalHold(ctx, "lk", "k", v.VersionID)
	require.NoError(t, err)
	require.True(t, hold)
	_, err = e2.GetObjectLegalHold(ctx, "lk", "k2", v2.VersionID)
	require.ErrorIs(t, err, ErrNoSuchLockConfiguration)
	requireAuditEntry(t, e2, acked)
	rep, err := e2.VerifyAudit(ctx)
	require.NoError(t, err)
	require.True(t, rep.OK(), "%v", rep.Problems)
}

// requireAuditEntry checks that e's audit stream holds want, unchanged.
func requireAuditEntry(t *testing.T, e *Engine, want AuditEntry) {
	t.Helper()
	var got *AuditEntry
	require.NoError(t, e.AuditEntries(ctx, want.Seq, func(a AuditEntry) error {
		if a.Seq == want.Seq {
			got = &a
		}
		return nil
	}))
	require.NotNil(t, got, "audit entry %d missing", want.Seq)
	require.Equal(t, want.Hash, got.Hash)
	require.Equal(t, want.Prev, got.Prev)
	require.Equal(t, want.Operation, got.Operation)
	require.True(t, want.Time.Equal(got.Time))
}

// TestAuditScopeRecordsWhatTheEngineDid: a mutation committed with an
// AuditScope writes one entry, durable with the record, naming the
// version, the lock states before and after and whether a bypass was
// exercised — from the record, not from what the caller asked.
func TestAuditScopeRecordsWhatTheEngineDid(t *testing.T) {
	clock := newFakeClock()
	e := openTest(t, testOptions(vfs.NewMem(), clock))
	require.NoError(t, e.CreateBucket(ctx, "lk", CreateBucketOptions{ObjectLock: true}))
	v := put(t, e, "lk", "k", []byte("data"))
	until := clock.Now().Add(48 * time.Hour)
	_, _, err := e.PutObjectRetention(ctx, "lk", "k", v.VersionID, Retention{ModeGovernance, until}, false)
	require.NoError(t, err)

	sc := &AuditScope{Base: AuditEntry{RequestID: "r2", Principal: "admin", Operation: "PutObjectRetention", Bypass: true}}
	shorter := clock.Now().Add(time.Hour)
	_, _, err = e.PutObjectRetention(WithAudit(ctx, sc), "lk", "k", "", Retention{ModeGovernance, shorter}, true)
	require.NoError(t, err)
	w := sc.Written()
	require.Len(t, w, 1)
	got := w[0]
	require.Equal(t, AuditOK, got.Outcome)
	require.Equal(t, v.VersionID, got.VersionID)
	require.Equal(t, "k", got.Key)
	require.True(t, got.Bypass, "shortening GOVERNANCE exercises the bypass")
	require.Equal(t, until, got.OldLock.Retention.Until)
	require.Equal(t, shorter, got.NewLock.Retention.Until)
	require.Equal(t, e.AuditLastSeq(), got.Seq)

	// A refused mutation writes no entry of its own (the door records the
	// refusal).
	sc2 := &AuditScope{Base: AuditEntry{Operation: "DeleteObject"}}
	_, err = e.DeleteObject(WithAudit(ctx, sc2), "lk", "k", DeleteOptions{VersionID: v.VersionID})
	require.ErrorIs(t, err, ErrObjectLocked)
	require.Empty(t, sc2.Written())
}

// lastAuditEntries reads every entry of the audit log in fs.
func lastAuditEntries(t *testing.T, fs vfs.FS) []AuditEntry {
	l, err := wal.Open(wal.Options{FS: fs, Dir: "/data/audit"})
	require.NoError(t, err)
	defer l.Close()
	var all []AuditEntry
	if l.LastLSN() == 0 {
		return nil
	}
	require.NoError(t, l.Replay(1, func(_ wal.LSN, p []byte) error {
		var ent AuditEntry
		require.NoError(t, json.Unmarshal(p, &ent))
		all = append(all, ent)
		return nil
	}))
	return all
}

// TestAuditTailCutAfterDeniedRequestDetected: a denied request changes
// nothing, yet its entry is anchored in the WAL before Audit returns; so
// when the tail of the stream is cut or rewritten after a crash right after
// it, the next open and VerifyAudit report it.
func TestAuditTailCutAfterDeniedRequestDetected(t *testing.T) {
	for _, tc := range []struct {
		name   string
		tamper func([]AuditEntry) []AuditEntry
		want   string
	}{
		{"cut", func(all []AuditEntry) []AuditEntry { return all[:len(all)-1] }, "removed"},
		{"rewritten", func(all []AuditEntry) []AuditEntry {
			last := &all[len(all)-1]
			last.Outcome, last.Principal = AuditOK, "someone-else"
			h, _ := hashAuditEntry(*last)
			last.Hash = h
			return all
		}, "altered"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := newFakeClock()
			mem := vfs.NewCrashableMem()
			opts := testOptions(mem, clock)
			e, err := Open(ctx, opts)
			require.NoError(t, err)
			require.NoError(t, e.CreateBucket(ctx, "b", CreateBucketOptions{}))
			for i := 0; i < 4; i++ {
				if i == 3 {
					// Entries 1-3 reach the audit log; the WAL record of
					// entry 4 says so, and entry 4 is only in the WAL.
					require.NoError(t, e.FlushAudit(ctx))
				}
				_, err := e.Audit(ctx, AuditEntry{Principal: "anon", Operation: "DeleteObject", Bucket: "b", Key: fmt.Sprint("k", i), Outcome: AuditDenied, Status: 403})
				require.NoError(t, err)
			}
			img := mem.CrashClone(vfs.CrashCloneCfg{}) // crash: no Close, no minute anchor
			_ = e.Close()

			all := lastAuditEntries(t, img)
			require.Len(t, all, 3)
			rewriteAudit(t, img, tc.tamper(all))
			e2, err := Open(ctx, testOptions(img, clock))
			require.NoError(t, err)
			defer e2.Close()
			rep, err := e2.VerifyAudit(ctx)
			require.NoError(t, err)
			require.False(t, rep.OK(), "tampered tail not detected")
			require.Contains(t, fmt.Sprint(rep.Problems), tc.want)
		})
	}
}

// TestAuditFieldsBounded: no field of an entry grows past its bound plus
// the truncation marker.
func TestAuditFieldsBounded(t *testing.T) {
	e := openTest(t, testOptions(vfs.NewMem(), newFakeClock()))
	huge := strings.Repeat("é", 300<<10)
	ent, err := e.Audit(ctx, AuditEntry{Operation: huge, Key: huge, Detail: huge, Source: huge, Principal: huge, RequestID: huge, Bucket: huge, VersionID: huge, Outcome: AuditDenied})
	require.NoError(t, err)
	b, err := json.Marshal(ent)
	require.NoError(t, err)
	require.Less(t, len(b), 4<<10, "entry of %d bytes", len(b))
	require.True(t, utf8.ValidString(ent.Key))
	require.Contains(t, ent.Key, "…[truncated ")
	require.LessOrEqual(t, len(ent.Key), AuditMaxKey+32)
	rep, err := e.VerifyAudit(ctx)
	require.NoError(t, err)
	require.True(t, rep.OK(), "%v", rep.Problems)
}

// TestAuditEntryEncodingSplice: the payload built by splicing the hash
// into the hashed JSON is byte for byte what json.Marshal gives for the
// entry with its hash, for entries with every field set or empty and
// strings JSON escapes.
func TestAuditEntryEncodingSplice(t *testing.T) {
	lock := &LockState{Retention: Retention{Mode: ModeCompliance, Until: time.Unix(1e9, 5).UTC()}, LegalHold: true}
	ents := []AuditEntry{
		{},
		{Seq: 1, Time: time.Unix(1, 2).UTC(), Operation: "PutObject", Outcome: AuditOK},
		{Seq: 99, Time: time.Now(), RequestID: "r<&>", Principal: "p\"\\", Source: "1.2.3.4:5", Operation: "o\u2028",
			Bucket: "b", Key: "k/é\x00", VersionID: "v", Outcome: AuditDenied, Status: 403, Detail: "d\n\t",
			OldLock: lock, NewLock: &LockState{}, Bypass: true, Count: 7, Prev: strings.Repeat("ab", 32), Hash: "ignored"},
	}
	for i, ent := range ents {
		h, payload, err := hashAndEncodeAuditEntry(ent)
		require.NoError(t, err)
		want, err := hashAuditEntry(ent)
		require.NoError(t, err)
		require.Equal(t, want, h)
		ent.Hash = h
		b, err := json.Marshal(ent)
		require.NoError(t, err)
		require.Equal(t, string(b), string(payload), "entry %d", i)
	}
}
