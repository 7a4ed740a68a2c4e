package main

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"
	"github.com/stretchr/testify/require"

	"github.com/wormstore/wormstore/adminapi"
	"github.com/wormstore/wormstore/engine"
	"github.com/wormstore/wormstore/gate"
	"github.com/wormstore/wormstore/s3api"
	"github.com/wormstore/wormstore/s3api/sigv4"
)

// TestReadyFailsAfterAuditFailure wires the S3 door, the gate and the
// admin listener as the server does, on an engine whose audit directory
// starts failing every write. A mutating S3 request is then answered 503,
// /health/ready answers 503 naming the audit failure (writes are refused
// until a restart), and /health/live stays 200 (the process is not hung:
// restarting it is the fix, not killing it in a loop).
func TestReadyFailsAfterAuditFailure(t *testing.T) {
	var fail atomic.Bool
	mem := vfs.NewCrashableMem()
	fs := errorfs.Wrap(mem, errorfs.InjectorFunc(func(op errorfs.Op) error {
		if fail.Load() && strings.HasPrefix(op.Path, "/data/audit/") && op.Kind.ReadOrWrite() == errorfs.OpIsWrite {
			return syscall.ENOSPC
		}
		return nil
	}))
	eng, err := engine.Open(context.Background(), engine.Options{FS: fs, Dir: "/data",
		CompactionInterval: -1, ClockPersistInterval: time.Hour})
	require.NoError(t, err)
	door, err := gate.New(gate.Config{Engine: eng})
	require.NoError(t, err)
	root := sigv4.StaticCredentials{testAdminAK: testAdminSK}
	h, err := s3api.New(s3api.Config{Engine: eng, Region: "us-east-1", Credentials: root, Gate: door})
	require.NoError(t, err)
	s3srv := httptest.NewServer(h)
	api := adminapi.New(adminapi.Config{Region: "us-east-1", Root: root})
	api.Attach(eng)
	api.AttachGate(door)
	var ready atomic.Bool
	ready.Store(true)
	admin := httptest.NewServer(adminHandler(newMetrics(), &ready, api))
	t.Cleanup(func() {
		admin.Close()
		s3srv.Close()
		api.Detach()
		_ = eng.Close() // the audit failure is sticky: Close reports it
	})

	c := client(strings.TrimPrefix(s3srv.URL, "http://"), testAdminAK, testAdminSK)
	ctx := context.Background()
	_, err = c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("before")})
	require.NoError(t, err)
	status, body := getBody(t, admin.URL+"/health/ready")
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "ready\n", body)

	fail.Store(true)
	// The audit disk is off the request path: this change is acknowledged
	// with its entry in the WAL; the next audit log flush fails and the
	// engine fails closed.
	_, err = c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("first")})
	require.NoError(t, err)
	require.ErrorIs(t, eng.FlushAudit(ctx), engine.ErrAuditFailed)
	_, err = c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("after")})
	var ae smithy.APIError
	require.True(t, errors.As(err, &ae), "%v", err)
	require.Equal(t, "ServiceUnavailable", ae.ErrorCode())
	require.ErrorIs(t, eng.Err(), engine.ErrAuditFailed)

	status, body = getBody(t, admin.URL+"/health/ready")
	require.Equal(t, http.StatusServiceUnavailable, status)
	require.Contains(t, body, "failed: ")
	require.Contains(t, body, engine.ErrAuditFailed.Error())
	status, body = getBody(t, admin.URL+"/health/live")
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "ok\n", body)

	// The disk came back, but the failure stays until a restart.
	fail.Store(false)
	status, _ = getBody(t, admin.URL+"/health/ready")
	require.Equal(t, http.StatusServiceUnavailable, status)

	// After a restart (only synced data survives), the change that could
	// not be audited never happened; the one before it did.
	re, err := engine.Open(ctx, engine.Options{FS: mem.CrashClone(vfs.CrashCloneCfg{}), Dir: "/data", CompactionInterval: -1})
	require.NoError(t, err)
	defer re.Close()
	_, err = re.Bucket(ctx, "after")
	require.ErrorIs(t, err, engine.ErrNoSuchBucket, "a change that could not be audited must not happen")
	_, err = re.Bucket(ctx, "before")
	require.NoError(t, err)
	_, err = re.Bucket(ctx, "first")
	require.NoError(t, err)
	rep, err := re.VerifyAudit(ctx)
	require.NoError(t, err)
	require.True(t, rep.OK(), "%v", rep.Problems)
}
