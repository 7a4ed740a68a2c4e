package adminapitest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
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
