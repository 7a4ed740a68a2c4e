package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/stretchr/testify/require"
	"github.com/wormstore/wormstore/engine"
)

// TestServerRefusesCorruptWAL: a flipped bit in the newest WAL file stops
// `wormstore server` with one error naming the file, the offset and the
// recovery command; `wormstore recover` reports it, and only
// `--truncate-corrupt-wal` repairs it, preserving the original.
func TestServerRefusesCorruptWAL(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	e, err := engine.Open(ctx, engine.Options{FS: vfs.Default, Dir: dir})
	require.NoError(t, err)
	require.NoError(t, e.CreateBucket(ctx, "lk", engine.CreateBucketOptions{ObjectLock: true}))
	for i := range 20 {
		data := []byte(fmt.Sprintf("evidence %d", i))
		_, err := e.PutObject(ctx, "lk", fmt.Sprint("k", i), bytes.NewReader(data), engine.PutOptions{Size: int64(len(data)),
			Retention: &engine.Retention{Mode: engine.ModeCompliance, Until: time.Now().Add(time.Hour)}})
		require.NoError(t, err)
	}
	require.NoError(t, e.Close())

	wals, err := filepath.Glob(filepath.Join(dir, "wal", "*.wal"))
	require.NoError(t, err)
	sort.Strings(wals)
	newest := wals[len(wals)-1]
	b, err := os.ReadFile(newest)
	require.NoError(t, err)
	off := 28
	for range 10 {
		off += 20 + int(binary.LittleEndian.Uint32(b[off:]))
	}
	b[off+25] ^= 0x08
	require.NoError(t, os.WriteFile(newest, b, 0o644))

	var out, errOut bytes.Buffer
	err = run(ctx, []string{"server", "--dev", "--data", dir, "--address", "127.0.0.1:0", "--admin-address", "", "--console-address", ""}, &out, &errOut)
	require.ErrorIs(t, err, engine.ErrWALCorrupt)
	msg := err.Error()
	require.NotContains(t, msg, "\n", "one paragraph")
	require.Contains(t, msg, fmt.Sprintf("%s off %d", newest, off))
	require.Contains(t, msg, "wormstore recover --data "+dir+" --truncate-corrupt-wal")
	after, err := os.ReadFile(newest)
	require.NoError(t, err)
	require.Equal(t, b, after, "the server modified the corrupt log")

	out.Reset()
	err = run(ctx, []string{"recover", "--data", dir}, &out, &errOut)
	require.Error(t, err)
	require.Contains(t, out.String(), "CORRUPT: ")
	require.Contains(t, out.String(), "--truncate-corrupt-wal preserves the damaged files and drops LSN")

	out.Reset()
	require.NoError(t, run(ctx, []string{"recover", "--data", dir, "--truncate-corrupt-wal"}, &out, &errOut))
	require.Contains(t, out.String(), "write-ahead log: cut at LSN 11")
	require.Contains(t, out.String(), "original preserved as "+filepath.Join(dir, "wal", "quarantine", filepath.Base(newest)))
	kept, err := os.ReadFile(filepath.Join(dir, "wal", "quarantine", filepath.Base(newest)))
	require.NoError(t, err)
	require.Equal(t, b, kept)

	out.Reset()
	require.NoError(t, run(ctx, []string{"recover", "--data", dir}, &out, &errOut), out.String())
	e, err = engine.Open(ctx, engine.Options{FS: vfs.Default, Dir: dir})
	require.NoError(t, err)
	require.NoError(t, e.Close())
	require.True(t, strings.Contains(out.String(), "no damage"), out.String())
}
