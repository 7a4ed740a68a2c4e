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
