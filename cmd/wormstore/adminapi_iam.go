package main

// User, access-key and user-policy endpoints of the admin API (see
// adminapi.go for authentication and errors). {user} is a user name,
// {key} an access key ID, {policy} a policy name; none may contain '/'.
//
//	GET    /admin/v1/users                              {"users": [apiUser…]}
//	PUT    /admin/v1/users/{user}                       apiUser (201 semantics, answered 200); 409 UserAlreadyExists
//	GET    /admin/v1/users/{user}                       apiUser with its keys and policy names
//	DELETE /admin/v1/users/{user}                       {} (its keys stop working at once)
//	GET    /admin/v1/users/{user}/keys                  {"keys": [apiAccessKey…]} (never secrets)
//	POST   /admin/v1/users/{user}/keys                  apiAccessKey with secret_key: the only time it is shown
//	POST   /admin/v1/users/{user}/keys/{key}/disable    {}
//	POST   /admin/v1/users/{user}/keys/{key}/enable     {}
//	DELETE /admin/v1/users/{user}/keys/{key}            {}
//	GET    /admin/v1/users/{user}/policies              {"policies": ["name"…]}
//	PUT    /admin/v1/users/{user}/policies/{policy}     body: the policy document; 400 MalformedPolicy naming the problem
//	GET    /admin/v1/users/{user}/policies/{policy}     the policy document as stored
//	DELETE /admin/v1/users/{user}/policies/{policy}     {}
//
// PUT policies is the one request with a body; its payload hash must be
// signed (x-amz-content-sha256), and it is verified before the document is
// used.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/wormstore/wormstore/s3api/sigv4"
)

// maxAdminPolicySize caps a policy document sent to the admin API; the
// identity store enforces its own, smaller or equal, cap.
const maxAdminPolicySize = 64 << 10

// apiUser describes a user.
type apiUser struct {
	Name     string         `json:"name"`
	Created  time.Time      `json:"created,omitzero"`
	Keys     []apiAccessKey `json:"keys,omitempty"`
	Policies []string       `json:"policies,omitempty"`
}

// apiAccessKey describes an access key; SecretKey is set only in the answer
// that created it.
type apiAccessKey struct {
	AccessKey string    `json:"access_key"`
	SecretKey string    `json:"secret_key,omitempty"`
	Active    bool      `json:"active"`
	Created   time.Time `json:"created,omitzero"`
}

// iamBackend is what the admin API needs of the identity store. Errors
// are *adminError for the failures a client can cause (unknown user, a
// malformed policy, …); anything else is an internal error.
type iamBackend interface {
	ListUsers(ctx context.Context) ([]apiUser, error)
	CreateUser(ctx context.Context, name string) (apiUser, error)
	GetUser(ctx context.Context, name string) (apiUser, error)
	DeleteUser(ctx context.Context, name string) error
	CreateAccessKey(ctx context.Context, user string) (apiAccessKey, error)
	SetAccessKeyStatus(ctx context.Context, user, ak string, active bool) error
	DeleteAccessKey(ctx context.Context, user, ak string) error
	PutUserPolicy(ctx context.Context, user, name string, doc []byte) error
	GetUserPolicy(ctx context.Context, user, name string) ([]byte, error)
	DeleteUserPolicy(ctx context.Context, user, name string) error
}

// adminAuthKey is the context key of the request's *sigv4.Request.
type adminAuthKey struct{}

// errNoIdentities answers user and policy requests while no identity store
// is attached.
var errNoIdentities = &adminError{http.StatusServiceUnavailable, "NotReady",
	"the server has no identity store attached (recovering or shutting down); retry when /health/ready answers 200"}

// attachIdentities makes the API manage users and policies in ids.
func (a *adminAPI) attachIdentities(ids iamBackend) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.ids = ids
}

// withIdentities calls f with the identity store.
func (a *adminAPI) withIdentities(f func(ids iamBackend) error) error {
	a.mu.RLock()
	defer a.mu.RUnlock()
	if a.ids == nil {
		return errNoIdentities
	}
	return f(a.ids)
}

// iamRoutes returns the routing-table rows of this file.
func (a *adminAPI) iamRoutes() map[string]map[string]adminRoute {
	return map[string]map[string]adminRoute{
		"users":                           {http.MethodGet: a.listUsers},
		"users/{user}":                    {http.MethodPut: a.createUser, http.MethodGet: a.getUser, http.MethodDelete: a.deleteUser},
		"users/{user}/keys":               {http.MethodGet: a.listKeys, http.MethodPost: a.createKey},
		"users/{user}/keys/{key}":         {http.MethodDelete: a.deleteKey},
		"users/{user}/keys/{key}/disable": {http.MethodPost: a.setKeyStatus(false)},
		"users/{user}/keys/{key}/enable":  {http.MethodPost: a.setKeyStatus(true)},
		"users/{user}/policies":           {http.MethodGet: a.listPolicies},
		"users/{user}/policies/{policy}":  {http.MethodPut: a.putPolicy, http.MethodGet: a.getPolicy, http.MethodDelete: a.deletePolicy},
	}
}

// iamRouteKey returns the routing-table key of a users/… path and its path
// values; ok is false for other paths.
func iamRouteKey(path string) (key string, vals map[string]string, ok bool) {
	rest, ok := strings.CutPrefix(path, adminPrefix+"users/")
	if !ok {
		return "", nil, false
	}
	parts := strings.Split(rest, "/")
	for _, p := range parts {
		if p == "" {
			return "", nil, false
		}
	}
	vals = map[string]string{"user": parts[0]}
	switch {
	case len(parts) == 1:
		return "users/{user}", vals, true
	case len(parts) == 2:
		return "users/{user}/" + parts[1], vals, true
	case len(parts) == 3 && parts[1] == "keys":
		vals["key"] = parts[2]
		return "users/{user}/keys/{key}", vals, true
	case len(parts) == 4 && parts[1] == "keys":
		vals["key"] = parts[2]
		return "users/{user}/keys/{key}/" + parts[3], vals, true
	case len(parts) == 3 && parts[1] == "policies":
		vals["policy"] = parts[2]
		return "users/{user}/policies/{policy}", vals, true
	}
	return "", nil, false
}

func writeAdminOK(w http.ResponseWriter) { writeAdminJSON(w, http.StatusOK, struct{}{}) }

func (a *adminAPI) listUsers(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	var users []apiUser
	if err := a.withIdentities(func(ids iamBackend) (err error) {
		users, err = ids.ListUsers(ctx)
		return err
	}); err != nil {
		return err
	}
	if users == nil {
		users = []apiUser{}
	}
	writeAdminJSON(w, http.StatusOK, struct {
		Users []apiUser `json:"users"`
	}{users})
	return nil
}

func (a *adminAPI) createUser(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	var u apiUser
	if err := a.withIdentities(func(ids iamBackend) (err error) {
		u, err = ids.CreateUser(ctx, r.PathValue("user"))
		return err
	}); err != nil {
		return err
	}
	a.log.Info("admin: user created", "user", u.Name)
	writeAdminJSON(w, http.StatusOK, u)
	return nil
}

func (a *adminAPI) getUser(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	var u apiUser
	if err := a.withIdentities(func(ids iamBackend) (err error) {
		u, err = ids.GetUser(ctx, r.PathValue("user"))
		return err
	}); err != nil {
		return err
	}
	writeAdminJSON(w, http.StatusOK, u)
	return nil
}

func (a *adminAPI) deleteUser(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("user")
	if err := a.withIdentities(func(ids iamBackend) error { return ids.DeleteUser(ctx, name) }); err != nil {
		return err
	}
	a.log.Info("admin: user deleted", "user", name)
	writeAdminOK(w)
	return nil
}

func (a *adminAPI) listKeys(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	var u apiUser
	if err := a.withIdentities(func(ids iamBackend) (err error) {
		u, err = ids.GetUser(ctx, r.PathValue("user"))
		return err
	}); err != nil {
		return err
	}
	keys := u.Keys
	if keys == nil {
		keys = []apiAccessKey{}
	}
	for i := range keys {
		keys[i].SecretKey = ""
	}
	writeAdminJSON(w, http.StatusOK, struct {
		Keys []apiAccessKey `json:"keys"`
	}{keys})
	return nil
}

func (a *adminAPI) createKey(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	user := r.PathValue("user")
	var k apiAccessKey
	if err := a.withIdentities(func(ids iamBackend) (err error) {
		k, err = ids.CreateAccessKey(ctx, user)
		return err
	}); err != nil {
		return err
	}
	a.log.Info("admin: access key created", "user", user, "access_key", k.AccessKey) // never the secret
	w.Header().Set("Cache-Control", "no-store")
	writeAdminJSON(w, http.StatusOK, k)
	return nil
}

func (a *adminAPI) setKeyStatus(active bool) adminRoute {
	return func(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
		user, ak := r.PathValue("user"), r.PathValue("key")
		if err := a.withIdentities(func(ids iamBackend) error { return ids.SetAccessKeyStatus(ctx, user, ak, active) }); err != nil {
			return err
		}
		a.log.Info("admin: access key status set", "user", user, "access_key", ak, "active", active)
		writeAdminOK(w)
		return nil
	}
}

func (a *adminAPI) deleteKey(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	user, ak := r.PathValue("user"), r.PathValue("key")
	if err := a.withIdentities(func(ids iamBackend) error { return ids.DeleteAccessKey(ctx, user, ak) }); err != nil {
		return err
	}
	a.log.Info("admin: access key deleted", "user", user, "access_key", ak)
	writeAdminOK(w)
	return nil
}

func (a *adminAPI) listPolicies(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	var u apiUser
	if err := a.withIdentities(func(ids iamBackend) (err error) {
		u, err = ids.GetUser(ctx, r.PathValue("user"))
		return err
	}); err != nil {
		return err
	}
	names := u.Policies
	if names == nil {
		names = []string{}
	}
	writeAdminJSON(w, http.StatusOK, struct {
		Policies []string `json:"policies"`
	}{names})
	return nil
}

// readAdminBody reads and verifies the signed body of r, at most max bytes.
func readAdminBody(r *http.Request, limit int64) ([]byte, error) {
	rq, _ := r.Context().Value(adminAuthKey{}).(*sigv4.Request)
	if rq == nil {
		return nil, errors.New("admin API: request not authenticated")
	}
	if rq.PayloadMode != sigv4.SignedSHA256 {
		return nil, &adminError{http.StatusBadRequest, "InvalidRequest", "the request body must be signed: send its SHA-256 in x-amz-content-sha256"}
	}
	body, err := rq.Body(r.Body)
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(io.LimitReader(body, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, &adminError{http.StatusBadRequest, "MalformedPolicy", fmt.Sprintf("the policy document is larger than %d bytes", limit)}
	}
	return b, nil
}

func (a *adminAPI) putPolicy(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	user, name := r.PathValue("user"), r.PathValue("policy")
	doc, err := readAdminBody(r, maxAdminPolicySize)
	if err != nil {
		return err
	}
	if err := a.withIdentities(func(ids iamBackend) error { return ids.PutUserPolicy(ctx, user, name, doc) }); err != nil {
		return err
	}
	a.log.Info("admin: user policy put", "user", user, "policy", name)
	writeAdminOK(w)
	return nil
}

func (a *adminAPI) getPolicy(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	var doc []byte
	if err := a.withIdentities(func(ids iamBackend) (err error) {
		doc, err = ids.GetUserPolicy(ctx, r.PathValue("user"), r.PathValue("policy"))
		return err
	}); err != nil {
		return err
	}
	if !json.Valid(doc) {
		return fmt.Errorf("stored policy %q of user %q is not JSON", r.PathValue("policy"), r.PathValue("user"))
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	w.Write(doc)
	return nil
}

func (a *adminAPI) deletePolicy(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	user, name := r.PathValue("user"), r.PathValue("policy")
	if err := a.withIdentities(func(ids iamBackend) error { return ids.DeleteUserPolicy(ctx, user, name) }); err != nil {
		return err
	}
	a.log.Info("admin: user policy deleted", "user", user, "policy", name)
	writeAdminOK(w)
	return nil
}
