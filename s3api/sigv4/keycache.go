package sigv4

import (
	"crypto/subtle"
	"sync"
)

// defaultKeyCacheSize bounds the signing-key cache. A signing key is valid
// for one (access key, day, region, service), so a server with a handful of
// users needs a few entries per day.
const defaultKeyCacheSize = 1024

// keyCache memoises derived signing keys. It is safe for concurrent use and
// its zero value is ready. Entries remember the secret they were derived
// from, so a rotated secret never hits a stale key.
type keyCache struct {
	mu      sync.Mutex
	entries map[keyCacheID]keyCacheEntry // guarded by mu
}

type keyCacheID struct {
	accessKey, date, region, service string
}

type keyCacheEntry struct {
	secret string
	key    []byte
}

// signingKey returns the signing key for the scope, deriving and caching it
// on a miss. The returned slice must not be modified.
func (c *keyCache) signingKey(accessKey, secret, date, region, service string) []byte {
	id := keyCacheID{accessKey, date, region, service}
	c.mu.Lock()
	e, ok := c.entries[id]
	c.mu.Unlock()
	if ok && subtle.ConstantTimeCompare([]byte(e.secret), []byte(secret)) == 1 {
		return e.key
	}
	key := deriveSigningKey(secret, date, region, service)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = make(map[keyCacheID]keyCacheEntry)
	}
	if _, present := c.entries[id]; !present && len(c.entries) >= defaultKeyCacheSize {
		// Evict an arbitrary entry: keys are cheap to re-derive (four
		// HMACs), and yesterday's keys are the likeliest victims only in
		// expectation, which is enough for a bound.
		for k := range c.entries {
			delete(c.entries, k)
			break
		}
	}
	c.entries[id] = keyCacheEntry{secret: secret, key: key}
	return key
}

// len reports the number of cached keys (tests).
func (c *keyCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}
