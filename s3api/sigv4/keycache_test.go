package sigv4

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
)

func TestKeyCacheBoundedAndRotation(t *testing.T) {
	var c keyCache
	k1 := c.signingKey("ak", "secret1", "20260402", "us-east-1", "s3")
	if !bytes.Equal(k1, deriveSigningKey("secret1", "20260402", "us-east-1", "s3")) {
		t.Fatal("cached key differs from derived key")
	}
	// A rotated secret must not hit the old key.
	k2 := c.signingKey("ak", "secret2", "20260402", "us-east-1", "s3")
	if bytes.Equal(k1, k2) || !bytes.Equal(k2, deriveSigningKey("secret2", "20260402", "us-east-1", "s3")) {
		t.Fatal("rotated secret served a stale key")
	}
	for i := 0; i < 3*defaultKeyCacheSize; i++ {
		c.signingKey(fmt.Sprintf("ak%d", i), "s", "20260402", "us-east-1", "s3")
	}
	if n := c.len(); n > defaultKeyCacheSize {
		t.Fatalf("cache holds %d keys, bound is %d", n, defaultKeyCacheSize)
	}
}

// TestConcurrentVerify verifies signed requests from many goroutines
// sharing one Verifier (run with -race).
func TestConcurrentVerify(t *testing.T) {
	v := newTestVerifier(signTime)
	creds := StaticCredentials{}
	for i := 0; i < 8; i++ {
		creds[fmt.Sprintf("AK%d", i)] = fmt.Sprintf("secret%d", i)
	}
	creds[exampleAccessKey] = exampleSecret
	v.Creds = creds
	var reqs []*http.Request
	for i := 0; i < 16; i++ {
		body := strings.Repeat("x", i)
		reqs = append(reqs, signedReq(t, body, map[string]string{"X-Amz-Meta-I": fmt.Sprint(i)}, "", nil))
	}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := 0; g < 32; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, r := range reqs {
				r := r.Clone(r.Context())
				r.Body = nil
				if _, err := v.Verify(r); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}
