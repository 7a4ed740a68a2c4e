package adminapi

// User, access-key and user-policy endpoints of the admin API (see
// doc.go for authentication, errors and audit). {user} is a user name,
// {key} an access key ID, {policy} a policy name; none may contain '/'.
//
//	GET    /admin/v1/users                              {"users": [User…]}
//	PUT    /admin/v1/users/{user}                       User (201 semantics, answered 200); 409 UserAlreadyExists
//	GET    /admin/v1/users/{user}                       User with its keys and policy names
//	DELETE /admin/v1/users/{user}                       {} (its keys stop working at once)
//	GET    /admin/v1/users/{user}/keys                  {"keys": [AccessKey…]} (never secrets)
//	POST   /admin/v1/users/{user}/keys                  AccessKey with secret_key: the only time it is shown
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

// MaxPolicySize caps a policy document sent to the admin API; the
// identity store enforces its own, smaller or equal, cap.
const MaxPolicySize = 64 << 10

// User describes a user.
type User struct {
	Name     string      `json:"name"`
	Created  time.Time   `json:"created,omitzero"`
	Keys     []AccessKey `json:"keys,omitempty"`
	Policies []string    `json:"policies,omitempty"`
}

// AccessKey describes an access key; SecretKey is set only in the answer
// that created it.
type AccessKey struct {
	AccessKey string    `json:"access_key"`
	SecretKey string    `json:"secret_key,omitempty"`
	Active    bool      `json:"active"`
	Created   time.Time `json:"created,omitzero"`
}

// Backend is what the admin API needs of the identity store. Errors
// are *StatusError, or errors adminErrorTable maps, for the failures a
// client can cause (unknown user, a malformed policy, …); anything else
// is an internal error.
type Backend interface {
	ListUsers(ctx context.Context) ([]User, error)
	CreateUser(ctx context.Context, name string) (User, error)
	GetUser(ctx context.Context, name string) (User, error)
	DeleteUser(ctx context.Context, name string) error
	CreateAccessKey(ctx context.Context, user string) (AccessKey, error)
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
var errNoIdentities = &StatusError{http.StatusServiceUnavailable, "NotReady",
	"the server has no identity store attached (recovering or shutting down); retry when /health/ready answers 200"}

// AttachIdentities makes the API manage users and policies in ids. The
// server uses AttachIdentityStore; tests attach fakes.
func (a *API) AttachIdentities(ids Backend) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.ids = ids
}

// withIdentities calls f with the identity store.
func (a *API) withIdentities(f func(ids Backend) error) error {
	a.mu.RLock()
	defer a.mu.RUnlock()
	if a.ids == nil {
		return errNoIdentities
	}
	return f(a.ids)
}

// fromIdentities calls f with the identity store of a and returns f's result.
func fromIdentities[T any](a *API, f func(ids Backend) (T, error)) (T, error) {
	var v T
	err := a.withIdentities(func(ids Backend) (err error) {
		v, err = f(ids)
		return err
	})
	return v, err
}

// requestedUser returns the user named by the {user} path value of r.
func (a *API) requestedUser(ctx context.Context, r *http.Request) (User, error) {
	return fromIdentities(a, func(ids Backend) (User, error) { return ids.GetUser(ctx, r.PathValue("user")) })
}

// iamRouteKey returns the routing-table key of a users/… path and its path
// values; ok is false for other paths.
func iamRouteKey(path string) (key string, vals map[string]string, ok bool) {
	rest, ok := strings.CutPrefix(path, Prefix+"users/")
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

func (a *API) listUsers(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	users, err := fromIdentities(a, func(ids Backend) ([]User, error) { return ids.ListUsers(ctx) })
	if err != nil {
		return err
	}
	if users == nil {
		users = []User{}
	}
	writeAdminJSON(w, http.StatusOK, struct {
		Users []User `json:"users"`
	}{users})
	return nil
}

func (a *API) createUser(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	u, err := fromIdentities(a, func(ids Backend) (User, error) { return ids.CreateUser(ctx, r.PathValue("user")) })
	if err != nil {
		return err
	}
	a.log.Info("admin: user created", "user", u.Name)
	writeAdminJSON(w, http.StatusOK, u)
	return nil
}

func (a *API) getUser(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	u, err := a.requestedUser(ctx, r)
	if err != nil {
		return err
	}
	writeAdminJSON(w, http.StatusOK, u)
	return nil
}

func (a *API) deleteUser(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("user")
	if err := a.withIdentities(func(ids Backend) error {
		// The audit entry names the policies the deletion revokes.
		if u, err := ids.GetUser(ctx, name); err == nil && len(u.Policies) > 0 {
			note(ctx, "revoked_policies", strings.Join(u.Policies, ","))
		}
		return ids.DeleteUser(ctx, name)
	}); err != nil {
		return err
	}
	a.log.Info("admin: user deleted", "user", name)
	writeAdminOK(w)
	return nil
}

func (a *API) listKeys(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	u, err := a.requestedUser(ctx, r)
	if err != nil {
		return err
	}
	keys := u.Keys
	if keys == nil {
		keys = []AccessKey{}
	}
	for i := range keys {
		keys[i].SecretKey = ""
	}
	writeAdminJSON(w, http.StatusOK, struct {
		Keys []AccessKey `json:"keys"`
	}{keys})
	return nil
}

func (a *API) createKey(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	user := r.PathValue("user")
	k, err := fromIdentities(a, func(ids Backend) (AccessKey, error) { return ids.CreateAccessKey(ctx, user) })
	if err != nil {
		return err
	}
	note(ctx, "created_access_key", k.AccessKey) // never the secret
	a.log.Info("admin: access key created", "user", user, "access_key", k.AccessKey)
	w.Header().Set("Cache-Control", "no-store")
	writeAdminJSON(w, http.StatusOK, k)
	return nil
}

func (a *API) setKeyStatus(active bool) adminRoute {
	return func(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
		user, ak := r.PathValue("user"), r.PathValue("key")
		if err := a.withIdentities(func(ids Backend) error { return ids.SetAccessKeyStatus(ctx, user, ak, active) }); err != nil {
			return err
		}
		a.log.Info("admin: access key status set", "user", user, "access_key", ak, "active", active)
		writeAdminOK(w)
		return nil
	}
}

func (a *API) deleteKey(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	user, ak := r.PathValue("user"), r.PathValue("key")
	if err := a.withIdentities(func(ids Backend) error { return ids.DeleteAccessKey(ctx, user, ak) }); err != nil {
		return err
	}
	a.log.Info("admin: access key deleted", "user", user, "access_key", ak)
	writeAdminOK(w)
	return nil
}

func (a *API) listPolicies(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	u, err := a.requestedUser(ctx, r)
	if err != nil {
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

// readAdminBody reads and verifies the signed body of r, at most limit
// bytes. An empty body is returned as a non-nil empty slice.
func readAdminBody(r *http.Request, limit int64) ([]byte, error) {
	rq, _ := r.Context().Value(adminAuthKey{}).(*sigv4.Request)
	if rq == nil {
		return nil, errors.New("admin API: request not authenticated")
	}
	if rq.PayloadMode != sigv4.SignedSHA256 {
		return nil, &StatusError{http.StatusBadRequest, "InvalidRequest", "the request body must be signed: send its SHA-256 in x-amz-content-sha256"}
	}
	body, err := rq.Body(r.Body)
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(io.LimitReader(body, limit+1))
	if err != nil {
		return nil, err
	}
	if b == nil {
		b = []byte{}
	}
	if int64(len(b)) > limit {
		return nil, &StatusError{http.StatusBadRequest, "MalformedPolicy", fmt.Sprintf("the policy document is larger than %d bytes", limit)}
	}
	return b, nil
}

func (a *API) putPolicy(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	user, name := r.PathValue("user"), r.PathValue("policy")
	rq, _ := ctx.Value(adminRequestKey{}).(*adminRequest)
	if rq == nil || rq.body == nil {
		return errors.New("admin API: policy document not read by ServeHTTP")
	}
	doc := rq.body
	if err := a.withIdentities(func(ids Backend) error { return ids.PutUserPolicy(ctx, user, name, doc) }); err != nil {
		return err
	}
	a.log.Info("admin: user policy put", "user", user, "policy", name)
	writeAdminOK(w)
	return nil
}

func (a *API) getPolicy(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	doc, err := fromIdentities(a, func(ids Backend) ([]byte, error) {
		return ids.GetUserPolicy(ctx, r.PathValue("user"), r.PathValue("policy"))
	})
	if err != nil {
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

func (a *API) deletePolicy(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	user, name := r.PathValue("user"), r.PathValue("policy")
	if err := a.withIdentities(func(ids Backend) error { return ids.DeleteUserPolicy(ctx, user, name) }); err != nil {
		return err
	}
	a.log.Info("admin: user policy deleted", "user", user, "policy", name)
	writeAdminOK(w)
	return nil
}
