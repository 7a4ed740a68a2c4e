package s3api

import (
	"crypto/md5"
	"hash"
	"net/http"
	"sync"
	"sync/atomic"

	md5simd "github.com/minio/md5-simd"
)

// md5SIMDMinUploads is the number of uploads in flight from which a new
// body's MD5 (its ETag) is computed by the multi-buffer SIMD hasher
// rather than crypto/md5. The SIMD server hashes up to 16 streams at once
// (AVX-512; 8 with AVX2), so it wins when several uploads overlap — 4.6 ×
// crypto/md5's throughput for 8 concurrent 64 KiB bodies on the 2-core
// development VM — but one stream alone runs at ~0.6 × crypto/md5.
const md5SIMDMinUploads = 3

// md5Source hands out the MD5 digest of each request body
// (sigv4.Verifier.NewMD5). It is safe for concurrent use.
type md5Source struct {
	// uploads counts the PUT and POST requests being served.
	uploads atomic.Int64
	once    sync.Once
	srv     md5simd.Server // started at the first concurrent upload
}

func (m *md5Source) newMD5() hash.Hash {
	if m.uploads.Load() < md5SIMDMinUploads {
		return md5.New()
	}
	m.once.Do(func() { m.srv = md5simd.NewServer() })
	return m.srv.NewHash()
}

// track counts r as an upload until the returned function is called.
func (m *md5Source) track(r *http.Request) (done func()) {
	if r.Method != http.MethodPut && r.Method != http.MethodPost {
		return func() {}
	}
	m.uploads.Add(1)
	return func() { m.uploads.Add(-1) }
}

// close stops the SIMD server, if one was started. Its digests must all
// be closed (or unreachable) by then.
func (m *md5Source) close() {
	m.once.Do(func() {})
	if m.srv != nil {
		m.srv.Close()
	}
}
