package bench

import (
	mrand "math/rand/v2"
	"sync"
)

// pool is the set of objects (or versions) a workload reads and deletes,
// shared by all workers. An entry being read is never handed out for
// deletion, so reads do not fail with 404 because of the benchmark
// itself. pool is safe for concurrent use.
type pool struct {
	mu      sync.Mutex
	entries []*poolEntry // guarded by mu
}

// poolEntry is one object version in a pool.
type poolEntry struct {
	key, version string
	size         int64
	idx          int // position in entries, guarded by pool.mu
	readers      int // guarded by pool.mu
}

func newPool() *pool { return &pool{} }

// add adds a version.
func (p *pool) add(key, version string, size int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.entries = append(p.entries, &poolEntry{key: key, version: version, size: size, idx: len(p.entries)})
}

// acquire returns a random entry for reading, or nil if the pool is
// empty. The caller must release it.
func (p *pool) acquire(rng *mrand.Rand) *poolEntry {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.entries) == 0 {
		return nil
	}
	e := p.entries[rng.IntN(len(p.entries))]
	e.readers++
	return e
}

// release ends a read started by acquire.
func (p *pool) release(e *poolEntry) {
	p.mu.Lock()
	e.readers--
	p.mu.Unlock()
}

// randomKey returns the key of a random entry, or "".
func (p *pool) randomKey(rng *mrand.Rand) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.entries) == 0 {
		return ""
	}
	return p.entries[rng.IntN(len(p.entries))].key
}

// take removes and returns a random entry nobody reads, or nil if a few
// tries find none.
func (p *pool) take(rng *mrand.Rand) *poolEntry {
	p.mu.Lock()
	defer p.mu.Unlock()
	for range 8 {
		if len(p.entries) == 0 {
			return nil
		}
		if e := p.entries[rng.IntN(len(p.entries))]; e.readers == 0 {
			p.removeLocked(e)
			return e
		}
	}
	return nil
}

// takeN removes and returns up to n entries (from the end).
func (p *pool) takeN(n int) []*poolEntry {
	p.mu.Lock()
	defer p.mu.Unlock()
	n = min(n, len(p.entries))
	out := make([]*poolEntry, n)
	copy(out, p.entries[len(p.entries)-n:])
	p.entries = p.entries[:len(p.entries)-n]
	return out
}

// removeLocked removes e by moving the last entry into its place.
func (p *pool) removeLocked(e *poolEntry) {
	last := p.entries[len(p.entries)-1]
	p.entries[e.idx] = last
	last.idx = e.idx
	p.entries = p.entries[:len(p.entries)-1]
}
