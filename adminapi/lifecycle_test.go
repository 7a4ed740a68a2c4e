package adminapi_test

import (
	"context"
	"encoding/json"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wormstore/wormstore/adminapi"
	"github.com/wormstore/wormstore/engine"
	"github.com/wormstore/wormstore/gate"
	"github.com/wormstore/wormstore/lifecycle"
)

// TestAdminRunLifecycle: POST lifecycle/run runs a pass and answers its
// counts; the removal is audited as lifecycle's with the admin request's id,
// between the request's intent and result entries; without a worker the
// route answers 503; an unknown bucket 404.
func TestAdminRunLifecycle(t *testing.T) {
	at := newAdminTest(t, nil)
	ctx := context.Background()

	status, _, body := at.call(t, "POST", "lifecycle/run", nil)
	require.Equal(t, 503, status, "%s", body)
	require.Equal(t, "LifecycleUnavailable", decodeAPIError(t, body).Code)

	g, err := gate.New(gate.Config{Engine: at.eng})
	require.NoError(t, err)
	w, err := lifecycle.New(lifecycle.Config{Gate: g})
	require.NoError(t, err)
	at.api.AttachLifecycle(w)

	require.NoError(t, at.eng.CreateBucket(ctx, "b", engine.CreateBucketOptions{ObjectLock: true}))
	at.put(t, "b", "k", 100, 1)
	res, err := at.eng.ListVersions(ctx, "b", engine.VersionListOptions{})
	require.NoError(t, err)
	v1 := res.Versions[0].VersionID
	dm, err := at.eng.DeleteObject(ctx, "b", "k", engine.DeleteOptions{})
	require.NoError(t, err)
	_, err = at.eng.DeleteObject(ctx, "b", "k", engine.DeleteOptions{VersionID: v1})
	require.NoError(t, err)
	yes := true
	doc, err := lifecycle.Encode(&lifecycle.Configuration{Rules: []lifecycle.Rule{
		{ID: "markers", Enabled: true, Expiration: &lifecycle.Expiration{ExpiredObjectDeleteMarker: &yes}}}})
	require.NoError(t, err)
	require.NoError(t, at.eng.SetBucketConfig(ctx, "b", engine.ConfigLifecycle, doc))

	status, _, body = at.call(t, "POST", "lifecycle/run", url.Values{"bucket": {"nope"}})
	require.Equal(t, 404, status, "%s", body)
	require.Equal(t, "NoSuchBucket", decodeAPIError(t, body).Code)

	from := at.eng.AuditLastSeq() + 1
	status, _, body = at.call(t, "POST", "lifecycle/run", url.Values{"bucket": {"b"}})
	require.Equal(t, 200, status, "%s", body)
	var run adminapi.LifecycleRun
	require.NoError(t, json.Unmarshal(body, &run))
	require.Equal(t, "b", run.Bucket)
	require.Equal(t, 1, run.Buckets)
	require.Equal(t, int64(1), run.RemovedDeleteMarker)
	require.NotEmpty(t, run.RequestID)

	var ops []string
	for _, e := range at.auditAll(t) {
		if e.Seq < from {
			continue
		}
		require.Equal(t, run.RequestID, e.RequestID, "every entry names the admin request: %+v", e)
		ops = append(ops, e.Operation+"/"+e.Outcome)
		if e.Operation == gate.OpLifecycleRemoveDeleteMarker {
			require.Equal(t, gate.LifecyclePrincipal, e.Principal)
			require.Equal(t, gate.DoorLifecycle, e.Source)
			require.Equal(t, dm.VersionID, e.VersionID)
		}
		if e.Operation == "AdminRunLifecycle" && e.Outcome == engine.AuditOK {
			require.Contains(t, e.Detail, "remove_delete_marker=1")
		}
	}
	require.Equal(t, []string{"AdminRunLifecycle/intent", gate.OpLifecycleRemoveDeleteMarker + "/ok", gate.OpLifecyclePass + "/ok", "AdminRunLifecycle/ok"}, ops)
}
