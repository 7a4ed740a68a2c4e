package md5x_test

import (
	"crypto/md5"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wormstore/wormstore/internal/md5x"
	"github.com/wormstore/wormstore/s3api/sigv4"
)

// TestSIMDMatchesStd: with MinStreams streams in flight the digests are
// SIMD lanes and equal crypto/md5's, for sizes around the 64-byte block
// and the hasher's internal buffer, written in random pieces by 8
// goroutines at once, also through sigv4.Checksums (which closes them).
func TestSIMDMatchesStd(t *testing.T) {
	var s md5x.Source
	defer s.Close()
	_, simd := s.New().(interface{ Close() })
	require.False(t, simd, "crypto/md5 below MinStreams")
	var ends []func()
	for range md5x.MinStreams {
		ends = append(ends, s.Begin())
	}
	require.EqualValues(t, md5x.MinStreams, s.Streams())
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 1))
			for i, n := range []int{0, 1, 55, 56, 63, 64, 65, 1000, 64 << 10, 1<<20 + 7} {
				data := make([]byte, n)
				for j := range data {
					data[j] = byte(rng.Uint32())
				}
				write := func(w func([]byte)) {
					for p := data; len(p) > 0; {
						k := min(len(p), 1+rng.IntN(100_000))
						w(p[:k])
						p = p[k:]
					}
				}
				if i%2 == 0 {
					h := s.New()
					_, simd := h.(interface{ Close() })
					require.True(t, simd)
					write(func(p []byte) { h.Write(p) })
					require.Equal(t, md5.Sum(data), [16]byte(h.Sum(nil)), "size %d", n)
					md5x.Done(h)
					continue
				}
				c := sigv4.NewChecksumsWith(sigv4.ChecksumRequest{}, s.New)
				write(func(p []byte) { c.Write(p) })
				res, err := c.Verify()
				require.NoError(t, err)
				require.Equal(t, md5.Sum(data), res.MD5, "size %d", n)
			}
		})
	}
	wg.Wait()
	for _, end := range ends {
		end()
	}
	require.Zero(t, s.Streams())
}
