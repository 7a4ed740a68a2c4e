// Package adminapitest has test helpers for the admin API.
package adminapitest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/wormstore/wormstore/adminapi"
)

var _ adminapi.Backend = (*FakeIAM)(nil)

// FakeIAM is an in-memory adminapi.Backend for handler and CLI tests.
// Users are created at a fixed time; access keys are AK1, AK2, … with
// secrets secret1, secret2, …. Safe for concurrent use.
type FakeIAM struct {
	mu    sync.Mutex
	users map[string]*adminapi.User
	docs  map[string][]byte // user + "/" + policy
	n     int
}

// NewFakeIAM returns an empty FakeIAM.
func NewFakeIAM() *FakeIAM {
	return &FakeIAM{users: map[string]*adminapi.User{}, docs: map[string][]byte{}}
}

func noUser(name string) error {
	return &adminapi.StatusError{Status: http.StatusNotFound, Code: "NoSuchUser", Message: fmt.Sprintf("no user %q", name)}
}

func (f *FakeIAM) ListUsers(ctx context.Context) ([]adminapi.User, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []adminapi.User
	for _, u := range f.users {
		out = append(out, *u)
	}
	slices.SortFunc(out, func(a, b adminapi.User) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

func (f *FakeIAM) CreateUser(ctx context.Context, name string) (adminapi.User, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.users[name]; ok {
		return adminapi.User{}, &adminapi.StatusError{Status: http.StatusConflict, Code: "UserAlreadyExists", Message: "exists"}
	}
	f.users[name] = &adminapi.User{Name: name, Created: time.Unix(1700000000, 0).UTC()}
	return *f.users[name], nil
}

func (f *FakeIAM) GetUser(ctx context.Context, name string) (adminapi.User, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	u, ok := f.users[name]
	if !ok {
		return adminapi.User{}, noUser(name)
	}
	c := *u
	c.Keys = slices.Clone(u.Keys)
	return c, nil
}

func (f *FakeIAM) DeleteUser(ctx context.Context, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.users[name]; !ok {
		return noUser(name)
	}
	delete(f.users, name)
	return nil
}

func (f *FakeIAM) CreateAccessKey(ctx context.Context, user string) (adminapi.AccessKey, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	u, ok := f.users[user]
	if !ok {
		return adminapi.AccessKey{}, noUser(user)
	}
	f.n++
	k := adminapi.AccessKey{AccessKey: fmt.Sprintf("AK%d", f.n), Active: true}
	u.Keys = append(u.Keys, k)
	k.SecretKey = fmt.Sprintf("secret%d", f.n)
	return k, nil
}

func (f *FakeIAM) key(user, ak string) (*adminapi.AccessKey, error) {
	u, ok := f.users[user]
	if !ok {
		return nil, noUser(user)
	}
	for i := range u.Keys {
		if u.Keys[i].AccessKey == ak {
			return &u.Keys[i], nil
		}
	}
	return nil, &adminapi.StatusError{Status: http.StatusNotFound, Code: "NoSuchAccessKey", Message: "no key"}
}

func (f *FakeIAM) SetAccessKeyStatus(ctx context.Context, user, ak string, active bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	k, err := f.key(user, ak)
	if err != nil {
		return err
	}
	k.Active = active
	return nil
}

func (f *FakeIAM) DeleteAccessKey(ctx context.Context, user, ak string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, err := f.key(user, ak); err != nil {
		return err
	}
	u := f.users[user]
	u.Keys = slices.DeleteFunc(u.Keys, func(k adminapi.AccessKey) bool { return k.AccessKey == ak })
	return nil
}

func (f *FakeIAM) PutUserPolicy(ctx context.Context, user, name string, doc []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	u, ok := f.users[user]
	if !ok {
		return noUser(user)
	}
	if !json.Valid(doc) {
		return &adminapi.StatusError{Status: http.StatusBadRequest, Code: "MalformedPolicy", Message: "policy is not JSON"}
	}
	if !slices.Contains(u.Policies, name) {
		u.Policies = append(u.Policies, name)
	}
	f.docs[user+"/"+name] = doc
	return nil
}

func (f *FakeIAM) GetUserPolicy(ctx context.Context, user, name string) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	d, ok := f.docs[user+"/"+name]
	if !ok {
		return nil, &adminapi.StatusError{Status: http.StatusNotFound, Code: "NoSuchPolicy", Message: "no policy"}
	}
	return d, nil
}

func (f *FakeIAM) DeleteUserPolicy(ctx context.Context, user, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.docs[user+"/"+name]; !ok {
		return &adminapi.StatusError{Status: http.StatusNotFound, Code: "NoSuchPolicy", Message: "no policy"}
	}
	delete(f.docs, user+"/"+name)
	u := f.users[user]
	u.Policies = slices.DeleteFunc(u.Policies, func(s string) bool { return s == name })
	return nil
}
