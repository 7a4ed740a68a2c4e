package engine

import (
	"bytes"
	"context"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/stretchr/testify/require"

	"github.com/wormstore/wormstore/segment"
)

// TestCloneVersionCoversFields: cloneVersion deep-copies every field of a
// reference type in version (and PartInfo); a new map, slice or pointer
// field must be added to it (and here).
func TestCloneVersionCoversFields(t *testing.T) {
	handled := map[string]bool{"UserMeta": true, "Headers": true, "Checksums": true, "Tags": true, "Extents": true, "Parts": true}
	check := func(typ reflect.Type, handled map[string]bool) {
		for i := range typ.NumField() {
			f := typ.Field(i)
			switch f.Type.Kind() {
			case reflect.Map, reflect.Slice, reflect.Pointer, reflect.Interface, reflect.Chan, reflect.Func:
				require.True(t, handled[f.Name], "%s.%s (%s) is not deep-copied by cloneVersion", typ.Name(), f.Name, f.Type)
			case reflect.Struct:
				if f.Type != reflect.TypeOf(time.Time{}) && f.Type != reflect.TypeOf(LockState{}) && f.Type != reflect.TypeOf(Retention{}) {
					t.Errorf("%s.%s: struct field %s: check cloneVersion covers its references", typ.Name(), f.Name, f.Type)
				}
			}
		}
	}
	check(reflect.TypeOf(version{}), handled)
	check(reflect.TypeOf(PartInfo{}), map[string]bool{"Checksums": true})
	check(reflect.TypeOf(LockState{}), nil)
	check(reflect.TypeOf(Retention{}), nil)
}

// TestVersionCache: a hit decodes like decodeIndexValue, returns a copy
// that shares nothing with the cached value or other hits, and corrupt
// bytes fail as decodeIndexValue fails.
func TestVersionCache(t *testing.T) {
	v := &version{Seq: 7, Size: 3, ETag: "e", ModTime: 1, UserMeta: map[string]string{"a": "b"},
		Headers: map[string]string{}, Checksums: map[string]string{"CRC32": "x"},
		Extents: []segment.Extent{{Seg: 1, Off: 32, Len: 20, RawLen: 3}},
		Parts:   []PartInfo{{Number: 1, Size: 3, ETag: "p", Checksums: map[string]string{"CRC32": "y"}}},
		Lock:    LockState{Retention: Retention{Mode: ModeCompliance, Until: time.Unix(100, 0).UTC()}, LegalHold: true, LegalHoldSet: true}}
	raw, err := encodeIndexValue(v)
	require.NoError(t, err)
	var want version
	require.NoError(t, decodeIndexValue([]byte("k"), raw, &want))
	var c versionCache
	a, err := c.decode([]byte("k"), raw)
	require.NoError(t, err)
	require.Equal(t, &want, a)
	a.UserMeta["a"] = "changed"
	a.Parts[0].Checksums["CRC32"] = "changed"
	a.Extents[0].Len = 99
	b, err := c.decode([]byte("k"), raw)
	require.NoError(t, err)
	require.Equal(t, &want, b, "a hit is unaffected by changes to an earlier copy")

	_, err = c.decode([]byte("k"), []byte(`{"s":1,"zz":2,"t":0,"lk":{"r":{}}}`))
	require.ErrorIs(t, err, ErrCorrupt)
	var w version
	require.ErrorIs(t, decodeIndexValue([]byte("k"), []byte(`{"s":1,"zz":2,"t":0,"lk":{"r":{}}}`), &w), ErrCorrupt)
}

// TestCanonicalVersionIsDecoding: what remember stores for a version is
// exactly what decoding its encoding yields, for random versions with the
// edge cases the wire normalises (empty maps and slices, times in other
// locations or with a monotonic reading); a version JSON would alter
// (invalid UTF-8) is not remembered.
func TestCanonicalVersionIsDecoding(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	str := func() string {
		const alphabet = "ab/é\"<>&\u2028\x00z"
		n := rng.IntN(6)
		r := []rune(alphabet)
		var b []rune
		for range n {
			b = append(b, r[rng.IntN(len(r))])
		}
		return string(b)
	}
	strMap := func() map[string]string {
		switch rng.IntN(3) {
		case 0:
			return nil
		case 1:
			return map[string]string{}
		}
		m := map[string]string{}
		for range 1 + rng.IntN(3) {
			m[str()] = str()
		}
		return m
	}
	zones := []*time.Location{time.UTC, time.Local, time.FixedZone("x", 5*3600+1800), time.FixedZone("", -7*3600)}
	tm := func() time.Time {
		switch rng.IntN(4) {
		case 0:
			return time.Time{}
		case 1:
			return time.Now() // monotonic reading
		}
		return time.Unix(rng.Int64N(4e9), rng.Int64N(1e9)).In(zones[rng.IntN(len(zones))])
	}
	for i := range 2000 {
		v := &version{Seq: rng.Uint64(), Null: rng.IntN(2) == 0, DeleteMarker: rng.IntN(5) == 0, Size: rng.Int64(),
			ETag: str(), ModTime: rng.Int64(), ContentType: str(), UserMeta: strMap(), Headers: strMap(),
			Checksums: strMap(), ChecksumType: str(), Tags: strMap(),
			Lock: LockState{Retention: Retention{Mode: []Mode{ModeNone, ModeGovernance, ModeCompliance}[rng.IntN(3)], Until: tm()},
				LegalHold: rng.IntN(2) == 0, LegalHoldSet: rng.IntN(2) == 0}}
		switch rng.IntN(3) {
		case 1:
			v.Extents = []segment.Extent{}
		case 2:
			v.Extents = []segment.Extent{{Seg: rng.Uint64(), Off: rng.Int64(), Len: rng.Int64(), RawLen: rng.Int64()}}
		}
		switch rng.IntN(3) {
		case 1:
			v.Parts = []PartInfo{}
		case 2:
			v.Parts = []PartInfo{{Number: rng.IntN(10000), Size: rng.Int64(), ETag: str(), ModTime: tm(), Checksums: strMap()}}
		}
		raw, err := encodeIndexValue(v)
		require.NoError(t, err)
		var want version
		require.NoError(t, decodeIndexValue([]byte("k"), raw, &want))
		got, ok := canonicalVersion(v)
		require.True(t, ok, "case %d", i)
		require.Equal(t, &want, got, "case %d: %s", i, raw)
		require.True(t, reflect.DeepEqual(&want, got), "case %d: not deeply equal: %s", i, raw)

		var c versionCache
		c.remember(raw, v)
		hit, err := c.decode([]byte("k"), raw)
		require.NoError(t, err)
		require.True(t, reflect.DeepEqual(&want, hit), "case %d", i)
	}

	bad := &version{Seq: 1, ETag: "\xff", ModTime: 1}
	_, ok := canonicalVersion(bad)
	require.False(t, ok, "invalid UTF-8 must not be remembered")
	raw, err := encodeIndexValue(bad)
	require.NoError(t, err)
	var c versionCache
	c.remember(raw, bad)
	require.Empty(t, c.m, "a version JSON alters is not remembered")
}

// TestApplyRemembersWrittenVersion: after a retention change the version
// read back comes from the cache (the apply remembered the bytes it wrote)
// and equals a fresh decoding.
func TestApplyRemembersWrittenVersion(t *testing.T) {
	clock := newFakeClock()
	e := openTest(t, testOptions(vfs.NewMem(), clock))
	ctx := context.Background()
	require.NoError(t, e.CreateBucket(ctx, "b", CreateBucketOptions{ObjectLock: true}))
	info, err := e.PutObject(ctx, "b", "k", strings.NewReader("data"), PutOptions{Size: 4})
	require.NoError(t, err)
	until := clock.Now().Add(time.Hour)
	_, _, err = e.PutObjectRetention(ctx, "b", "k", info.VersionID, Retention{Mode: ModeGovernance, Until: until}, false)
	require.NoError(t, err)

	seq, err := parseVersionID(info.VersionID)
	require.NoError(t, err)
	k := versionKey("b", "k", seq)
	raw, c, err := e.db.Get(k)
	require.NoError(t, err)
	raw = bytes.Clone(raw)
	require.NoError(t, c.Close())
	e.vcache.mu.Lock()
	cached := e.vcache.m[string(raw)]
	e.vcache.mu.Unlock()
	require.NotNil(t, cached, "the apply did not remember the version it wrote")
	var want version
	require.NoError(t, decodeIndexValue(k, raw, &want))
	require.True(t, reflect.DeepEqual(&want, cached))
	require.True(t, want.Lock.Retention.Until.Equal(until))
}
