package adminapi_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/stretchr/testify/require"
	"github.com/wormstore/wormstore/adminapi"
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
	api := adminapi.New(adminapi.Config{Region: "us-east-1", Root: sigv4.StaticCredentials{testAdminAK: testAdminSK}})
	api.Attach(eng)
	defer api.Detach()
	api.AttachIdentityStore(ids)
	srv := httptest.NewServer(api)
	defer srv.Close()
	root := &adminTest{eng: eng, api: api, srv: srv, ak: testAdminAK, sk: testAdminSK}

	require.NoError(t, ids.CreateUser("auditor"))
	auditor, err := ids.CreateAccessKey("auditor")
	require.NoError(t, err)
	require.NoError(t, ids.PutUserPolicy("auditor", "read-only-admin", []byte(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"admin:GET/*","Resource":"*"}]}`)))
	require.NoError(t, ids.CreateUser("nobody"))
	nobody, err := ids.CreateAccessKey("nobody")
	require.NoError(t, err)

	call := func(ak, sk, method, path string) int {
		st, _, _ := root.as(ak, sk).call(t, method, path, nil)
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
