package iam

import "sync"

// PolicyCache keeps parsed bucket policies by document text, so callers
// that authorise every request do not parse the bucket's stored policy
// each time. The zero value is ready to use; it is safe for concurrent use
// and holds at most MaxCachedPolicies documents (it is emptied when full).
type PolicyCache struct {
	mu sync.Mutex
	m  map[string]*Policy // guarded by mu
}

// MaxCachedPolicies bounds a PolicyCache.
const MaxCachedPolicies = 256

// BucketPolicy returns doc parsed with ParseBucketPolicy, from the cache
// when it was parsed before. Parse errors are not cached.
func (c *PolicyCache) BucketPolicy(doc string) (*Policy, error) {
	c.mu.Lock()
	p, ok := c.m[doc]
	c.mu.Unlock()
	if ok {
		return p, nil
	}
	p, err := ParseBucketPolicy([]byte(doc))
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= MaxCachedPolicies {
		c.m = map[string]*Policy{}
	}
	c.m[doc] = p
	c.mu.Unlock()
	return p, nil
}
