package s3api

import (
	"crypto/md5"
	"math/rand/v2"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wormstore/wormstore/s3api/sigv4"
)

// TestMD5SourceSIMD: under concurrent uploads the body MD5 comes from the
// SIMD server and equals crypto/md5's, for sizes around the 64-byte block
// and the hasher's internal buffer; digests are closed by Verify.
func TestMD5SourceSIMD(t *testing.T) {
	var m md5Source
	defer m.close()
	dones := make([]func(), md5SIMDMinUploads)
	for i := range dones {
		dones[i] = m.track(httptest.NewRequest("PUT", "/b/k", nil))
	}
	require.EqualValues(t, md5SIMDMinUploads, m.uploads.Load())
	doneGet := m.track(httptest.NewRequest("GET", "/b/k", nil))
	require.EqualValues(t, md5SIMDMinUploads, m.uploads.Load(), "GET is not an upload")
	doneGet()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 1))
			for _, n := range []int{0, 1, 55, 56, 63, 64, 65, 1000, 64 << 10, 1<<20 + 7} {
				data := make([]byte, n)
				for i := range data {
					data[i] = byte(rng.Uint32())
				}
				c := sigv4.NewChecksumsWith(sigv4.ChecksumRequest{}, m.newMD5)
				for p := data; len(p) > 0; {
					k := min(len(p), 1+rng.IntN(100_000))
					c.Write(p[:k])
					p = p[k:]
				}
				res, err := c.Verify()
				require.NoError(t, err)
				require.Equal(t, md5.Sum(data), res.MD5, "size %d", n)
			}
		})
	}
	wg.Wait()
	require.NotNil(t, m.srv, "SIMD server used")
	for _, d := range dones {
		d()
	}
	require.Zero(t, m.uploads.Load())
	_, isStd := m.newMD5().(interface{ Close() })
	require.False(t, isStd, "crypto/md5 below the threshold")
}
