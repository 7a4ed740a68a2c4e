package s3api

import (
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wormstore/wormstore/s3api/sigv4"
)

// TestFullObjectChecksum checks that combining part CRCs equals the CRC of
// the whole, for every CRC algorithm and assorted part sizes (including
// empty parts).
func TestFullObjectChecksum(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, alg := range []sigv4.Algorithm{sigv4.CRC32, sigv4.CRC32C, sigv4.CRC64NVME} {
		for _, sizes := range [][]int{{1}, {0, 5}, {5, 0}, {1, 1, 1}, {4096, 17, 100000}, {65536, 65536, 3}} {
			t.Run(fmt.Sprintf("%s/%v", alg, sizes), func(t *testing.T) {
				var whole []byte
				var parts []partSum
				for _, n := range sizes {
					b := make([]byte, n)
					for i := range b {
						b[i] = byte(r.Uint32())
					}
					whole = append(whole, b...)
					h := alg.New()
					h.Write(b)
					parts = append(parts, partSum{value: base64.StdEncoding.EncodeToString(h.Sum(nil)), size: int64(n)})
				}
				h := alg.New()
				h.Write(whole)
				got, err := fullObjectChecksum(alg, parts)
				require.NoError(t, err)
				require.Equal(t, base64.StdEncoding.EncodeToString(h.Sum(nil)), got)
			})
		}
	}
	_, err := fullObjectChecksum(sigv4.SHA256, nil)
	require.Error(t, err)
	_, err = fullObjectChecksum(sigv4.CRC32, []partSum{{value: "not base64", size: 1}})
	require.Error(t, err)
}

func TestCompositeChecksum(t *testing.T) {
	h := sigv4.SHA256.New()
	h.Write([]byte("a"))
	pa := h.Sum(nil)
	h.Reset()
	h.Write([]byte("b"))
	pb := h.Sum(nil)
	h.Reset()
	h.Write(append(append([]byte{}, pa...), pb...))
	want := base64.StdEncoding.EncodeToString(h.Sum(nil)) + "-2"
	got, err := compositeChecksum(sigv4.SHA256, []partSum{{value: base64.StdEncoding.EncodeToString(pa)}, {value: base64.StdEncoding.EncodeToString(pb)}})
	require.NoError(t, err)
	require.Equal(t, want, got)
	_, err = compositeChecksum(sigv4.SHA256, []partSum{{value: "AAAA"}})
	require.Error(t, err)
}
