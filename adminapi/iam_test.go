package adminapi_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/wormstore/wormstore/adminapi"
	"github.com/wormstore/wormstore/adminapi/adminapitest"
)

func TestAdminAPIUsers(t *testing.T) {
	at := newAdminTest(t, nil)

	// No identity store yet.
	st, _, b := at.call(t, http.MethodGet, "users", nil)
	require.Equal(t, http.StatusServiceUnavailable, st, "%s", b)
	require.Equal(t, "NotReady", decodeAPIError(t, b).Code)

	at.api.AttachIdentities(adminapitest.NewFakeIAM())
	st, _, b = at.call(t, http.MethodGet, "users", nil)
	require.Equal(t, http.StatusOK, st, "%s", b)
	require.JSONEq(t, `{"users": []}`, string(b))

	st, _, b = at.call(t, http.MethodPut, "users/alice", nil)
	require.Equal(t, http.StatusOK, st, "%s", b)
	st, _, b = at.call(t, http.MethodPut, "users/alice", nil)
	require.Equal(t, http.StatusConflict, st, "%s", b)

	st, _, b = at.call(t, http.MethodPost, "users/alice/keys", nil)
	require.Equal(t, http.StatusOK, st, "%s", b)
	var k adminapi.AccessKey
	require.NoError(t, json.Unmarshal(b, &k))
	require.Equal(t, adminapi.AccessKey{AccessKey: "AK1", SecretKey: "secret1", Active: true}, k)

	st, _, b = at.call(t, http.MethodPost, "users/alice/keys/AK1/disable", nil)
	require.Equal(t, http.StatusOK, st, "%s", b)
	st, _, b = at.call(t, http.MethodGet, "users/alice/keys", nil)
	require.Equal(t, http.StatusOK, st, "%s", b)
	require.JSONEq(t, `{"keys": [{"access_key": "AK1", "active": false}]}`, string(b))
	st, _, b = at.call(t, http.MethodPost, "users/alice/keys/AK1/enable", nil)
	require.Equal(t, http.StatusOK, st, "%s", b)
	st, _, b = at.call(t, http.MethodPost, "users/alice/keys/NOPE/enable", nil)
	require.Equal(t, http.StatusNotFound, st, "%s", b)

	doc := []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`)
	st, b = at.callBody(t, http.MethodPut, "users/alice/policies/all", doc, "")
	require.Equal(t, http.StatusOK, st, "%s", b)
	st, _, b = at.call(t, http.MethodGet, "users/alice/policies/all", nil)
	require.Equal(t, http.StatusOK, st, "%s", b)
	require.JSONEq(t, string(doc), string(b))
	st, _, b = at.call(t, http.MethodGet, "users/alice/policies", nil)
	require.Equal(t, http.StatusOK, st, "%s", b)
	require.JSONEq(t, `{"policies": ["all"]}`, string(b))

	st, b = at.callBody(t, http.MethodPut, "users/alice/policies/bad", []byte(`{`), "")
	require.Equal(t, http.StatusBadRequest, st, "%s", b)
	require.Equal(t, "MalformedPolicy", decodeAPIError(t, b).Code)
	// The body must be signed…
	st, b = at.callBody(t, http.MethodPut, "users/alice/policies/x", doc, "UNSIGNED-PAYLOAD")
	require.Equal(t, http.StatusBadRequest, st, "%s", b)
	require.Equal(t, "InvalidRequest", decodeAPIError(t, b).Code)
	// …and match its signed hash.
	sum := sha256.Sum256([]byte("other"))
	st, b = at.callBody(t, http.MethodPut, "users/alice/policies/x", doc, hex.EncodeToString(sum[:]))
	require.Equal(t, http.StatusBadRequest, st, "%s", b)
	require.Equal(t, "XAmzContentSHA256Mismatch", decodeAPIError(t, b).Code)
	st, _, b = at.call(t, http.MethodGet, "users/alice/policies/x", nil)
	require.Equal(t, http.StatusNotFound, st, "%s", b)

	st, _, b = at.call(t, http.MethodGet, "users/alice", nil)
	require.Equal(t, http.StatusOK, st, "%s", b)
	var u adminapi.User
	require.NoError(t, json.Unmarshal(b, &u))
	require.Equal(t, []string{"all"}, u.Policies)
	require.Len(t, u.Keys, 1)
	require.Empty(t, u.Keys[0].SecretKey)

	st, _, b = at.call(t, http.MethodDelete, "users/alice/policies/all", nil)
	require.Equal(t, http.StatusOK, st, "%s", b)
	st, _, b = at.call(t, http.MethodDelete, "users/alice/keys/AK1", nil)
	require.Equal(t, http.StatusOK, st, "%s", b)
	st, _, b = at.call(t, http.MethodDelete, "users/alice", nil)
	require.Equal(t, http.StatusOK, st, "%s", b)
	st, _, b = at.call(t, http.MethodGet, "users/alice", nil)
	require.Equal(t, http.StatusNotFound, st, "%s", b)
	st, _, b = at.call(t, http.MethodPost, "users/alice", nil)
	require.Equal(t, http.StatusMethodNotAllowed, st, "%s", b)
}
