package segment

import (
	"bytes"
	"crypto/rand"
	"io"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/stretchr/testify/require"
)

// TestCompressionProbing: after a run of incompressible blocks a writer
// stops trying zstd on every block but probes periodically, so text that
// follows is still compressed.
func TestCompressionProbing(t *testing.T) {
	s := openTest(t, vfs.NewMem(), Options{BlockSize: 4096})
	random := make([]byte, 8*4096)
	_, _ = rand.Read(random)
	text := bytes.Repeat([]byte("retention until 2027; "), 40*4096/22+1)[:40*4096]
	data := append(append([]byte(nil), random...), text...)
	exts := writeObject(t, s, data, 4096)
	require.NoError(t, s.Sync(exts))
	var stored int64
	for _, x := range exts {
		stored += x.Len
	}
	// Random blocks are stored raw (+ header); most text blocks compressed.
	require.Less(t, stored, int64(len(random))+int64(len(text))/2, "text after random data should still compress")
	rc, err := s.NewReader(exts, 0, int64(len(data)))
	require.NoError(t, err)
	got, err := io.ReadAll(rc)
	require.NoError(t, err)
	require.NoError(t, rc.Close())
	require.True(t, bytes.Equal(data, got))
}

// TestCompressionProbingStore: after a run of small incompressible objects
// the store stops trying zstd on every object's first block but probes,
// so compressible objects that follow are compressed again.
func TestCompressionProbingStore(t *testing.T) {
	s := openTest(t, vfs.NewMem(), Options{BlockSize: 4096})
	random := make([]byte, 4096)
	compressed := func(data []byte) bool {
		exts := writeObject(t, s, data, 4096)
		require.NoError(t, s.Sync(exts))
		require.Len(t, exts, 1)
		return exts[0].Len < int64(len(data))
	}
	for range 3 * storeSkipAfterMisses {
		_, _ = rand.Read(random)
		require.False(t, compressed(random))
	}
	require.GreaterOrEqual(t, s.zMisses.Load(), int64(storeSkipAfterMisses))
	text := bytes.Repeat([]byte("retention until 2027; "), 4096/22+1)[:4096]
	var got []bool
	for range 4 * probeEvery {
		got = append(got, compressed(text))
	}
	first := -1
	for i, c := range got {
		if c && first < 0 {
			first = i
		}
	}
	require.True(t, first >= 0 && first < probeEvery, "a probe within %d objects compresses: %v", probeEvery, got)
	for i := first; i < len(got); i++ {
		require.True(t, got[i], "after a block compressed, every object is tried again: %v", got)
	}
}
