package identity

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/wormstore/wormstore/iam"
)

// AccountID is the account id of the one account a wormstore server has;
// it appears in user and root ARNs ("arn:aws:iam::000000000000:user/name").
const AccountID = "000000000000"

// Key statuses, as IAM spells them.
const (
	StatusActive   = "Active"
	StatusInactive = "Inactive"
)

// formatVersion is the version of the identities file. Do not change the
// meaning of an existing version.
const formatVersion = 1

// Credentials is an access key and its secret.
type Credentials struct{ AccessKey, SecretKey string }

// User describes a user, without secrets.
type User struct {
	Name     string
	Created  time.Time
	Keys     []KeyInfo
	Policies []string // attached policy names, sorted
}

// KeyInfo describes an access key, without its secret.
type KeyInfo struct {
	AccessKey string
	Status    string // StatusActive or StatusInactive
	Created   time.Time
}

// Principal is who an access key authenticates as.
type Principal struct {
	// Root is set for the root credentials, which may do everything a
	// policy could allow.
	Root bool
	// User is the user name ("" for root).
	User      string
	AccessKey string
	// ARN is iam.RootARN(AccountID) for root, else iam.UserARN(AccountID, User).
	ARN string
	// Policies are the user's parsed identity policies, in name order.
	// They are immutable and shared; do not modify them.
	Policies []*iam.Policy
}

// Store keeps users, access keys and attached identity policies in one JSON
// file written atomically through a vfs.FS. It is safe for concurrent use.
type Store struct {
	fs   vfs.FS
	path string
	root Credentials

	mu sync.RWMutex
	// Guarded by mu; replaced (never modified in place) on every change.
	st *state
}

// fileState is the JSON form of the identities file.
type fileState struct {
	Version int                  `json:"version"`
	Users   map[string]*fileUser `json:"users"`
}

type fileUser struct {
	Created  time.Time         `json:"created"`
	Keys     []fileKey         `json:"keys"`
	Policies map[string]string `json:"policies,omitempty"`
}

type fileKey struct {
	AccessKey string    `json:"accessKey"`
	SecretKey string    `json:"secretKey"`
	Status    string    `json:"status"`
	Created   time.Time `json:"created"`
}

// state is the decoded file plus indexes derived from it.
type state struct {
	file   fileState
	keys   map[string]string        // access key → user
	parsed map[string][]*iam.Policy // user → policies in name order
}

// Open opens (or, if path does not exist, starts empty) the identity store
// kept in path on fs. root are the root credentials; they are not stored in
// the file.
func Open(fs vfs.FS, path string, root Credentials) (*Store, error) {
	if fs == nil {
		return nil, errors.New("identity: nil FS")
	}
	if root.AccessKey == "" || root.SecretKey == "" {
		return nil, errors.New("identity: root credentials are empty")
	}
	s := &Store{fs: fs, path: path, root: root}
	f, err := fs.Open(path)
	switch {
	case err == nil:
		data, rerr := io.ReadAll(f)
		f.Close()
		if rerr != nil {
			return nil, fmt.Errorf("identity: reading %s: %w", path, rerr)
		}
		var fst fileState
		if err := json.Unmarshal(data, &fst); err != nil {
			return nil, fmt.Errorf("identity: %s: %w: %v", path, ErrCorrupt, err)
		}
		if fst.Version != formatVersion {
			return nil, fmt.Errorf("identity: %s: %w: unknown version %d", path, ErrCorrupt, fst.Version)
		}
		st, err := newState(fst)
		if err != nil {
			return nil, fmt.Errorf("identity: %s: %w", path, err)
		}
		s.st = st
	case errors.Is(err, os.ErrNotExist):
		s.st = &state{file: fileState{Version: formatVersion, Users: map[string]*fileUser{}}, keys: map[string]string{}, parsed: map[string][]*iam.Policy{}}
	default:
		return nil, fmt.Errorf("identity: opening %s: %w", path, err)
	}
	return s, nil
}

// newState builds the indexes of fst, parsing every policy.
func newState(fst fileState) (*state, error) {
	if fst.Users == nil {
		fst.Users = map[string]*fileUser{}
	}
	st := &state{file: fst, keys: map[string]string{}, parsed: map[string][]*iam.Policy{}}
	for name, u := range fst.Users {
		if u == nil {
			return nil, fmt.Errorf("%w: user %q is null", ErrCorrupt, name)
		}
		for _, k := range u.Keys {
			if _, dup := st.keys[k.AccessKey]; dup {
				return nil, fmt.Errorf("%w: access key %q appears twice", ErrCorrupt, k.AccessKey)
			}
			st.keys[k.AccessKey] = name
		}
		var ps []*iam.Policy
		for _, pn := range slices.Sorted(maps.Keys(u.Policies)) {
			p, err := iam.ParseIdentityPolicy([]byte(u.Policies[pn]))
			if err != nil {
				return nil, fmt.Errorf("%w: user %q policy %q: %w", ErrCorrupt, name, pn, err)
			}
			ps = append(ps, p)
		}
		st.parsed[name] = ps
	}
	return st, nil
}

// clone returns a deep copy of the file state for a mutation.
func (st *state) clone() fileState {
	c := fileState{Version: st.file.Version, Users: make(map[string]*fileUser, len(st.file.Users))}
	for n, u := range st.file.Users {
		cu := &fileUser{Created: u.Created, Keys: slices.Clone(u.Keys), Policies: maps.Clone(u.Policies)}
		c.Users[n] = cu
	}
	return c
}

// update applies fn to a copy of the state, persists the result and then
// makes it current. If fn or the write fails, nothing changes.
func (s *Store) update(fn func(fst *fileState) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	fst := s.st.clone()
	if err := fn(&fst); err != nil {
		return err
	}
	st, err := newState(fst)
	if err != nil {
		return err
	}
	if err := s.writeLocked(fst); err != nil {
		return err
	}
	s.st = st
	return nil
}

// writeLocked publishes fst: temporary file (mode 0600), sync, rename,
// sync directory.
func (s *Store) writeLocked(fst fileState) error {
	data, err := json.MarshalIndent(fst, "", "  ")
	if err != nil {
		return fmt.Errorf("identity: encoding: %w", err)
	}
	data = append(data, '\n')
	tmp := s.path + ".tmp"
	f, err := s.fs.Create(tmp, vfs.WriteCategoryUnspecified)
	if err != nil {
		return fmt.Errorf("identity: creating %s: %w", tmp, err)
	}
	if err := restrictMode(f); err != nil {
		f.Close()
		s.fs.Remove(tmp)
		return fmt.Errorf("identity: chmod %s: %w", tmp, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		s.fs.Remove(tmp)
		return fmt.Errorf("identity: writing %s: %w", tmp, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		s.fs.Remove(tmp)
		return fmt.Errorf("identity: syncing %s: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		s.fs.Remove(tmp)
		return fmt.Errorf("identity: closing %s: %w", tmp, err)
	}
	if err := s.fs.Rename(tmp, s.path); err != nil {
		return fmt.Errorf("identity: renaming %s: %w", tmp, err)
	}
	dir, err := s.fs.OpenDir(s.fs.PathDir(s.path))
	if err != nil {
		return fmt.Errorf("identity: opening directory of %s: %w", s.path, err)
	}
	defer dir.Close()
	if err := dir.Sync(); err != nil {
		return fmt.Errorf("identity: syncing directory of %s: %w", s.path, err)
	}
	return nil
}

// validName reports whether name is a valid IAM user or policy name of at
// most max bytes.
func validName(name string, max int) bool {
	if name == "" || len(name) > max {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case bytes.IndexByte([]byte("+=,.@_-"), c) >= 0:
		default:
			return false
		}
	}
	return true
}

// CreateUser creates a user without keys or policies.
func (s *Store) CreateUser(name string) error {
	if !validName(name, 64) || name == "root" {
		return fmt.Errorf("%w: %q", ErrInvalidName, name)
	}
	return s.update(func(fst *fileState) error {
		if _, ok := fst.Users[name]; ok {
			return fmt.Errorf("%w: %q", ErrUserExists, name)
		}
		fst.Users[name] = &fileUser{Created: time.Now().UTC().Truncate(time.Second)}
		return nil
	})
}

// DeleteUser deletes a user with its access keys and policies; its keys
// stop working at once.
func (s *Store) DeleteUser(name string) error {
	return s.update(func(fst *fileState) error {
		if _, ok := fst.Users[name]; !ok {
			return fmt.Errorf("%w: %q", ErrNoSuchUser, name)
		}
		delete(fst.Users, name)
		return nil
	})
}

func userInfo(name string, u *fileUser) User {
	out := User{Name: name, Created: u.Created, Policies: slices.Sorted(maps.Keys(u.Policies))}
	for _, k := range u.Keys {
		out.Keys = append(out.Keys, KeyInfo{AccessKey: k.AccessKey, Status: k.Status, Created: k.Created})
	}
	return out
}

// ListUsers returns every user, sorted by name.
func (s *Store) ListUsers() []User {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []User
	for _, n := range slices.Sorted(maps.Keys(s.st.file.Users)) {
		out = append(out, userInfo(n, s.st.file.Users[n]))
	}
	return out
}

// GetUser returns one user.
func (s *Store) GetUser(name string) (User, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	u, ok := s.st.file.Users[name]
	if !ok {
		return User{}, fmt.Errorf("%w: %q", ErrNoSuchUser, name)
	}
	return userInfo(name, u), nil
}

const (
	akAlphabet     = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	secretAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
)

// randomString returns n characters drawn uniformly from alphabet.
func randomString(alphabet string, n int) string {
	out := make([]byte, n)
	var b [1]byte
	limit := 256 - 256%len(alphabet)
	for i := 0; i < n; {
		rand.Read(b[:])
		if int(b[0]) >= limit {
			continue
		}
		out[i] = alphabet[int(b[0])%len(alphabet)]
		i++
	}
	return string(out)
}

// CreateAccessKey creates an active access key for user: a random 20
// character upper-case alphanumeric id and a 40 character secret. The
// secret is returned only here.
func (s *Store) CreateAccessKey(user string) (Credentials, error) {
	var c Credentials
	err := s.update(func(fst *fileState) error {
		u, ok := fst.Users[user]
		if !ok {
			return fmt.Errorf("%w: %q", ErrNoSuchUser, user)
		}
		for {
			c = Credentials{AccessKey: randomString(akAlphabet, 20), SecretKey: randomString(secretAlphabet, 40)}
			if c.AccessKey != s.root.AccessKey && !s.hasKey(fst, c.AccessKey) {
				break
			}
		}
		u.Keys = append(u.Keys, fileKey{AccessKey: c.AccessKey, SecretKey: c.SecretKey, Status: StatusActive, Created: time.Now().UTC().Truncate(time.Second)})
		return nil
	})
	if err != nil {
		return Credentials{}, err
	}
	return c, nil
}

func (s *Store) hasKey(fst *fileState, ak string) bool {
	for _, u := range fst.Users {
		for _, k := range u.Keys {
			if k.AccessKey == ak {
				return true
			}
		}
	}
	return false
}

// userKey finds user's key ak in fst.
func userKey(fst *fileState, user, ak string) (*fileUser, int, error) {
	u, ok := fst.Users[user]
	if !ok {
		return nil, 0, fmt.Errorf("%w: %q", ErrNoSuchUser, user)
	}
	for i, k := range u.Keys {
		if k.AccessKey == ak {
			return u, i, nil
		}
	}
	return nil, 0, fmt.Errorf("%w: %q of user %q", ErrNoSuchAccessKey, ak, user)
}

// SetAccessKeyStatus activates or disables one of user's access keys.
// A disabled key fails Lookup at once.
func (s *Store) SetAccessKeyStatus(user, accessKey string, active bool) error {
	return s.update(func(fst *fileState) error {
		u, i, err := userKey(fst, user, accessKey)
		if err != nil {
			return err
		}
		u.Keys[i].Status = StatusInactive
		if active {
			u.Keys[i].Status = StatusActive
		}
		return nil
	})
}

// DeleteAccessKey deletes one of user's access keys.
func (s *Store) DeleteAccessKey(user, accessKey string) error {
	return s.update(func(fst *fileState) error {
		u, i, err := userKey(fst, user, accessKey)
		if err != nil {
			return err
		}
		u.Keys = slices.Delete(u.Keys, i, i+1)
		return nil
	})
}

// PutUserPolicy attaches (or replaces) the identity policy name of user.
// The document is checked with iam.ParseIdentityPolicy; a rejected
// document's error wraps iam.ErrMalformedPolicy and names the problem.
func (s *Store) PutUserPolicy(user, name string, doc []byte) error {
	if !validName(name, 128) {
		return fmt.Errorf("%w: policy name %q", ErrInvalidName, name)
	}
	if _, err := iam.ParseIdentityPolicy(doc); err != nil {
		return err
	}
	return s.update(func(fst *fileState) error {
		u, ok := fst.Users[user]
		if !ok {
			return fmt.Errorf("%w: %q", ErrNoSuchUser, user)
		}
		if u.Policies == nil {
			u.Policies = map[string]string{}
		}
		u.Policies[name] = string(doc)
		return nil
	})
}

// GetUserPolicy returns the document of user's policy name, as it was put.
func (s *Store) GetUserPolicy(user, name string) ([]byte, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	u, ok := s.st.file.Users[user]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrNoSuchUser, user)
	}
	doc, ok := u.Policies[name]
	if !ok {
		return nil, fmt.Errorf("%w: %q of user %q", ErrNoSuchPolicy, name, user)
	}
	return []byte(doc), nil
}

// DeleteUserPolicy detaches user's policy name.
func (s *Store) DeleteUserPolicy(user, name string) error {
	return s.update(func(fst *fileState) error {
		u, ok := fst.Users[user]
		if !ok {
			return fmt.Errorf("%w: %q", ErrNoSuchUser, user)
		}
		if _, ok := u.Policies[name]; !ok {
			return fmt.Errorf("%w: %q of user %q", ErrNoSuchPolicy, name, user)
		}
		delete(u.Policies, name)
		return nil
	})
}

// activeKey returns the user and secret of an active user key.
func (st *state) activeKey(ak string) (user, secret string, ok bool) {
	user, ok = st.keys[ak]
	if !ok {
		return "", "", false
	}
	for _, k := range st.file.Users[user].Keys {
		if k.AccessKey == ak {
			return user, k.SecretKey, k.Status == StatusActive
		}
	}
	return "", "", false
}

// Lookup returns the secret of an active access key (root's or a user's).
// It implements sigv4.CredentialStore. Disabled and deleted keys are not
// found.
func (s *Store) Lookup(accessKey string) (string, bool) {
	if accessKey == s.root.AccessKey {
		return s.root.SecretKey, true
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	_, secret, ok := s.st.activeKey(accessKey)
	if !ok {
		return "", false
	}
	return secret, true
}

// Principal returns who an active access key authenticates as.
func (s *Store) Principal(accessKey string) (Principal, bool) {
	if accessKey == s.root.AccessKey {
		return Principal{Root: true, AccessKey: accessKey, ARN: iam.RootARN(AccountID)}, true
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	user, _, ok := s.st.activeKey(accessKey)
	if !ok {
		return Principal{}, false
	}
	return Principal{User: user, AccessKey: accessKey, ARN: iam.UserARN(AccountID, user), Policies: s.st.parsed[user]}, true
}
