package engine

import (
	"bytes"
	"fmt"
	randv2 "math/rand/v2"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"
	"github.com/stretchr/testify/require"
	"github.com/wormstore/wormstore/wal"
)

// auditedOps runs one audited mutation of every kind that writes no data
// (retention, legal hold, delete marker, denied request) on e and returns
// the entries written, in order.
func auditedOps(t *testing.T, e *Engine, clock *fakeClock, vid string) []AuditEntry {
	t.Helper()
	var out []AuditEntry
	sc := &AuditScope{Base: AuditEntry{RequestID: "r1", Principal: "veeam", Operation: "PutObjectRetention"}}
	_, _, err := e.PutObjectRetention(WithAudit(ctx, sc), "lk", "k", vid, Retention{ModeCompliance, clock.Now().Add(72 * time.Hour)}, false)
	require.NoError(t, err)
	sc2 := &AuditScope{Base: AuditEntry{RequestID: "r2", Principal: "veeam", Operation: "PutObjectLegalHold"}}
	_, err = e.PutObjectLegalHold(WithAudit(ctx, sc2), "lk", "k", vid, true)
	require.NoError(t, err)
	sc3 := &AuditScope{Base: AuditEntry{RequestID: "r3", Principal: "veeam", Operation: "DeleteObject"}}
	_, err = e.DeleteObject(WithAudit(ctx, sc3), "lk", "k", DeleteOptions{})
	require.NoError(t, err)
	denied, err := e.Audit(ctx, AuditEntry{RequestID: "r4", Principal: "anon", Operation: "DeleteObject", Bucket: "lk", Key: "k",
		VersionID: vid, Outcome: AuditDenied, Status: 403})
	require.NoError(t, err)
	out = append(out, sc.Written()...)
	out = append(out, sc2.Written()...)
	out = append(out, sc3.Written()...)
	out = append(out, denied)
	require.Len(t, out, 4)
	return out
}

// TestAuditCrashAfterWALSyncBeforeAuditWrite: a crash after the WAL fsync
// of audited mutations and before the audit log was written loses no
// entry: the audit log on disk lacks them, and the next open appends them
// from the WAL records with the same seq and hash chain, before it serves.
func TestAuditCrashAfterWALSyncBeforeAuditWrite(t *testing.T) {
	clock := newFakeClock()
	mem := vfs.NewCrashableMem()
	opts := testOptions(mem, clock)
	e, err := Open(ctx, opts)
	require.NoError(t, err)
	require.NoError(t, e.CreateBucket(ctx, "lk", CreateBucketOptions{ObjectLock: true}))
	v := put(t, e, "lk", "k", []byte("evidence"))
	require.NoError(t, e.FlushAudit(ctx))
	onDisk := e.audit.log.DurableLSN()
	ents := auditedOps(t, e, clock, v.VersionID)
	img := mem.CrashClone(vfs.CrashCloneCfg{}) // crash: only synced data, no Close
	_ = e.Close()

	require.Len(t, lastAuditEntries(t, img), int(onDisk), "the crash image's audit log lacks the new entries")
	e2 := openTest(t, testOptions(img, clock))
	for _, want := range ents {
		requireAuditEntry(t, e2, want)
	}
	require.Equal(t, ents[len(ents)-1].Seq, e2.AuditLastSeq())
	rep, err := e2.VerifyAudit(ctx)
	require.NoError(t, err)
	require.True(t, rep.OK(), "%v", rep.Problems)
	lock, err := e2.GetObjectLegalHold(ctx, "lk", "k", v.VersionID)
	require.NoError(t, err)
	require.True(t, lock)
	// The chain goes on from the restored head.
	next, err := e2.Audit(ctx, AuditEntry{Operation: "DeleteObject", Outcome: AuditDenied})
	require.NoError(t, err)
	require.Equal(t, ents[len(ents)-1].Hash, next.Prev)
}

// TestAuditCrashMidAuditWrite: a crash while the flusher writes the audit
// log (the last record torn) is completed at the next open from the WAL.
func TestAuditCrashMidAuditWrite(t *testing.T) {
	clock := newFakeClock()
	mem := vfs.NewCrashableMem()
	var img *vfs.MemFS
	var armed atomic.Bool
	fs := errorfs.Wrap(mem, errorfs.InjectorFunc(func(op errorfs.Op) error {
		if armed.Load() && img == nil && strings.HasPrefix(op.Path, "/data/audit/") &&
			(op.Kind == errorfs.OpFileSync || op.Kind == errorfs.OpFileSyncData) {
			// Everything written but not yet synced survives; then the
			// last record of the audit log is torn below.
			img = mem.CrashClone(vfs.CrashCloneCfg{UnsyncedDataPercent: 100, RNG: randv2.New(randv2.NewPCG(1, 1))})
		}
		return nil
	}))
	opts := testOptions(fs, clock)
	e, err := Open(ctx, opts)
	require.NoError(t, err)
	require.NoError(t, e.CreateBucket(ctx, "lk", CreateBucketOptions{ObjectLock: true}))
	v := put(t, e, "lk", "k", []byte("evidence"))
	require.NoError(t, e.FlushAudit(ctx))
	ents := auditedOps(t, e, clock, v.VersionID)
	armed.Store(true)
	require.NoError(t, e.FlushAudit(ctx))
	require.NotNil(t, img)
	require.NoError(t, e.Close())

	// Tear the newest audit file's last record.
	names, err := img.List("/data/audit")
	require.NoError(t, err)
	var newest string
	for _, n := range names {
		if strings.HasSuffix(n, ".wal") && n > newest {
			newest = n
		}
	}
	path := "/data/audit/" + newest
	data, err := img.UnsafeGetFileDataBuffer(path)
	require.NoError(t, err)
	require.Positive(t, bytes.Count(data, []byte(`"request_id":"r4"`)), "the last entry was written before the sync")
	torn := bytes.Clone(data[:len(data)-7])
	f, err := img.Create(path, vfs.WriteCategoryUnspecified)
	require.NoError(t, err)
	_, err = f.Write(torn)
	require.NoError(t, err)
	require.NoError(t, f.Sync())
	require.NoError(t, f.Close())
	require.Less(t, len(lastAuditEntries(t, img)), int(ents[len(ents)-1].Seq))

	e2 := openTest(t, testOptions(img, clock))
	for _, want := range ents {
		requireAuditEntry(t, e2, want)
	}
	rep, err := e2.VerifyAudit(ctx)
	require.NoError(t, err)
	require.True(t, rep.OK(), "%v", rep.Problems)
}

// TestAuditCrashPoints crashes at every write of audited lock changes,
// denials and the audit flush: after reopening, the audit stream verifies
// (contiguous, hash-chained, reaching every entry a durable WAL record
// carries) and nothing is reported damaged.
func TestAuditCrashPoints(t *testing.T) {
	clock := newFakeClock()
	var vid string
	forEachCrashPoint(t, func(e *Engine) *acked {
		require.NoError(t, e.CreateBucket(ctx, "lk", CreateBucketOptions{ObjectLock: true}))
		vid = put(t, e, "lk", "k", []byte("evidence")).VersionID
		return newAcked()
	}, func(e *Engine) error {
		for i := range 3 {
			sc := &AuditScope{Base: AuditEntry{RequestID: fmt.Sprint("r", i), Principal: "veeam", Operation: "PutObjectRetention"}}
			if _, _, err := e.PutObjectRetention(WithAudit(ctx, sc), "lk", "k", vid, Retention{ModeCompliance, clock.Now().Add(time.Duration(i+1) * time.Hour)}, false); err != nil {
				return err
			}
			if _, err := e.Audit(ctx, AuditEntry{Operation: "DeleteObject", Outcome: AuditDenied, Status: 403, Key: fmt.Sprint("k", i)}); err != nil {
				return err
			}
		}
		return e.FlushAudit(ctx)
	}, func(t *testing.T, fs vfs.FS, _ map[string]ackedVersion) {
		e := openAfterCrash(t, testOptions(fs, clock))
		defer e.Close()
		rep, err := e.VerifyAudit(ctx)
		require.NoError(t, err)
		require.True(t, rep.OK(), "%v", rep.Problems)
		floor, err := e.metaUint(keyAuditSeq)
		require.NoError(t, err)
		require.GreaterOrEqual(t, rep.Entries, floor)
	})
}

// TestAuditBackgroundFlush: the flusher writes the audit log on its own,
// shortly after the entries' records are durable.
func TestAuditBackgroundFlush(t *testing.T) {
	clock := newFakeClock()
	mem := vfs.NewCrashableMem()
	opts := testOptions(mem, clock)
	opts.AuditFlushInterval = 5 * time.Millisecond
	e, err := Open(ctx, opts)
	require.NoError(t, err)
	defer e.Close()
	ent, err := e.Audit(ctx, AuditEntry{Operation: "DeleteObject", Outcome: AuditDenied})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return e.audit.log.DurableLSN() >= wal.LSN(ent.Seq) }, 10*time.Second, time.Millisecond)
	img := mem.CrashClone(vfs.CrashCloneCfg{})
	all := lastAuditEntries(t, img)
	require.Len(t, all, int(ent.Seq))
	require.Equal(t, ent.Hash, all[len(all)-1].Hash)
}

// TestCheckpointKeepsWALForUnflushedAudit: a checkpoint flushes the audit
// log before it retires WAL files, and retires nothing when it cannot (the
// WAL is then the only durable copy of the entries).
func TestCheckpointKeepsWALForUnflushedAudit(t *testing.T) {
	clock := newFakeClock()
	mem := vfs.NewCrashableMem()
	var fail atomic.Bool
	opts := testOptions(auditFaultFS(mem, &fail), clock)
	opts.CheckpointKeep = 1
	e, err := Open(ctx, opts)
	require.NoError(t, err)
	require.NoError(t, e.CreateBucket(ctx, "b", CreateBucketOptions{}))
	var last AuditEntry
	for i := range 200 { // several 16 KiB WAL files
		last, err = e.Audit(ctx, AuditEntry{Operation: "DeleteObject", Outcome: AuditDenied, Key: fmt.Sprint("k", i)})
		require.NoError(t, err)
	}
	require.Greater(t, len(e.wal.FileStarts()), 2)
	first := e.wal.FirstLSN()
	fail.Store(true)
	_, err = e.Checkpoint(ctx)
	require.ErrorIs(t, err, ErrAuditFailed)
	require.Equal(t, first, e.wal.FirstLSN(), "no WAL file retired past entries the audit log lacks")
	img := mem.CrashClone(vfs.CrashCloneCfg{})
	_ = e.Close()

	fail.Store(false)
	e2, err := Open(ctx, testOptions(img, clock))
	require.NoError(t, err)
	requireAuditEntry(t, e2, last)
	res, err := e2.Checkpoint(ctx)
	require.NoError(t, err)
	_, err = e2.Audit(ctx, AuditEntry{Operation: "DeleteObject", Outcome: AuditDenied})
	require.NoError(t, err)
	res, err = e2.Checkpoint(ctx)
	require.NoError(t, err)
	require.NotEmpty(t, res.Retired, "with the audit log written, old WAL files retire")
	require.NoError(t, e2.Close())
	e3 := openTest(t, testOptions(img, clock))
	rep, err := e3.VerifyAudit(ctx)
	require.NoError(t, err)
	require.True(t, rep.OK(), "%v", rep.Problems)
}

// TestAuditOldFormatDataDir: a data directory written before records
// carried their entries (anchors only, the audit log synced first) opens,
// rebuilds and verifies, and new entries chain onto it.
func TestAuditOldFormatDataDir(t *testing.T) {
	clock := newFakeClock()
	mem := vfs.NewMem()
	opts := testOptions(mem, clock)
	e, err := Open(ctx, opts)
	require.NoError(t, err)
	require.NoError(t, e.CreateBucket(ctx, "lk", CreateBucketOptions{ObjectLock: true}))
	v := put(t, e, "lk", "k", []byte("evidence"))
	ents := auditedOps(t, e, clock, v.VersionID)
	require.NoError(t, e.Close())

	// Rewrite the WAL as the old format had it: same records, no ae/ad.
	old, err := wal.Open(wal.Options{FS: mem, Dir: "/data/wal"})
	require.NoError(t, err)
	var payloads [][]byte
	require.NoError(t, old.Replay(1, func(_ wal.LSN, p []byte) error {
		rec, err := decodeRecord(p)
		if err != nil {
			return err
		}
		rec.Audit, rec.AuditDurable = nil, 0
		enc, err := encodeRecord(rec)
		if err != nil {
			return err
		}
		require.NotContains(t, string(enc), `"ae":`)
		payloads = append(payloads, enc)
		return nil
	}))
	require.NoError(t, old.Close())
	require.NoError(t, mem.RemoveAll("/data/wal"))
	nw, err := wal.Open(wal.Options{FS: mem, Dir: "/data/wal"})
	require.NoError(t, err)
	for _, p := range payloads {
		_, err := nw.Commit(p)
		require.NoError(t, err)
	}
	require.NoError(t, nw.Close())

	require.NoError(t, Rebuild(ctx, opts))
	e2 := openTest(t, opts)
	for _, want := range ents {
		requireAuditEntry(t, e2, want)
	}
	next, err := e2.Audit(ctx, AuditEntry{Operation: "DeleteObject", Outcome: AuditDenied})
	require.NoError(t, err)
	require.Equal(t, ents[len(ents)-1].Hash, next.Prev)
	rep, err := e2.VerifyAudit(ctx)
	require.NoError(t, err)
	require.True(t, rep.OK(), "%v", rep.Problems)
}
