package adminapitest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/stretchr/testify/require"
	"github.com/wormstore/wormstore/engine"
	"github.com/wormstore/wormstore/segment"
)

// DecodeAuditLines decodes b, one JSON engine.AuditEntry a line (the
// body of the admin audit export), failing t on a line that does not
// decode.
func DecodeAuditLines(t testing.TB, b []byte) []engine.AuditEntry {
	t.Helper()
	var out []engine.AuditEntry
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var e engine.AuditEntry
		require.NoError(t, json.Unmarshal(sc.Bytes(), &e), "line %s", sc.Bytes())
		out = append(out, e)
	}
	return out
}

// CorruptFirstSegment flips the byte at off in the first segment of eng,
// which must be sealed, and returns that segment; dir is the engine's
// Options.Dir on fs.
func CorruptFirstSegment(t testing.TB, eng *engine.Engine, fs vfs.FS, dir string, off int64) segment.Info {
	t.Helper()
	infos := eng.Segments()
	require.True(t, infos[0].Sealed)
	name := fs.PathJoin(dir, "segments", fmt.Sprintf("%016x.seg", infos[0].ID))
	f, err := fs.OpenReadWrite(name, vfs.WriteCategoryUnspecified)
	require.NoError(t, err, "segment file name")
	var one [1]byte
	_, err = f.ReadAt(one[:], off)
	require.NoError(t, err)
	one[0] ^= 0xff
	_, err = f.WriteAt(one[:], off)
	require.NoError(t, err)
	require.NoError(t, f.Close())
	return infos[0]
}

// PutRandom writes n seeded random bytes to bucket/key on eng. Random, so
// that segments hold about n bytes (blocks are compressed).
func PutRandom(t testing.TB, eng *engine.Engine, bucket, key string, n int, seed byte) {
	t.Helper()
	data := make([]byte, n)
	rand.NewChaCha8([32]byte{seed}).Read(data)
	_, err := eng.PutObject(context.Background(), bucket, key, bytes.NewReader(data), engine.PutOptions{Size: int64(n)})
	require.NoError(t, err)
}

// AppendAudit appends n audit entries (PutObject of b/k0…) to eng.
func AppendAudit(t testing.TB, eng *engine.Engine, n int) {
	t.Helper()
	for i := range n {
		_, err := eng.Audit(context.Background(), engine.AuditEntry{
			Operation: "PutObject", Bucket: "b", Key: fmt.Sprintf("k%d", i), Outcome: "ok", Principal: "root",
		})
		require.NoError(t, err)
	}
}

// AuditSeqs returns the sequence numbers of es.
func AuditSeqs(es []engine.AuditEntry) []uint64 {
	out := make([]uint64, len(es))
	for i, e := range es {
		out[i] = e.Seq
	}
	return out
}
