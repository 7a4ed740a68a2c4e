package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/stretchr/testify/require"
	"github.com/wormstore/wormstore/engine"
	"github.com/wormstore/wormstore/identity"
	"github.com/wormstore/wormstore/s3api/sigv4"
)

// TestAdminAPIUserAuthorization: IAM users may use the admin API only for
// the admin actions their policies allow; root may do everything.
func TestAdminAPIUserAuthorization(t *testing.T) {
	fs := vfs.NewMem()
	eng, err := engine.Open(context.Background(), engine.Options{FS: fs, Dir: "/data", CompactionInterval: -1})
	require.NoError(t, err)
	defer eng.Close()
	ids, err := identity.Open(fs, "/data/identities.json", identity.Credentials{AccessKey: testAdminAK, SecretKey: testAdminSK})
	require.NoError(t, err)
	creds := &switchableCreds{root: sigv4.StaticCredentials{testAdminAK: testAdminSK}}
	api := newAdminAPI(&sigv4.Verifier{Region: "us-east-1", Service: adminService, Creds: creds}, nil)
	api.attach(eng)
	defer api.detach()
	api.attachIdentityStore(ids)
	creds.users.Store(ids)
	var ready atomic.Bool
	ready.Store(true)
	srv := httptest.NewServer(adminHandler(newMetrics(), &ready, api))
	defer srv.Close()

	require.NoError(t, ids.CreateUser("auditor"))
	auditor, err := ids.CreateAccessKey("auditor")
	require.NoError(t, err)
	require.NoError(t, ids.PutUserPolicy("auditor", "read-only-admin", []byte(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"admin:GET/*","Resource":"*"}]}`)))
	require.NoError(t, ids.CreateUser("nobody"))
	nobody, err := ids.CreateAccessKey("nobody")
	require.NoError(t, err)

	call := func(ak, sk, method, path string) int {
		req, err := http.NewRequest(method, srv.URL+adminPrefix+path, nil)
		require.NoError(t, err)
		req.Header.Set("X-Amz-Content-Sha256", adminEmptySHA256)
		require.NoError(t, v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: ak, SecretAccessKey: sk},
			req, adminEmptySHA256, adminService, "us-east-1", time.Now()))
		st, _, _ := doRaw(t, req)
		return st
	}
	require.Equal(t, http.StatusOK, call(auditor.AccessKey, auditor.SecretKey, "GET", "stats"))
	require.Equal(t, http.StatusOK, call(auditor.AccessKey, auditor.SecretKey, "GET", "audit/verify"))
	require.Equal(t, http.StatusForbidden, call(auditor.AccessKey, auditor.SecretKey, "POST", "compact"))
	require.Equal(t, http.StatusForbidden, call(auditor.AccessKey, auditor.SecretKey, "PUT", "users/mallory"))
	require.Equal(t, http.StatusForbidden, call(nobody.AccessKey, nobody.SecretKey, "GET", "stats"))
	require.Equal(t, http.StatusOK, call(testAdminAK, testAdminSK, "POST", "compact"))
	require.NoError(t, ids.SetAccessKeyStatus("auditor", auditor.AccessKey, false))
	require.Equal(t, http.StatusForbidden, call(auditor.AccessKey, auditor.SecretKey, "GET", "stats"), "a disabled key stops at once")
}
