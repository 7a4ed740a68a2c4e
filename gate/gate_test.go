package gate

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/stretchr/testify/require"

	"github.com/wormstore/wormstore/engine"
)

func TestOpTable(t *testing.T) {
	seen := map[string]bool{}
	for _, o := range Ops() {
		require.False(t, seen[o.Name], "duplicate row %s", o.Name)
		seen[o.Name] = true
		consoleAuth := o.Name == OpConsoleSignIn || o.Name == OpConsoleSignOut
		switch {
		case strings.HasPrefix(o.Action, AdminActionPrefix):
			require.True(t, !o.Mutating || o.Audited, "admin op %s mutates but is not audited", o.Name)
		case consoleAuth:
			require.True(t, o.Audited && !o.Mutating, "%s: authentication decisions are audited", o.Name)
		default:
			require.Equal(t, o.Mutating, o.Audited, o.Name)
		}
		if o.Name != OpConsoleRead && !consoleAuth && !IsInternalOp(o.Name) && o.Name != OpOptionsPreflight {
			require.NotEmpty(t, o.Action, "%s has no IAM action", o.Name)
			require.NotEmpty(t, o.VersionedAction, o.Name)
		}
	}
	g := &Gate{ops: opTable()}
	require.Equal(t, "s3:GetObjectVersion", g.Op("GetObject").ActionFor(true))
	require.Equal(t, "s3:GetObject", g.Op("GetObject").ActionFor(false))
	require.True(t, g.Op("PutObjectRetention").LockRelated)
	require.False(t, g.Op("GetObject").Audited)
	// The admin API's rows are in the same table.
	require.Equal(t, "admin:PUT/users/{user}/policies/{policy}", g.Op("AdminAttachUserPolicy").Action)
	require.True(t, g.Op("AdminAttachUserPolicy").Mutating)
	require.True(t, g.Op("AdminReadAudit").Audited, "audit reads are on record")
	require.False(t, g.Op("AdminGetStats").Audited)
	unknown := g.Op("SomethingNew")
	require.True(t, unknown.Audited && unknown.Mutating, "unknown operations are audited")
	require.Empty(t, unknown.Action, "unknown operations have no IAM action (refused for users)")
	for _, name := range []string{OpLifecycleExpireCurrent, OpLifecycleRemoveNoncurrent, OpLifecycleRemoveDeleteMarker, OpLifecycleAbortUpload, OpLifecyclePass} {
		o := g.Op(name)
		require.True(t, o.Mutating && o.Audited, "%s is audited", name)
		require.Empty(t, o.Action, "%s has no IAM action: no user may ask for it", name)
	}
	require.Equal(t, "admin:POST/lifecycle/run", g.Op("AdminRunLifecycle").Action)
}

func TestAnonLimiter(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := newAnonLimiter(2, time.Minute, 2)
	admitted := 0
	for i := 0; i < 5; i++ {
		ok, due := l.admit("10.0.0.1", t0.Add(time.Duration(i)*time.Second))
		require.Empty(t, due)
		if ok {
			admitted++
		}
	}
	require.Equal(t, 2, admitted, "got %d admitted, want the burst", admitted)
	// Other sources have their own counters, up to the cap; then they share one.
	ok, _ := l.admit("10.0.0.2", t0)
	require.True(t, ok)
	ok, _ = l.admit("10.0.0.3", t0)
	require.True(t, ok)
	ok, _ = l.admit("10.0.0.4", t0)
	require.True(t, ok)
	ok, _ = l.admit("10.0.0.5", t0)
	require.False(t, ok, "beyond the source cap, sources share the (other sources) counter")
	// The interval ends: the next refusal carries the summaries.
	ok, due := l.admit("10.0.0.1", t0.Add(2*time.Minute))
	require.True(t, ok)
	require.Equal(t, []anonSummary{
		{source: otherSources, start: t0, end: t0.Add(2 * time.Minute), count: 1},
		{source: "10.0.0.1", start: t0, end: t0.Add(2 * time.Minute), count: 3},
	}, due)
	require.Empty(t, l.flush(t0.Add(3*time.Minute)))
}

// TestFinishRecordsOnlyWhatNeedsRecording: plain reads are not audited,
// refusals always are, and a mutation the engine recorded gets no second
// entry.
func TestFinishRecordsOnlyWhatNeedsRecording(t *testing.T) {
	ctx := context.Background()
	eng, err := engine.Open(ctx, engine.Options{FS: vfs.NewMem(), Dir: "/data", CompactionInterval: -1})
	require.NoError(t, err)
	defer eng.Close()
	g, err := New(Config{Engine: eng})
	require.NoError(t, err)
	root := Caller{Authenticated: true, AccessKey: "AK"}

	run := func(op string, status int, ferr error, act func(ctx context.Context)) []engine.AuditEntry {
		before := eng.AuditLastSeq()
		sc := g.Begin(DoorS3, "req", "192.0.2.1")
		sc.SetCaller(root)
		sc.SetOp(op)
		if act != nil {
			act(sc.Context(ctx))
		}
		require.NoError(t, sc.Finish(ctx, Result{Status: status, Err: ferr}))
		require.NoError(t, sc.Finish(ctx, Result{Status: status}), "a second Finish is a no-op")
		var got []engine.AuditEntry
		require.NoError(t, eng.AuditEntries(ctx, before+1, func(a engine.AuditEntry) error { got = append(got, a); return nil }))
		return got
	}
	require.Empty(t, run("GetObject", http.StatusOK, nil, nil))
	require.Empty(t, run("GetObject", http.StatusNotFound, errors.New("no such key"), nil))
	got := run("GetObject", http.StatusForbidden, errors.New("AccessDenied"), nil)
	require.Len(t, got, 1)
	require.Equal(t, engine.AuditDenied, got[0].Outcome)
	require.Equal(t, "AK", got[0].Principal)
	// Reads of lock state change nothing: recorded only when refused, so
	// they keep working when the audit disk is full.
	require.Empty(t, run("GetObjectRetention", http.StatusOK, nil, nil))
	got = run("GetObjectRetention", http.StatusForbidden, errors.New("AccessDenied"), nil)
	require.Len(t, got, 1, "a refused lock read is audited")
	got = run("CreateBucket", http.StatusOK, nil, func(ctx context.Context) {
		require.NoError(t, eng.CreateBucket(ctx, "b1", engine.CreateBucketOptions{}))
	})
	require.Len(t, got, 1, "the engine's entry is the only one")
	require.Equal(t, "CreateBucket", got[0].Operation)
	require.Equal(t, "b1", got[0].Bucket)
	got = run("CreateBucket", http.StatusConflict, engine.ErrBucketExists, func(ctx context.Context) {
		require.ErrorIs(t, eng.CreateBucket(ctx, "b1", engine.CreateBucketOptions{}), engine.ErrBucketExists)
	})
	require.Len(t, got, 1)
	require.Equal(t, engine.AuditError, got[0].Outcome)
}

// TestIntentThenResult: the admin door's intent entry is written before
// the change and does not count as a recorded effect, so Finish still
// writes the result entry, with the door's detail.
func TestIntentThenResult(t *testing.T) {
	ctx := context.Background()
	eng, err := engine.Open(ctx, engine.Options{FS: vfs.NewMem(), Dir: "/data", CompactionInterval: -1})
	require.NoError(t, err)
	defer eng.Close()
	g, err := New(Config{Engine: eng})
	require.NoError(t, err)
	sc := g.Begin(DoorAdmin, "req", "192.0.2.1")
	sc.SetCaller(Caller{Authenticated: true, AccessKey: "AK"})
	sc.SetOp("AdminCreateUser")
	intent, err := sc.Intent(ctx, engine.AuditEntry{Outcome: "intent", Detail: "user=alice"})
	require.NoError(t, err)
	require.NotZero(t, intent.Seq)
	require.NoError(t, sc.Finish(ctx, Result{Status: http.StatusOK, Detail: "user=alice intent_seq=1"}))
	var got []engine.AuditEntry
	require.NoError(t, eng.AuditEntries(ctx, 1, func(a engine.AuditEntry) error { got = append(got, a); return nil }))
	require.Len(t, got, 2)
	for _, e := range got {
		require.Equal(t, "AdminCreateUser", e.Operation)
		require.Equal(t, "admin:192.0.2.1", e.Source)
		require.Equal(t, "AK", e.Principal)
		require.Equal(t, "req", e.RequestID)
	}
	require.Equal(t, "intent", got[0].Outcome)
	require.Equal(t, engine.AuditOK, got[1].Outcome)
	require.Equal(t, "user=alice intent_seq=1", got[1].Detail)
}
