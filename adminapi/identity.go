package adminapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/wormstore/wormstore/iam"
	"github.com/wormstore/wormstore/identity"
)

// identityBackend is the Backend of an *identity.Store.
type identityBackend struct{ s *identity.Store }

// identityError gives a malformed policy the parser's message; every other
// identity error is mapped by adminErrorTable.
func identityError(err error) error {
	var me *iam.MalformedError
	if errors.As(err, &me) {
		return &StatusError{http.StatusBadRequest, "MalformedPolicy", "malformed policy: " + me.Msg}
	}
	return err
}

func userToAPI(u identity.User) User {
	out := User{Name: u.Name, Created: u.Created.UTC(), Policies: u.Policies}
	for _, k := range u.Keys {
		out.Keys = append(out.Keys, AccessKey{AccessKey: k.AccessKey, Active: k.Status == identity.StatusActive, Created: k.Created.UTC()})
	}
	return out
}

func (b identityBackend) ListUsers(ctx context.Context) ([]User, error) {
	us := b.s.ListUsers()
	out := make([]User, len(us))
	for i, u := range us {
		out[i] = userToAPI(u)
	}
	return out, nil
}

func (b identityBackend) CreateUser(ctx context.Context, name string) (User, error) {
	if err := b.s.CreateUser(name); err != nil {
		return User{}, identityError(err)
	}
	return b.GetUser(ctx, name)
}

func (b identityBackend) GetUser(ctx context.Context, name string) (User, error) {
	u, err := b.s.GetUser(name)
	if err != nil {
		return User{}, identityError(err)
	}
	return userToAPI(u), nil
}

func (b identityBackend) DeleteUser(ctx context.Context, name string) error {
	return identityError(b.s.DeleteUser(name))
}

func (b identityBackend) CreateAccessKey(ctx context.Context, user string) (AccessKey, error) {
	c, err := b.s.CreateAccessKey(user)
	if err != nil {
		return AccessKey{}, identityError(err)
	}
	k := AccessKey{AccessKey: c.AccessKey, SecretKey: c.SecretKey, Active: true}
	if u, err := b.s.GetUser(user); err == nil {
		for _, ki := range u.Keys {
			if ki.AccessKey == c.AccessKey {
				k.Created = ki.Created.UTC()
			}
		}
	}
	return k, nil
}

func (b identityBackend) SetAccessKeyStatus(ctx context.Context, user, ak string, active bool) error {
	return identityError(b.s.SetAccessKeyStatus(user, ak, active))
}

func (b identityBackend) DeleteAccessKey(ctx context.Context, user, ak string) error {
	return identityError(b.s.DeleteAccessKey(user, ak))
}

func (b identityBackend) PutUserPolicy(ctx context.Context, user, name string, doc []byte) error {
	return identityError(b.s.PutUserPolicy(user, name, doc))
}

func (b identityBackend) GetUserPolicy(ctx context.Context, user, name string) ([]byte, error) {
	doc, err := b.s.GetUserPolicy(user, name)
	if err != nil {
		return nil, identityError(err)
	}
	return doc, nil
}

func (b identityBackend) DeleteUserPolicy(ctx context.Context, user, name string) error {
	return identityError(b.s.DeleteUserPolicy(user, name))
}

// AttachIdentityStore makes the API manage the users of s, authenticate
// their access keys (until now only the root credentials of Config did)
// and authorise them by their identity policies.
func (a *API) AttachIdentityStore(s *identity.Store) {
	if s == nil {
		panic(fmt.Sprintf("AttachIdentityStore(%v)", s))
	}
	a.AttachIdentities(identityBackend{s})
	a.principals.Store(s)
	a.creds.users.Store(s) // users allowed admin actions may now sign in
}
