package engine

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/stretchr/testify/require"
)

// TestLifecycleRemoveRespectsLocks: on an advancing fake clock, a lifecycle
// removal of a version under COMPLIANCE or GOVERNANCE retention or a legal
// hold is refused (ErrObjectLocked) every time, with or without a scope, and
// succeeds once the lock ends; GOVERNANCE is never bypassed. The removals
// replay to the same index after a rebuild.
func TestLifecycleRemoveRespectsLocks(t *testing.T) {
	clock := newFakeClock()
	opts := testOptions(vfs.NewMem(), clock)
	e := openTest(t, opts)
	ctx := context.Background()
	require.NoError(t, e.CreateBucket(ctx, "b", CreateBucketOptions{ObjectLock: true}))
	now := clock.Now()
	putWith := func(key string, o PutOptions) string {
		o.Size = 4
		info, err := e.PutObject(ctx, "b", key, bytes.NewReader([]byte("data")), o)
		require.NoError(t, err)
		return info.VersionID
	}
	comp := putWith("c", PutOptions{Retention: &Retention{Mode: ModeCompliance, Until: now.Add(48 * time.Hour)}})
	gov := putWith("g", PutOptions{Retention: &Retention{Mode: ModeGovernance, Until: now.Add(72 * time.Hour)}})
	held := putWith("h", PutOptions{LegalHold: true})
	for _, k := range []string{"c", "g", "h"} {
		putWith(k, PutOptions{}) // the locked versions become noncurrent
	}
	scope := &AuditScope{Base: AuditEntry{Principal: "lifecycle", Source: "lifecycle", Operation: "lifecycle:RemoveNoncurrentVersion"}}
	sctx := WithAudit(ctx, scope)
	try := func(key, vid string) error {
		_, err := e.LifecycleRemove(sctx, "b", key, vid, LifecycleNoncurrent)
		return err
	}
	for _, step := range []time.Duration{0, time.Hour, 46*time.Hour + 59*time.Minute} {
		clock.Advance(step)
		require.ErrorIs(t, try("c", comp), ErrObjectLocked)
		require.ErrorIs(t, try("g", gov), ErrObjectLocked)
		require.ErrorIs(t, try("h", held), ErrObjectLocked)
	}
	require.Empty(t, scope.Written(), "a refused removal writes nothing")

	clock.Advance(time.Minute) // COMPLIANCE ends at its retain-until date
	require.NoError(t, try("c", comp))
	require.ErrorIs(t, try("g", gov), ErrObjectLocked)
	clock.Advance(24 * time.Hour) // GOVERNANCE ended, never bypassed before
	require.NoError(t, try("g", gov))
	require.ErrorIs(t, try("h", held), ErrObjectLocked, "a legal hold has no end")
	_, err := e.PutObjectLegalHold(ctx, "b", "h", held, false)
	require.NoError(t, err)
	require.NoError(t, try("h", held))
	w := scope.Written()
	require.Len(t, w, 3)
	for _, ent := range w {
		require.False(t, ent.Bypass)
		require.Equal(t, "lifecycle", ent.Principal)
		require.Equal(t, recRemove.String(), ent.Detail)
	}
	for _, k := range []string{"c", "g", "h"} {
		res, err := e.ListVersions(ctx, "b", VersionListOptions{Prefix: k})
		require.NoError(t, err)
		require.Len(t, res.Versions, 1, "only the current version of %s is left", k)
	}

	before := dumpIndex(t, e.db)
	require.NoError(t, e.Close())
	require.NoError(t, Rebuild(ctx, opts))
	e = openTest(t, opts)
	require.Equal(t, before, dumpIndex(t, e.db))
}
