package engine

import (
	"reflect"
	"testing"
	"time"

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
