package adminapi_test

import (
	"context"
	"encoding/json"
	"github.com/wormstore/wormstore/adminapi"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/wormstore/wormstore/engine"
)

// TestAdminAPICheckpoint: POST checkpoint takes a verified checkpoint,
// a second one covers the first one's audit anchors, GET checkpoints lists both, and deleting
// archived WAL files succeeds (nothing to delete: the WAL never rotated).
func TestAdminAPICheckpoint(t *testing.T) {
	at := newAdminTest(t, nil)
	ctx := context.Background()
	require.NoError(t, at.eng.CreateBucket(ctx, "b", engine.CreateBucketOptions{ObjectLock: true}))
	at.put(t, "b", "k", 5000, 1)

	status, _, body := at.call(t, "POST", "checkpoint", nil)
	require.Equal(t, 200, status, "%s", body)
	var res adminapi.CheckpointResult
	require.NoError(t, json.Unmarshal(body, &res))
	require.True(t, res.New)
	require.Positive(t, res.Checkpoint.LSN)
	require.Positive(t, res.Checkpoint.Keys)
	require.Len(t, res.Checkpoint.Digest, 16)

	status, _, body = at.call(t, "POST", "checkpoint", nil)
	require.Equal(t, 200, status, "%s", body)
	var again adminapi.CheckpointResult
	require.NoError(t, json.Unmarshal(body, &again))
	// The first request's audit entries were anchored in the WAL after its
	// checkpoint, so the second one covers those records too.
	require.Greater(t, again.Checkpoint.LSN, res.Checkpoint.LSN)

	status, _, body = at.call(t, "GET", "checkpoints", nil)
	require.Equal(t, 200, status, "%s", body)
	var list adminapi.Checkpoints
	require.NoError(t, json.Unmarshal(body, &list))
	require.Len(t, list.Checkpoints, 2)
	require.Equal(t, again.Checkpoint.LSN, list.Checkpoints[0].LSN)
	require.Empty(t, list.Checkpoints[0].Error)
	require.Equal(t, uint64(1), list.WALFirstLSN)

	status, _, body = at.call(t, "POST", "wal-archive/delete", nil)
	require.Equal(t, 200, status, "%s", body)
	require.JSONEq(t, `{"deleted":[]}`, string(body))

	status, _, _ = at.call(t, "GET", "checkpoint", nil)
	require.Equal(t, 405, status)
}
