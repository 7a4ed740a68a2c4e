package lifecycle_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/stretchr/testify/require"

	"github.com/wormstore/wormstore/engine"
	"github.com/wormstore/wormstore/gate"
	"github.com/wormstore/wormstore/lifecycle"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type harness struct {
	t     *testing.T
	eng   *engine.Engine
	clock *fakeClock
	w     *lifecycle.Worker
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	clock := &fakeClock{t: time.Date(2026, 4, 1, 10, 0, 0, 0, time.UTC)}
	eng, err := engine.Open(context.Background(), engine.Options{FS: vfs.NewMem(), Dir: "/data", Clock: clock.Now,
		CompactionInterval: -1, ClockPersistInterval: time.Hour})
	require.NoError(t, err)
	g, err := gate.New(gate.Config{Engine: eng})
	require.NoError(t, err)
	w, err := lifecycle.New(lifecycle.Config{Gate: g})
	require.NoError(t, err)
	t.Cleanup(func() {
		rep, err := eng.Verify(context.Background(), nil)
		require.NoError(t, err)
		require.True(t, rep.OK(), "verify: %v", rep.Problems)
		require.NoError(t, eng.Close())
	})
	return &harness{t: t, eng: eng, clock: clock, w: w}
}

func (h *harness) put(bucket, key string, opts engine.PutOptions) string {
	h.t.Helper()
	opts.Size = -1
	info, err := h.eng.PutObject(context.Background(), bucket, key, strings.NewReader("data of "+key), opts)
	require.NoError(h.t, err)
	return info.VersionID
}

func (h *harness) setRules(bucket string, rules ...lifecycle.Rule) {
	h.t.Helper()
	doc, err := lifecycle.Encode(&lifecycle.Configuration{Rules: rules})
	require.NoError(h.t, err)
	require.NoError(h.t, h.eng.SetBucketConfig(context.Background(), bucket, engine.ConfigLifecycle, doc))
}

// versions returns key → version ids (newest first), delete markers as "dm:<id>".
func (h *harness) versions(bucket string) map[string][]string {
	h.t.Helper()
	res, err := h.eng.ListVersions(context.Background(), bucket, engine.VersionListOptions{})
	require.NoError(h.t, err)
	out := map[string][]string{}
	for _, v := range res.Versions {
		id := v.VersionID
		if v.DeleteMarker {
			id = "dm:" + id
		}
		out[v.Key] = append(out[v.Key], id)
	}
	return out
}

func (h *harness) lifecycleEntries(from uint64) []engine.AuditEntry {
	h.t.Helper()
	var out []engine.AuditEntry
	require.NoError(h.t, h.eng.AuditEntries(context.Background(), from, func(e engine.AuditEntry) error {
		if e.Source == gate.DoorLifecycle {
			out = append(out, e)
		}
		return nil
	}))
	return out
}

func (h *harness) pass() lifecycle.Stats {
	h.t.Helper()
	st, err := h.w.RunPass(context.Background(), "", "test-pass")
	require.NoError(h.t, err)
	return st
}

// TestWorkerNeverRemovesLockedVersions: noncurrent versions under
// COMPLIANCE or GOVERNANCE retention or a legal hold are kept (skipped and
// counted) pass after pass; unlocked ones are removed; a version is removed
// by the first pass after its retention ends or its hold is released;
// GOVERNANCE is never bypassed; every removal is audited as lifecycle's.
func TestWorkerNeverRemovesLockedVersions(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	const b = "vault"
	require.NoError(t, h.eng.CreateBucket(ctx, b, engine.CreateBucketOptions{ObjectLock: true}))
	now := h.clock.Now()
	comp := &engine.Retention{Mode: engine.ModeCompliance, Until: now.Add(10 * 24 * time.Hour)}
	gov := &engine.Retention{Mode: engine.ModeGovernance, Until: now.Add(100 * 24 * time.Hour)}

	a1 := h.put(b, "a", engine.PutOptions{Retention: comp})
	a2 := h.put(b, "a", engine.PutOptions{})
	aDM, err := h.eng.DeleteObject(ctx, b, "a", engine.DeleteOptions{})
	require.NoError(t, err)
	g1 := h.put(b, "g", engine.PutOptions{Retention: gov})
	g2 := h.put(b, "g", engine.PutOptions{LegalHold: true})
	g3 := h.put(b, "g", engine.PutOptions{})
	c1 := h.put(b, "c", engine.PutOptions{})
	c2 := h.put(b, "c", engine.PutOptions{})
	yes := true
	h.setRules(b,
		lifecycle.Rule{ID: "noncurrent", Enabled: true, NoncurrentExpiration: &lifecycle.NoncurrentExpiration{NoncurrentDays: 1}},
		lifecycle.Rule{ID: "markers", Enabled: true, Expiration: &lifecycle.Expiration{ExpiredObjectDeleteMarker: &yes}},
	)
	auditFrom := h.eng.AuditLastSeq() + 1

	// Not yet a day noncurrent: nothing happens.
	st := h.pass()
	require.Zero(t, st.RemovedNoncurrent+st.SkippedLocked)

	h.clock.Advance(3 * 24 * time.Hour)
	st = h.pass()
	require.Equal(t, int64(2), st.RemovedNoncurrent, "a2 and c1: %+v", st)
	require.Equal(t, int64(3), st.SkippedLocked, "a1 (COMPLIANCE), g1 (GOVERNANCE), g2 (hold): %+v", st)
	require.Equal(t, map[string][]string{"a": {"dm:" + aDM.VersionID, a1}, "g": {g3, g2, g1}, "c": {c2}}, h.versions(b))

	// Again: still kept, counted again.
	st = h.pass()
	require.Equal(t, int64(3), st.SkippedLocked)
	require.Zero(t, st.RemovedNoncurrent)

	// COMPLIANCE ends; the hold is released: both go, GOVERNANCE stays
	// (the worker has no bypass).
	h.clock.Advance(8 * 24 * time.Hour)
	_, err = h.eng.PutObjectLegalHold(ctx, b, "g", g2, false)
	require.NoError(t, err)
	st = h.pass()
	require.Equal(t, int64(2), st.RemovedNoncurrent, "%+v", st)
	require.Equal(t, int64(1), st.SkippedLocked, "g1 is under GOVERNANCE for 100 days")
	require.Equal(t, map[string][]string{"a": {"dm:" + aDM.VersionID}, "g": {g3, g1}, "c": {c2}}, h.versions(b))

	// a's delete marker is now its only version: an expired object
	// delete marker, removed by the next pass.
	st = h.pass()
	require.Equal(t, int64(1), st.RemovedDeleteMarker)
	require.NotContains(t, h.versions(b), "a")

	h.clock.Advance(90 * 24 * time.Hour)
	st = h.pass()
	require.Equal(t, int64(1), st.RemovedNoncurrent, "g1 once GOVERNANCE ended")
	require.Zero(t, st.SkippedLocked)

	// The audit trail: one entry per removal, principal and source
	// lifecycle, no bypass, plus a summary per pass.
	removed := map[string]string{}
	passes := 0
	for _, e := range h.lifecycleEntries(auditFrom) {
		require.Equal(t, gate.LifecyclePrincipal, e.Principal)
		require.False(t, e.Bypass, "lifecycle never bypasses: %+v", e)
		require.Equal(t, engine.AuditOK, e.Outcome)
		require.Equal(t, "test-pass", e.RequestID)
		switch e.Operation {
		case gate.OpLifecyclePass:
			passes++
		case gate.OpLifecycleRemoveNoncurrent, gate.OpLifecycleRemoveDeleteMarker:
			removed[e.Key+"/"+e.VersionID] = e.Operation
		default:
			t.Fatalf("unexpected lifecycle entry %+v", e)
		}
	}
	require.Equal(t, 6, passes)
	require.Equal(t, map[string]string{
		"a/" + a2: gate.OpLifecycleRemoveNoncurrent, "c/" + c1: gate.OpLifecycleRemoveNoncurrent,
		"a/" + a1: gate.OpLifecycleRemoveNoncurrent, "g/" + g2: gate.OpLifecycleRemoveNoncurrent,
		"a/" + aDM.VersionID: gate.OpLifecycleRemoveDeleteMarker, "g/" + g1: gate.OpLifecycleRemoveNoncurrent,
	}, removed)
	tot := h.w.Totals()
	require.Equal(t, int64(6), tot.Passes)
	require.Equal(t, int64(5), tot.RemovedNoncurrent)
	require.Equal(t, int64(3+3+1+1), tot.SkippedLocked, "g1 counted by every pass until it ends")
}

// TestWorkerExpiresCurrentVersions: Expiration on a versioned bucket adds a
// delete marker even over a locked version (nothing is removed); on an
// unversioned bucket it removes the object; tag and size filters select.
func TestWorkerExpiresCurrentVersions(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	require.NoError(t, h.eng.CreateBucket(ctx, "locked", engine.CreateBucketOptions{ObjectLock: true}))
	require.NoError(t, h.eng.CreateBucket(ctx, "plain", engine.CreateBucketOptions{}))
	ret := &engine.Retention{Mode: engine.ModeCompliance, Until: h.clock.Now().Add(365 * 24 * time.Hour)}
	l1 := h.put("locked", "logs/x", engine.PutOptions{Retention: ret})
	h.put("plain", "tmp", engine.PutOptions{Tags: map[string]string{"class": "tmp"}})
	h.put("plain", "keep", engine.PutOptions{Tags: map[string]string{"class": "keep"}})
	h.setRules("locked", lifecycle.Rule{ID: "exp", Enabled: true, Filter: lifecycle.Filter{Kind: lifecycle.FilterPrefix, Prefix: "logs/"},
		Expiration: &lifecycle.Expiration{Days: 1}})
	h.setRules("plain", lifecycle.Rule{ID: "tmp", Enabled: true, Filter: lifecycle.Filter{Kind: lifecycle.FilterTag, Tags: []lifecycle.Tag{{Key: "class", Value: "tmp"}}},
		Expiration: &lifecycle.Expiration{Days: 1}})

	h.clock.Advance(2 * 24 * time.Hour)
	st := h.pass()
	require.Equal(t, int64(2), st.ExpiredCurrent, "%+v", st)
	v := h.versions("locked")["logs/x"]
	require.Len(t, v, 2)
	require.True(t, strings.HasPrefix(v[0], "dm:"))
	require.Equal(t, l1, v[1], "the locked version is kept, noncurrent")
	require.Equal(t, map[string][]string{"keep": {"null"}}, h.versions("plain"))

	// The next pass does not stack delete markers.
	st = h.pass()
	require.Zero(t, st.ExpiredCurrent)
}

// TestWorkerAbortsUploads: AbortIncompleteMultipartUpload after
// DaysAfterInitiation, prefix-filtered, audited.
func TestWorkerAbortsUploads(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	require.NoError(t, h.eng.CreateBucket(ctx, "b", engine.CreateBucketOptions{}))
	id, err := h.eng.CreateMultipartUpload(ctx, "b", "tmp/big", engine.PutOptions{})
	require.NoError(t, err)
	other, err := h.eng.CreateMultipartUpload(ctx, "b", "keep/big", engine.PutOptions{})
	require.NoError(t, err)
	h.setRules("b", lifecycle.Rule{ID: "mpu", Enabled: true, Filter: lifecycle.Filter{Kind: lifecycle.FilterPrefix, Prefix: "tmp/"},
		AbortIncompleteMultipartUploadDays: 1})
	from := h.eng.AuditLastSeq() + 1
	st := h.pass()
	require.Zero(t, st.AbortedUploads)
	h.clock.Advance(2 * 24 * time.Hour)
	st = h.pass()
	require.Equal(t, int64(1), st.AbortedUploads)
	_, err = h.eng.Upload(ctx, "b", "tmp/big", id)
	require.ErrorIs(t, err, engine.ErrNoSuchUpload)
	_, err = h.eng.Upload(ctx, "b", "keep/big", other)
	require.NoError(t, err)
	var aborted int
	for _, e := range h.lifecycleEntries(from) {
		if e.Operation == gate.OpLifecycleAbortUpload {
			aborted++
			require.Equal(t, "tmp/big", e.Key)
		}
	}
	require.Equal(t, 1, aborted)
}

// TestLifecycleRemoveRechecks: the engine refuses a lifecycle removal whose
// decision no longer holds, and a locked one, whatever the caller.
func TestLifecycleRemoveRechecks(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	require.NoError(t, h.eng.CreateBucket(ctx, "b", engine.CreateBucketOptions{ObjectLock: true}))
	v1 := h.put("b", "k", engine.PutOptions{Retention: &engine.Retention{Mode: engine.ModeGovernance, Until: h.clock.Now().Add(time.Hour)}})
	_, err := h.eng.LifecycleRemove(ctx, "b", "k", v1, engine.LifecycleNoncurrent)
	require.ErrorIs(t, err, engine.ErrPreconditionFailed, "v1 is current")
	v2 := h.put("b", "k", engine.PutOptions{})
	_, err = h.eng.LifecycleRemove(ctx, "b", "k", v1, engine.LifecycleCurrent)
	require.ErrorIs(t, err, engine.ErrPreconditionFailed, "v1 is no longer current")
	_, err = h.eng.LifecycleRemove(ctx, "b", "k", v1, engine.LifecycleNoncurrent)
	require.ErrorIs(t, err, engine.ErrObjectLocked, "GOVERNANCE is never bypassed by lifecycle")
	_, err = h.eng.LifecycleRemove(ctx, "b", "k", v2, engine.LifecycleSoleDeleteMarker)
	require.ErrorIs(t, err, engine.ErrPreconditionFailed)
	h.clock.Advance(2 * time.Hour)
	res, err := h.eng.LifecycleRemove(ctx, "b", "k", v1, engine.LifecycleNoncurrent)
	require.NoError(t, err)
	require.True(t, res.Removed)
}

// TestWorkerRunSchedules: Run passes every Interval until its context
// ends, and not at all with Interval 0.
func TestWorkerRunSchedules(t *testing.T) {
	h := newHarness(t)
	g, err := gate.New(gate.Config{Engine: h.eng})
	require.NoError(t, err)
	off, err := lifecycle.New(lifecycle.Config{Gate: g})
	require.NoError(t, err)
	off.Run(context.Background()) // returns at once
	require.Zero(t, off.Totals().Passes)

	w, err := lifecycle.New(lifecycle.Config{Gate: g, Interval: time.Millisecond})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.Run(ctx)
	}()
	require.Eventually(t, func() bool { return w.Totals().Passes >= 2 }, time.Minute, time.Millisecond)
	cancel()
	<-done
	n := w.Totals().Passes
	_, err = w.RunPass(context.Background(), "", "after") // still usable on demand
	require.NoError(t, err)
	require.Equal(t, n+1, w.Totals().Passes, "Run stopped with its context")
}
