package segment

import (
	"bytes"
	iofs "io/fs"
	"math/rand/v2"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/stretchr/testify/require"
)

// TestReleaseLocalAndAttachRemote: a released segment is read through its
// source (verified frame by frame: a flipped byte is ErrCorrupt, never
// data); a reader that pinned the local file keeps it until it closes;
// after reopening, AttachRemote serves it and its id is not reused;
// VerifyRemote checks a copy; Forget drops it and keeps its id reserved.
func TestReleaseLocalAndAttachRemote(t *testing.T) {
	const bs = 256
	fs := vfs.NewMem()
	s := openTest(t, fs, Options{BlockSize: bs})
	data := randomBytes(rand.New(rand.NewPCG(7, 7)), 9*bs+17)
	exts := writeObject(t, s, data, 0)
	id := exts[0].Seg
	require.ErrorIs(t, s.ReleaseLocal(id, bytes.NewReader(nil)), ErrActive)
	require.NoError(t, s.Seal())
	info, err := s.LocalInfo(id)
	require.NoError(t, err)
	f, err := s.OpenLocal(id)
	require.NoError(t, err)
	file := make([]byte, info.DataEnd+footerSize)
	_, err = f.ReadAt(file, 0)
	require.NoError(t, err)
	require.NoError(t, f.Close())
	require.NoError(t, s.VerifyRemote(id, info, bytes.NewReader(file)))
	bad := bytes.Clone(file)
	bad[headerSize+frameHeaderSize+3] ^= 1
	require.ErrorIs(t, s.VerifyRemote(id, info, bytes.NewReader(bad)), ErrCorrupt)

	pinned, err := s.NewReader(exts, 0, int64(len(data)))
	require.NoError(t, err)
	require.NoError(t, s.ReleaseLocal(id, bytes.NewReader(file)))
	path := fs.PathJoin(testDir, segName(id))
	_, err = fs.Stat(path)
	require.NoError(t, err, "local file kept while a reader pins it")
	got := make([]byte, len(data))
	_, err = readFullReader(pinned, got)
	require.NoError(t, err)
	require.Equal(t, data, got)
	require.NoError(t, pinned.Close())
	_, err = fs.Stat(path)
	require.ErrorIs(t, err, iofs.ErrNotExist, "local file deleted after the last reader")
	require.True(t, s.Segments()[0].Remote)
	requireRanges(t, s, exts, data, bs)
	require.NoError(t, s.Close())

	// Reopen: no local file; attach the remote copy.
	s = openTest(t, fs, Options{BlockSize: bs})
	require.Empty(t, s.Segments())
	require.NoError(t, s.AttachRemote(id, info, bytes.NewReader(file)))
	require.Error(t, s.AttachRemote(id, info, bytes.NewReader(file)), "attached twice")
	requireRanges(t, s, exts, data, bs)
	exts2 := writeObject(t, s, data, 0)
	require.Greater(t, exts2[0].Seg, id, "id of a remote segment reused")
	require.NoError(t, s.Close())

	s = openTest(t, fs, Options{BlockSize: bs})
	require.NoError(t, s.AttachRemote(id, info, bytes.NewReader(bad)))
	r, err := s.NewReader(exts, 0, int64(len(data)))
	require.NoError(t, err)
	_, err = readFullReader(r, got)
	require.ErrorIs(t, err, ErrCorrupt, "a remote returning wrong bytes")
	require.NoError(t, r.Close())
	require.ErrorIs(t, s.Verify(id, nil), ErrCorrupt)
	require.NoError(t, s.Forget(id))
	_, err = s.NewReader(exts, 0, 1)
	require.ErrorIs(t, err, ErrNotFound)
}
