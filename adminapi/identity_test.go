package adminapi_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/stretchr/testify/require"
	"github.com/wormstore/wormstore/adminapi"
	"github.com/wormstore/wormstore/identity"
)

// TestAdminAPIIdentityStore runs the user endpoints on a real identity
// store: its errors map to API codes, and a new key authenticates at once.
func TestAdminAPIIdentityStore(t *testing.T) {
	at := newAdminTest(t, nil)
	fs := vfs.NewMem()
	require.NoError(t, fs.MkdirAll("/data", 0o755))
	s, err := identity.Open(fs, "/data/identities.json", identity.Credentials{AccessKey: testAdminAK, SecretKey: testAdminSK})
	require.NoError(t, err)
	at.api.AttachIdentityStore(s)

	st, _, b := at.call(t, http.MethodPut, "users/uploader", nil)
	require.Equal(t, http.StatusOK, st, "%s", b)
	st, _, b = at.call(t, http.MethodPut, "users/uploader", nil)
	require.Equal(t, http.StatusConflict, st, "%s", b)
	require.Equal(t, "UserAlreadyExists", decodeAPIError(t, b).Code)
	st, _, b = at.call(t, http.MethodPut, "users/bad%20name", nil)
	require.Equal(t, http.StatusBadRequest, st, "%s", b)
	require.Equal(t, "InvalidName", decodeAPIError(t, b).Code)
	st, _, b = at.call(t, http.MethodGet, "users/nobody", nil)
	require.Equal(t, http.StatusNotFound, st, "%s", b)
	require.Equal(t, "NoSuchUser", decodeAPIError(t, b).Code)

	st, _, b = at.call(t, http.MethodPost, "users/uploader/keys", nil)
	require.Equal(t, http.StatusOK, st, "%s", b)
	var k adminapi.AccessKey
	require.NoError(t, json.Unmarshal(b, &k))
	require.NotEmpty(t, k.SecretKey)
	require.True(t, k.Active)
	sk, ok := s.Lookup(k.AccessKey)
	require.True(t, ok)
	require.Equal(t, k.SecretKey, sk)

	st, _, b = at.call(t, http.MethodPost, "users/uploader/keys/"+k.AccessKey+"/disable", nil)
	require.Equal(t, http.StatusOK, st, "%s", b)
	_, ok = s.Lookup(k.AccessKey)
	require.False(t, ok)
	st, _, b = at.call(t, http.MethodDelete, "users/uploader/keys/NOSUCHKEY", nil)
	require.Equal(t, http.StatusNotFound, st, "%s", b)
	require.Equal(t, "NoSuchAccessKey", decodeAPIError(t, b).Code)

	st, b = at.callBody(t, http.MethodPut, "users/uploader/policies/p", []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Action":"s3:*","Resource":"*"}]}`), "")
	require.Equal(t, http.StatusBadRequest, st, "%s", b)
	e := decodeAPIError(t, b)
	require.Equal(t, "MalformedPolicy", e.Code)
	require.Contains(t, e.Message, "Effect")
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`
	st, b = at.callBody(t, http.MethodPut, "users/uploader/policies/p", []byte(doc), "")
	require.Equal(t, http.StatusOK, st, "%s", b)
	st, _, b = at.call(t, http.MethodGet, "users/uploader/policies/p", nil)
	require.Equal(t, http.StatusOK, st, "%s", b)
	require.JSONEq(t, doc, string(b))
	st, _, b = at.call(t, http.MethodGet, "users/uploader/policies/q", nil)
	require.Equal(t, http.StatusNotFound, st, "%s", b)
	require.Equal(t, "NoSuchPolicy", decodeAPIError(t, b).Code)

	st, _, b = at.call(t, http.MethodGet, "users", nil)
	require.Equal(t, http.StatusOK, st, "%s", b)
	var list struct{ Users []adminapi.User }
	require.NoError(t, json.Unmarshal(b, &list))
	require.Len(t, list.Users, 1)
	require.Equal(t, []string{"p"}, list.Users[0].Policies)
	require.Len(t, list.Users[0].Keys, 1)
	require.False(t, list.Users[0].Keys[0].Active)
}
