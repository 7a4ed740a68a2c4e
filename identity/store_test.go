package identity_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/wormstore/wormstore/iam"
	"github.com/wormstore/wormstore/identity"
)

var root = identity.Credentials{AccessKey: "ROOTKEY", SecretKey: "rootsecret"}

const policy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`

func TestPersistenceAndMode(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "identities.json")
	s, err := identity.Open(vfs.Default, path, root)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateUser("uploader"); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateUser("uploader"); !errors.Is(err, identity.ErrUserExists) {
		t.Fatalf("got %v, want ErrUserExists", err)
	}
	if err := s.CreateUser("bad name"); !errors.Is(err, identity.ErrInvalidName) {
		t.Fatalf("got %v, want ErrInvalidName", err)
	}
	c, err := s.CreateAccessKey("uploader")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.AccessKey) != 20 || strings.ToUpper(c.AccessKey) != c.AccessKey || len(c.SecretKey) != 40 {
		t.Fatalf("got key %q secret length %d, want 20 upper-case characters and 40", c.AccessKey, len(c.SecretKey))
	}
	if err := s.PutUserPolicy("uploader", "read", []byte(policy)); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("got mode %v, want 0600", fi.Mode().Perm())
	}

	s2, err := identity.Open(vfs.Default, path, root)
	if err != nil {
		t.Fatal(err)
	}
	if sec, ok := s2.Lookup(c.AccessKey); !ok || sec != c.SecretKey {
		t.Fatalf("after reopen, Lookup = %v, want the secret", ok)
	}
	u, err := s2.GetUser("uploader")
	if err != nil {
		t.Fatal(err)
	}
	if len(u.Keys) != 1 || u.Keys[0].Status != identity.StatusActive || len(u.Policies) != 1 || u.Policies[0] != "read" {
		t.Fatalf("got %+v, want one active key and policy read", u)
	}
	doc, err := s2.GetUserPolicy("uploader", "read")
	if err != nil || string(doc) != policy {
		t.Fatalf("got %q, %v, want the document as put", doc, err)
	}
	p, ok := s2.Principal(c.AccessKey)
	if !ok || p.Root || p.User != "uploader" || p.ARN != iam.UserARN(identity.AccountID, "uploader") || len(p.Policies) != 1 {
		t.Fatalf("got %+v, want uploader with one policy", p)
	}
	p, ok = s2.Principal(root.AccessKey)
	if !ok || !p.Root {
		t.Fatalf("got %+v, want root", p)
	}
	if sec, ok := s2.Lookup(root.AccessKey); !ok || sec != root.SecretKey {
		t.Fatal("root Lookup failed")
	}
	data, _ := os.ReadFile(path)
	if strings.Contains(string(data), root.SecretKey) {
		t.Fatal("root secret stored in the file")
	}
	if err := s2.DeleteUser("uploader"); err != nil {
		t.Fatal(err)
	}
	if _, ok := s2.Lookup(c.AccessKey); ok {
		t.Fatal("key of a deleted user still works")
	}
	if _, err := s2.GetUser("uploader"); !errors.Is(err, identity.ErrNoSuchUser) {
		t.Fatalf("got %v, want ErrNoSuchUser", err)
	}
}

func TestDisableAndDeleteKey(t *testing.T) {
	fs := vfs.NewMem()
	s, err := identity.Open(fs, "identities.json", root)
	if err != nil {
		t.Fatal(err)
	}
	s.CreateUser("u")
	c, err := s.CreateAccessKey("u")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetAccessKeyStatus("u", c.AccessKey, false); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Lookup(c.AccessKey); ok {
		t.Fatal("disabled key still looks up")
	}
	if _, ok := s.Principal(c.AccessKey); ok {
		t.Fatal("disabled key still has a principal")
	}
	if err := s.SetAccessKeyStatus("u", c.AccessKey, true); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Lookup(c.AccessKey); !ok {
		t.Fatal("re-enabled key does not look up")
	}
	if err := s.DeleteAccessKey("u", c.AccessKey); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Lookup(c.AccessKey); ok {
		t.Fatal("deleted key still looks up")
	}
	if err := s.DeleteAccessKey("u", c.AccessKey); !errors.Is(err, identity.ErrNoSuchAccessKey) {
		t.Fatalf("got %v, want ErrNoSuchAccessKey", err)
	}
}

func TestMalformedPolicy(t *testing.T) {
	s, err := identity.Open(vfs.NewMem(), "identities.json", root)
	if err != nil {
		t.Fatal(err)
	}
	s.CreateUser("u")
	err = s.PutUserPolicy("u", "p", []byte(`{"Statement":[{"Effect":"allow","Action":"s3:*","Resource":"*"}]}`))
	if !errors.Is(err, iam.ErrMalformedPolicy) || !strings.Contains(err.Error(), "Statement[0].Effect") {
		t.Fatalf("got %v, want MalformedPolicy naming Statement[0].Effect", err)
	}
	if _, err := s.GetUserPolicy("u", "p"); !errors.Is(err, identity.ErrNoSuchPolicy) {
		t.Fatalf("got %v, want ErrNoSuchPolicy", err)
	}
}

func TestConcurrent(t *testing.T) {
	s, err := identity.Open(vfs.NewMem(), "identities.json", root)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := fmt.Sprintf("u%d", i)
			if err := s.CreateUser(name); err != nil {
				t.Error(err)
				return
			}
			for range 5 {
				c, err := s.CreateAccessKey(name)
				if err != nil {
					t.Error(err)
					return
				}
				if _, ok := s.Lookup(c.AccessKey); !ok {
					t.Error("new key does not look up")
				}
				s.PutUserPolicy(name, "p", []byte(policy))
				s.Principal(c.AccessKey)
				s.ListUsers()
			}
		}()
	}
	wg.Wait()
	if got := len(s.ListUsers()); got != 8 {
		t.Fatalf("got %d users, want 8", got)
	}
}
