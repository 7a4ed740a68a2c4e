// Package md5x hands out MD5 digests for object ETags: crypto/md5 while
// few streams are hashed at once, lanes of github.com/minio/md5-simd's
// multi-buffer server when several overlap.
package md5x

import (
	"crypto/md5"
	"hash"
	"sync"
	"sync/atomic"

	md5simd "github.com/minio/md5-simd"
)

// MinStreams is the number of streams in flight (Begin) from which New
// returns a SIMD lane rather than crypto/md5. The SIMD server hashes up
// to 16 streams at once (AVX-512; 8 with AVX2), so it wins when several
// bodies overlap — 4.6 × crypto/md5's throughput for 8 concurrent 64 KiB
// bodies on the 2-core development VM — but one stream alone runs at
// ~0.6 × crypto/md5.
const MinStreams = 3

// Source hands out MD5 digests. The zero value is ready; Close stops the
// SIMD server if one was started. It is safe for concurrent use.
type Source struct {
	streams atomic.Int64 // streams in flight (Begin .. end)
	once    sync.Once
	srv     md5simd.Server // started by the first New that needs it
}

// Begin counts one stream in flight until end is called.
func (s *Source) Begin() (end func()) {
	s.streams.Add(1)
	return func() { s.streams.Add(-1) }
}

// Streams returns the number of streams in flight.
func (s *Source) Streams() int64 { return s.streams.Load() }

// New returns a digest: a SIMD lane (whose Close method must be called
// once its sum is taken) when at least MinStreams streams are in flight,
// else crypto/md5.
func (s *Source) New() hash.Hash {
	if s.streams.Load() < MinStreams {
		return md5.New()
	}
	s.once.Do(func() { s.srv = md5simd.NewServer() })
	return s.srv.NewHash()
}

// Done closes h if it is a SIMD lane.
func Done(h hash.Hash) {
	if c, ok := h.(interface{ Close() }); ok {
		c.Close()
	}
}

// Close stops the SIMD server, if one was started. Every lane must be
// closed, or unreachable, by then.
func (s *Source) Close() {
	s.once.Do(func() {})
	if s.srv != nil {
		s.srv.Close()
	}
}
