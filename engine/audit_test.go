package engine

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
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

	e, err = Open(ctx, opts)
	require.NoError(t, err)
	defer e.Close()
	rep, err := e.VerifyAudit(ctx)
	require.NoError(t, err)
	require.False(t, rep.OK())
	require.Contains(t, fmt.Sprint(rep.Problems), "removed or damaged")
}
