package engine

import (
	"maps"
	"slices"
	"sync"
	"time"
	"unicode/utf8"
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

// remember stores v as the decoding of raw, its pinned encoding, so that
// the next read of the value just written skips the JSON decode (a lock
// change rewrites the version, so without this every retention extension
// missed). It stores the form decodeIndexValue would produce
// (canonicalVersion), or nothing when that form cannot be derived without
// decoding. A nil cache remembers nothing.
func (c *versionCache) remember(raw []byte, v *version) {
	if c == nil {
		return
	}
	cv, ok := canonicalVersion(v)
	if !ok {
		return
	}
	c.mu.Lock()
	if c.m == nil || c.bytes+len(raw) > versionCacheBytes {
		c.m, c.bytes = map[string]*version{}, 0
	}
	if _, had := c.m[string(raw)]; !had {
		c.m[string(raw)] = cv
		c.bytes += len(raw)
	}
	c.mu.Unlock()
}

// decodeAt is decode for a possibly nil cache (nil decodes afresh).
func (c *versionCache) decodeAt(key, raw []byte) (*version, error) {
	if c == nil {
		v := new(version)
		if err := decodeIndexValue(key, raw, v); err != nil {
			return nil, err
		}
		return v, nil
	}
	return c.decode(key, raw)
}

// canonicalVersion is a deep copy of v as decodeIndexValue(encodeIndexValue(v))
// returns it: empty maps and slices become nil (the wire omits them),
// times take the location and lose the monotonic reading their RFC 3339
// text gives them. ok is false when a string is not valid UTF-8 (JSON
// would replace its bytes) or a time has no RFC 3339 form.
// TestCanonicalVersionIsDecoding checks the claim on random versions.
func canonicalVersion(v *version) (*version, bool) {
	c := cloneVersion(v)
	ok := true
	str := func(s string) {
		if ok && !utf8.ValidString(s) {
			ok = false
		}
	}
	strMap := func(m map[string]string) map[string]string {
		if len(m) == 0 {
			return nil
		}
		for k, x := range m {
			str(k)
			str(x)
		}
		return m
	}
	tm := func(t time.Time) time.Time {
		b, err := t.MarshalText()
		if err != nil {
			ok = false
			return t
		}
		var u time.Time
		if err := u.UnmarshalText(b); err != nil {
			ok = false
			return t
		}
		return u
	}
	str(c.ETag)
	str(c.ContentType)
	str(c.ChecksumType)
	str(string(c.Lock.Retention.Mode))
	c.UserMeta = strMap(c.UserMeta)
	c.Headers = strMap(c.Headers)
	c.Checksums = strMap(c.Checksums)
	c.Tags = strMap(c.Tags)
	if len(c.Extents) == 0 {
		c.Extents = nil
	}
	if len(c.Parts) == 0 {
		c.Parts = nil
	}
	for i := range c.Parts {
		p := &c.Parts[i]
		str(p.ETag)
		p.Checksums = strMap(p.Checksums)
		p.ModTime = tm(p.ModTime)
	}
	c.Lock.Retention.Until = tm(c.Lock.Retention.Until)
	return c, ok
}
