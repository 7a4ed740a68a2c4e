package engine

import (
	"maps"
	"slices"
	"sync"
)

// versionCacheBytes bounds the encoded bytes a versionCache remembers;
// when full it starts over.
const versionCacheBytes = 16 << 20

// versionCache remembers decoded version index values by their encoded
// bytes. A value's bytes determine its decoding, so the cache needs no
// invalidation: a changed version has other bytes and misses. It saves
// the strict JSON decode (5–8 % of server CPU on GET and retention) on
// the read paths that go through Engine methods (latest, resolve, the
// audit's version id). It is safe for concurrent use; the zero value is
// ready.
type versionCache struct {
	mu    sync.Mutex
	m     map[string]*version // read-only once stored; guarded by mu
	bytes int                 // guarded by mu
}

// decode returns the version encoded as raw (stored under key), as
// decodeIndexValue would, in a fresh copy the caller may modify.
func (c *versionCache) decode(key, raw []byte) (*version, error) {
	c.mu.Lock()
	v := c.m[string(raw)]
	c.mu.Unlock()
	if v == nil {
		v = new(version)
		if err := decodeIndexValue(key, raw, v); err != nil {
			return nil, err
		}
		c.mu.Lock()
		if c.m == nil || c.bytes+len(raw) > versionCacheBytes {
			c.m, c.bytes = map[string]*version{}, 0
		}
		c.m[string(raw)] = v
		c.bytes += len(raw)
		c.mu.Unlock()
	}
	return cloneVersion(v), nil
}

// cloneVersion is a deep copy of v: every map and slice is copied, so the
// copy shares nothing mutable with v. TestCloneVersionCoversFields fails
// when version gains a field of a reference type that is not handled here.
func cloneVersion(v *version) *version {
	c := *v
	c.UserMeta = maps.Clone(v.UserMeta)
	c.Headers = maps.Clone(v.Headers)
	c.Checksums = maps.Clone(v.Checksums)
	c.Tags = maps.Clone(v.Tags)
	c.Extents = slices.Clone(v.Extents)
	if v.Parts != nil {
		c.Parts = make([]PartInfo, len(v.Parts))
		for i, p := range v.Parts {
			p.Checksums = maps.Clone(p.Checksums)
			c.Parts[i] = p
		}
	}
	return &c
}
