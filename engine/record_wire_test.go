package engine

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/stretchr/testify/require"
	"github.com/wormstore/wormstore/segment"
)

var rewrite = flag.Bool("rewrite", false, "regenerate engine/testdata/records and engine/testdata/index (review the diff: the on-disk format must not change)")

const (
	goldenRecordDir = "testdata/records/v1"
	goldenIndexDir  = "testdata/index/v1"
)

// Fixed instants of the golden cases (UTC, as the engine stores them).
var (
	gT0    = time.Date(2026, 3, 1, 9, 30, 0, 123456789, time.UTC)
	gUntil = time.Date(2031, 3, 1, 0, 0, 0, 0, time.UTC)
	gLater = time.Date(2036, 3, 1, 0, 0, 0, 0, time.UTC)
)

func gBool(b bool) *bool { return &b }

// goldenRecords are the records stored in testdata/records/v1, one file per
// case: every record type, and the lock states that must never change
// meaning (COMPLIANCE and GOVERNANCE retention, retention removed, legal hold
// ON and OFF, bypass, relocation of version and part extents, multipart).
// The values are written out literally so that they do not depend on the
// encoder under test.
func goldenRecords() []struct {
	name string
	rec  *record
} {
	ext := func(seg uint64, off, n int64) segment.Extent {
		return segment.Extent{Seg: seg, Off: off, Len: n + 17, RawLen: n * 2}
	}
	ts := gT0.UnixNano()
	return []struct {
		name string
		rec  *record
	}{
		{"01-bucket-create-lock", &record{Type: recBucketCreate, Time: ts, AuditSeq: 7, Bucket: "photos",
			BucketInfo: &BucketInfo{Name: "photos", Created: gT0, Versioning: VersioningEnabled, ObjectLock: true,
				DefaultRetention: &DefaultRetention{Mode: ModeCompliance, Days: 30}}}},
		{"02-bucket-create-plain", &record{Type: recBucketCreate, Time: ts, Bucket: "logs",
			BucketInfo: &BucketInfo{Name: "logs", Created: gT0}}},
		{"03-bucket-delete", &record{Type: recBucketDelete, Time: ts, AuditSeq: 9, Bucket: "logs"}},
		{"04-bucket-versioning", &record{Type: recBucketVersioning, Time: ts, Bucket: "logs", Versioning: VersioningSuspended}},
		{"05-bucket-lock-config-governance", &record{Type: recBucketLockConfig, Time: ts, Bucket: "photos",
			Default: &DefaultRetention{Mode: ModeGovernance, Years: 2}}},
		{"06-bucket-lock-config-no-default", &record{Type: recBucketLockConfig, Time: ts, Bucket: "photos"}},
		{"07-bucket-policy", &record{Type: recBucketPolicy, Time: ts, Bucket: "photos",
			Policy: `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::photos/<a&b>"}]}`}},
		{"08-bucket-policy-delete", &record{Type: recBucketPolicy, Time: ts, Bucket: "photos"}},
		{"09-put-compliance-hold", &record{Type: recPut, Time: ts, AuditSeq: 11, Bucket: "photos", Key: "2026/03/a b+é.jpg",
			Version: &version{Seq: 42, Size: 123456, ETag: "0123456789abcdef0123456789abcdef", ModTime: ts,
				ContentType: "image/jpeg", UserMeta: map[string]string{"camera": "x100", "a": "1"},
				Headers:   map[string]string{"Cache-Control": "no-cache", "Content-Disposition": "inline"},
				Checksums: map[string]string{"CRC32": "AAAAAA==", "SHA256": "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="}, ChecksumType: "FULL_OBJECT",
				Extents: []segment.Extent{ext(3, 0, 65536), ext(3, 65553, 57920)},
				Lock:    LockState{Retention: Retention{Mode: ModeCompliance, Until: gUntil}, LegalHold: true, LegalHoldSet: true}}}},
		{"10-put-null-governance-replaces", &record{Type: recPut, Time: ts, Bucket: "logs", Key: "k",
			Version: &version{Seq: 43, Null: true, Size: 5, ETag: "5d41402abc4b2a76b9719d911017c592", ModTime: ts,
				Extents: []segment.Extent{ext(4, 128, 5)},
				Lock:    LockState{Retention: Retention{Mode: ModeGovernance, Until: gUntil}}},
			Replaces: []uint64{40}}},
		{"11-put-empty-object", &record{Type: recPut, Time: ts, Bucket: "logs", Key: "empty",
			Version: &version{Seq: 44, ETag: "d41d8cd98f00b204e9800998ecf8427e", ModTime: ts}}},
		{"12-put-delete-marker-bypass", &record{Type: recPut, Time: ts, Bucket: "logs", Key: "k",
			Version: &version{Seq: 45, Null: true, DeleteMarker: true, ModTime: ts}, Replaces: []uint64{43}, Bypass: true}},
		{"13-remove-bypass", &record{Type: recRemove, Time: ts, Bucket: "photos", Key: "k", Seq: 41, Bypass: true}},
		{"14-remove", &record{Type: recRemove, Time: ts, Bucket: "photos", Key: "k", Seq: 39}},
		{"15-retention-governance-to-compliance", &record{Type: recRetention, Time: ts, Bucket: "photos", Key: "k", Seq: 42,
			Retention: &Retention{Mode: ModeCompliance, Until: gLater}, Bypass: true,
			Prev: &LockState{Retention: Retention{Mode: ModeGovernance, Until: gUntil}, LegalHold: true, LegalHoldSet: true}}},
		{"16-retention-removed-bypass", &record{Type: recRetention, Time: ts, Bucket: "photos", Key: "k", Seq: 43,
			Retention: &Retention{}, Bypass: true,
			Prev: &LockState{Retention: Retention{Mode: ModeGovernance, Until: gUntil}}}},
		{"17-retention-first", &record{Type: recRetention, Time: ts, Bucket: "photos", Key: "k", Seq: 46,
			Retention: &Retention{Mode: ModeGovernance, Until: gUntil}, Prev: &LockState{}}},
		{"18-legal-hold-on", &record{Type: recLegalHold, Time: ts, Bucket: "photos", Key: "k", Seq: 42, LegalHold: gBool(true),
			Prev: &LockState{Retention: Retention{Mode: ModeCompliance, Until: gUntil}}}},
		{"19-legal-hold-off", &record{Type: recLegalHold, Time: ts, Bucket: "photos", Key: "k", Seq: 42, LegalHold: gBool(false),
			Prev: &LockState{Retention: Retention{Mode: ModeCompliance, Until: gUntil}, LegalHold: true, LegalHoldSet: true}}},
		{"20-upload-create", &record{Type: recUploadCreate, Time: ts, Bucket: "photos", Key: "big.bin",
			Upload: &upload{Seq: 50, Key: "big.bin", Initiated: ts, Opts: PutOptions{ContentType: "application/octet-stream",
				UserMeta: map[string]string{"owner": "ops"}, Headers: map[string]string{"Content-Encoding": "gzip"},
				Retention: &Retention{Mode: ModeCompliance, Until: gUntil}, LegalHold: true,
				ChecksumAlgorithm: "SHA256", ChecksumType: "COMPOSITE"}}}},
		{"21-upload-create-plain", &record{Type: recUploadCreate, Time: ts, Bucket: "logs", Key: "m",
			Upload: &upload{Seq: 51, Key: "m", Initiated: ts}}},
		{"22-upload-part", &record{Type: recUploadPart, Time: ts, Bucket: "photos", Key: "big.bin", UpSeq: 50,
			Part: &part{PartInfo: PartInfo{Number: 2, Size: 5 << 20, ETag: "7ac66c0f148de9519b8bd264312c4d64", ModTime: gT0,
				Checksums: map[string]string{"SHA256": "n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg="}},
				Extents: []segment.Extent{ext(5, 0, 1<<20), ext(5, 1048593, 1<<20)}}}},
		{"23-upload-complete", &record{Type: recUploadComplete, Time: ts, AuditSeq: 12, Bucket: "photos", Key: "big.bin", UpSeq: 50,
			Version: &version{Seq: 53, Size: 10 << 20, ETag: "3858f62230ac3c915f300c664312c63f-2", ModTime: ts,
				ContentType: "application/octet-stream", UserMeta: map[string]string{"owner": "ops"},
				ChecksumType: "COMPOSITE", Checksums: map[string]string{"SHA256": "bW9jaw==-2"},
				Extents: []segment.Extent{ext(5, 0, 1<<20), ext(6, 0, 1<<20)},
				Parts: []PartInfo{
					{Number: 1, Size: 5 << 20, ETag: "aa", ModTime: gT0},
					{Number: 2, Size: 5 << 20, ETag: "bb", ModTime: gT0, Checksums: map[string]string{"SHA256": "cc"}},
				},
				Lock: LockState{Retention: Retention{Mode: ModeCompliance, Until: gUntil}, LegalHold: true, LegalHoldSet: true}},
			Replaces: []uint64{47}, Discard: []int{3, 4}}},
		{"24-upload-abort", &record{Type: recUploadAbort, Time: ts, Bucket: "logs", Key: "m", UpSeq: 51}},
		{"25-relocate", &record{Type: recRelocate, Time: ts, Moves: []move{
			{Bucket: "photos", Key: "2026/03/a b+é.jpg", Seq: 42, Old: ext(3, 0, 65536), New: []segment.Extent{ext(9, 0, 32768), ext(9, 32785, 32768)}},
			{Bucket: "photos", Key: "big.bin", Seq: 50, Part: 2, Old: ext(5, 0, 1<<20), New: []segment.Extent{ext(10, 0, 1<<20)}},
			{Bucket: "logs", Key: "k", Seq: 43, Old: ext(4, 128, 5), New: []segment.Extent{}},
		}}},
		{"26-audit-anchor", &record{Type: recAuditAnchor, Time: ts, AuditSeq: 1234}},
		{"27-audit-anchor-hash", &record{Type: recAuditAnchor, Time: ts, AuditSeq: 1235,
			AuditHash: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}},
		{"28-bucket-config-lifecycle", &record{Type: recBucketConfig, Time: ts, AuditSeq: 40, Bucket: "photos",
			Config: ConfigLifecycle, ConfigDoc: `{"rules":[{"id":"old","noncurrentDays":30}]}`}},
		{"29-bucket-config-delete", &record{Type: recBucketConfig, Time: ts, Bucket: "photos", Config: ConfigCORS}},
		{"30-object-tags", &record{Type: recObjectTags, Time: ts, AuditSeq: 41, Bucket: "photos", Key: "k", Seq: 42,
			Tags: map[string]string{"project": "apollo", "class": "secret é"}}},
		{"31-object-tags-delete", &record{Type: recObjectTags, Time: ts, Bucket: "photos", Key: "k", Seq: 42}},
		{"32-put-tagged", &record{Type: recPut, Time: ts, Bucket: "photos", Key: "t",
			Version: &version{Seq: 60, Size: 3, ETag: "e", ModTime: ts, Tags: map[string]string{"a": "1"},
				Extents: []segment.Extent{ext(7, 0, 3)}}}},
		{"33-upload-create-tagged", &record{Type: recUploadCreate, Time: ts, Bucket: "photos", Key: "m2",
			Upload: &upload{Seq: 61, Key: "m2", Initiated: ts, Opts: PutOptions{Tags: map[string]string{"b": "2"}}}}},
		{"34-retention-audited", &record{Type: recRetention, Time: ts, AuditSeq: 1300,
			AuditHash: "5a1c0d5e3c9c1b5e0f7f1e2d3c4b5a69788796a5b4c3d2e1f0011223344556677", AuditDurable: 1290,
			Bucket: "photos", Key: "k", Seq: 42, Retention: &Retention{Mode: ModeCompliance, Until: gLater},
			Prev: &LockState{Retention: Retention{Mode: ModeCompliance, Until: gUntil}},
			Audit: &AuditEntry{Seq: 1300, Time: gT0, RequestID: "17F2A9C3B4D5E6F7", Principal: "AKIAVEEAM (veeam)", Source: "192.0.2.10",
				Operation: "PutObjectRetention", Bucket: "photos", Key: "k", VersionID: "000000000000002a", Outcome: AuditOK,
				Detail: "retention", OldLock: &LockState{Retention: Retention{Mode: ModeCompliance, Until: gUntil}},
				NewLock: &LockState{Retention: Retention{Mode: ModeCompliance, Until: gLater}, LegalHold: true, LegalHoldSet: true},
				Prev:    "0f1e2d3c4b5a69788796a5b4c3d2e1f00112233445566778899aabbccddeeff0",
				Hash:    "5a1c0d5e3c9c1b5e0f7f1e2d3c4b5a69788796a5b4c3d2e1f0011223344556677"}}},
		{"35-audit-anchor-denied-entry", &record{Type: recAuditAnchor, Time: ts, AuditSeq: 1301,
			AuditHash: "aa1c0d5e3c9c1b5e0f7f1e2d3c4b5a69788796a5b4c3d2e1f0011223344556677", AuditDurable: 1300,
			Audit: &AuditEntry{Seq: 1301, Time: gT0, Source: "198.51.100.7", Operation: "AnonymousDenialsSummarized",
				Bucket: "photos", Key: "a b+é", Outcome: AuditDenied, Status: 403, Bypass: true, Count: 12,
				Detail: "12 refused unauthenticated requests",
				Prev:   "5a1c0d5e3c9c1b5e0f7f1e2d3c4b5a69788796a5b4c3d2e1f0011223344556677",
				Hash:   "aa1c0d5e3c9c1b5e0f7f1e2d3c4b5a69788796a5b4c3d2e1f0011223344556677"}}},
		{"40-segment-tiered", &record{Type: recSegmentTiered, Time: ts, AuditSeq: 1240, Tier: gTier()}},
		{"41-tier-lock", &record{Type: recTierLock, Time: ts, Tier: func() *tierInfo {
			t := gTier()
			t.Until, t.Hold = gLater, true
			return t
		}()}},
		{"42-tier-removed", &record{Type: recTierRemoved, Time: ts, Tier: gTier()}},
	}
}

// gTier is the tiered segment of the golden tier records.
func gTier() *tierInfo {
	return &tierInfo{Seg: 0x2a, Key: "wormstore/segments/000000000000002a.seg", VersionID: "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY+MTRCxf3vjVBH40Nrjfkd",
		Size: 268435496, DataEnd: 268435456, Blocks: 256, RawBytes: 300 << 20, BlockSize: 1 << 20,
		CRC64NVME: "AAAAAAAAAAA=", Until: gUntil}
}

// goldenIndexValues are the index values stored in testdata/index/v1. The
// index is derived state, but a silent change of its encoding would read old
// values with a lost lock state until a rebuild, so it is pinned too.
func goldenIndexValues() []struct {
	name string
	val  any
} {
	recs := map[string]*record{}
	for _, c := range goldenRecords() {
		recs[c.name] = c.rec
	}
	return []struct {
		name string
		val  any
	}{
		{"bucket-lock", recs["01-bucket-create-lock"].BucketInfo},
		{"bucket-plain", recs["02-bucket-create-plain"].BucketInfo},
		{"bucket-policy", &BucketInfo{Name: "photos", Created: gT0, Versioning: VersioningEnabled, ObjectLock: true,
			DefaultRetention: &DefaultRetention{Mode: ModeGovernance, Years: 2}, Policy: recs["07-bucket-policy"].Policy}},
		{"version-compliance-hold", recs["09-put-compliance-hold"].Version},
		{"version-null-governance", recs["10-put-null-governance-replaces"].Version},
		{"version-empty", recs["11-put-empty-object"].Version},
		{"version-delete-marker", recs["12-put-delete-marker-bypass"].Version},
		{"version-multipart", recs["23-upload-complete"].Version},
		{"version-retention-removed", &version{Seq: 43, Size: 5, ETag: "e", ModTime: gT0.UnixNano(),
			Lock: LockState{LegalHoldSet: true}}},
		{"upload", recs["20-upload-create"].Upload},
		{"upload-plain", recs["21-upload-create-plain"].Upload},
		{"part", recs["22-upload-part"].Part},
		{"bucket-configs", &BucketInfo{Name: "photos", Created: gT0, Versioning: VersioningEnabled,
			Configs: map[BucketConfig]string{ConfigLifecycle: recs["28-bucket-config-lifecycle"].ConfigDoc, ConfigTagging: `{"env":"prod"}`}}},
		{"version-tagged", recs["32-put-tagged"].Version},
		{"upload-tagged", recs["33-upload-create-tagged"].Upload},
		{"tier-segment", recs["41-tier-lock"].Tier},
	}
}

func readGolden(t *testing.T, path string) []byte {
	t.Helper()
	f, err := vfs.Default.Open(path)
	require.NoError(t, err)
	defer f.Close()
	b, err := io.ReadAll(f)
	require.NoError(t, err)
	return b
}

func writeGoldenFile(t *testing.T, path string, data []byte) {
	t.Helper()
	f, err := vfs.Default.Create(path, vfs.WriteCategoryUnspecified)
	require.NoError(t, err)
	_, err = f.Write(data)
	require.NoError(t, err)
	require.NoError(t, f.Close())
}

// TestRecordFormatV1Golden decodes every committed v1 WAL record, compares it
// field by field with the value it was written from, and re-encodes it byte
// for byte. A renamed, retagged, reordered or dropped wire field fails here.
// Run with -rewrite only when adding a case; existing files must not change.
func TestRecordFormatV1Golden(t *testing.T) {
	cases := goldenRecords()
	if *rewrite {
		require.NoError(t, vfs.Default.MkdirAll(goldenRecordDir, 0o755))
		for _, c := range cases {
			p, err := encodeRecord(c.rec)
			require.NoError(t, err)
			writeGoldenFile(t, goldenRecordDir+"/"+c.name+".rec", p)
		}
		t.Skipf("rewrote %d files in %s", len(cases), goldenRecordDir)
	}
	list, err := vfs.Default.List(goldenRecordDir)
	require.NoError(t, err)
	var files []string
	for _, n := range list {
		if strings.HasSuffix(n, ".rec") {
			files = append(files, strings.TrimSuffix(n, ".rec"))
		}
	}
	slices.Sort(files)
	var names []string
	seen := map[recType]bool{}
	for _, c := range cases {
		names = append(names, c.name)
		seen[c.rec.Type] = true
	}
	require.Equal(t, names, files, "every golden case has a committed file and vice versa")
	for typ := recBucketCreate; typ <= recAuditAnchor; typ++ {
		require.True(t, seen[typ], "no golden record of type %s", typ)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			golden := readGolden(t, goldenRecordDir+"/"+c.name+".rec")
			require.Equal(t, byte(1), golden[0], "format byte")
			got, err := decodeRecord(golden)
			require.NoError(t, err)
			if diffs := diffFields("record", reflect.ValueOf(got).Elem(), reflect.ValueOf(c.rec).Elem()); len(diffs) > 0 {
				t.Fatalf("decoded record differs from its expected value:\n%s", strings.Join(diffs, "\n"))
			}
			enc, err := encodeRecord(c.rec)
			require.NoError(t, err)
			if !bytes.Equal(enc, golden) {
				t.Fatalf("encoding changed:\ngot  %s\nwant %s", enc, golden)
			}
			re, err := encodeRecord(got)
			require.NoError(t, err)
			require.Equal(t, string(golden), string(re), "decode then encode is not byte-exact")
		})
	}
}

// TestIndexValueFormatV1Golden pins the Pebble index value encodings the same
// way: decode, compare field by field, re-encode byte for byte.
func TestIndexValueFormatV1Golden(t *testing.T) {
	cases := goldenIndexValues()
	if *rewrite {
		require.NoError(t, vfs.Default.MkdirAll(goldenIndexDir, 0o755))
		for _, c := range cases {
			raw, err := encodeIndexValue(c.val)
			require.NoError(t, err)
			writeGoldenFile(t, goldenIndexDir+"/"+c.name+".json", raw)
		}
		t.Skipf("rewrote %d files in %s", len(cases), goldenIndexDir)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			golden := readGolden(t, goldenIndexDir+"/"+c.name+".json")
			got := reflect.New(reflect.TypeOf(c.val).Elem())
			require.NoError(t, decodeIndexValue([]byte(c.name), golden, got.Interface()))
			if diffs := diffFields(c.name, got.Elem(), reflect.ValueOf(c.val).Elem()); len(diffs) > 0 {
				t.Fatalf("decoded index value differs from its expected value:\n%s", strings.Join(diffs, "\n"))
			}
			enc, err := encodeIndexValue(c.val)
			require.NoError(t, err)
			if !bytes.Equal(enc, golden) {
				t.Fatalf("encoding changed:\ngot  %s\nwant %s", enc, golden)
			}
		})
	}
}

// diffFields compares got and want field by field and returns one line per
// difference, named by its path (e.g. record.Version.Lock.Retention.Mode).
// Times compare by instant and location name; nil and empty slices and maps
// differ, because they encode differently.
func diffFields(path string, got, want reflect.Value) []string {
	if got.Type() == reflect.TypeOf(time.Time{}) {
		g, w := got.Interface().(time.Time), want.Interface().(time.Time)
		if !g.Equal(w) || g.Location().String() != w.Location().String() {
			return []string{fmt.Sprintf("%s: got %v, want %v", path, g, w)}
		}
		return nil
	}
	switch got.Kind() {
	case reflect.Pointer:
		if got.IsNil() != want.IsNil() {
			return []string{fmt.Sprintf("%s: got nil=%v, want nil=%v", path, got.IsNil(), want.IsNil())}
		}
		if got.IsNil() {
			return nil
		}
		return diffFields(path, got.Elem(), want.Elem())
	case reflect.Struct:
		var out []string
		for i := range got.NumField() {
			f := got.Type().Field(i)
			if f.Type.Kind() == reflect.Func {
				continue
			}
			out = append(out, diffFields(path+"."+f.Name, got.Field(i), want.Field(i))...)
		}
		return out
	case reflect.Slice:
		if got.IsNil() != want.IsNil() || got.Len() != want.Len() {
			return []string{fmt.Sprintf("%s: got %#v, want %#v", path, got.Interface(), want.Interface())}
		}
		var out []string
		for i := range got.Len() {
			out = append(out, diffFields(fmt.Sprintf("%s[%d]", path, i), got.Index(i), want.Index(i))...)
		}
		return out
	case reflect.Map:
		if got.IsNil() != want.IsNil() || !reflect.DeepEqual(got.Interface(), want.Interface()) {
			return []string{fmt.Sprintf("%s: got %#v, want %#v", path, got.Interface(), want.Interface())}
		}
		return nil
	default:
		if !reflect.DeepEqual(got.Interface(), want.Interface()) {
			return []string{fmt.Sprintf("%s: got %#v, want %#v", path, got.Interface(), want.Interface())}
		}
		return nil
	}
}

// notStored are the fields of in-memory types that are deliberately not on
// disk: PutOptions' per-request fields.
var notStored = map[reflect.Type]map[string]bool{
	reflect.TypeOf(PutOptions{}): {"Size": true, "IfNoneMatch": true, "IfMatch": true},
}

// fillAll sets every field reachable from v to a distinct non-zero value.
func fillAll(v reflect.Value, n *int) {
	*n++
	if v.Type() == reflect.TypeOf(time.Time{}) {
		v.Set(reflect.ValueOf(gT0.Add(time.Duration(*n) * time.Second)))
		return
	}
	switch v.Kind() {
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(*n))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(*n))
	case reflect.String:
		v.SetString(fmt.Sprintf("s%d", *n))
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fillAll(v.Elem(), n)
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		for i := range 2 {
			fillAll(v.Index(i), n)
		}
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fillAll(k, n)
		fillAll(e, n)
		m.SetMapIndex(k, e)
		v.Set(m)
	case reflect.Struct:
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if f.Type.Kind() == reflect.Func || notStored[v.Type()][f.Name] {
				continue
			}
			fillAll(v.Field(i), n)
		}
	case reflect.Func:
	default:
		panic(fmt.Sprintf("fillAll: unhandled kind %s", v.Kind()))
	}
}

// TestRecordWireCoversEveryField fills every field of the in-memory record
// and index types and checks each survives encode and decode: a field added
// to record (or version, LockState, ...) without a wire field fails here
// instead of being silently dropped from the log.
func TestRecordWireCoversEveryField(t *testing.T) {
	n := 0
	var rec record
	fillAll(reflect.ValueOf(&rec).Elem(), &n)
	p, err := encodeRecord(&rec)
	require.NoError(t, err)
	got, err := decodeRecord(p)
	require.NoError(t, err)
	if diffs := diffFields("record", reflect.ValueOf(got).Elem(), reflect.ValueOf(&rec).Elem()); len(diffs) > 0 {
		t.Fatalf("fields lost between record and wire:\n%s", strings.Join(diffs, "\n"))
	}
	for _, v := range []any{&version{}, &BucketInfo{}, &upload{}, &part{}, &tierInfo{}} {
		fillAll(reflect.ValueOf(v).Elem(), &n)
		raw, err := encodeIndexValue(v)
		require.NoError(t, err)
		out := reflect.New(reflect.TypeOf(v).Elem())
		require.NoError(t, decodeIndexValue([]byte("k"), raw, out.Interface()))
		if diffs := diffFields(fmt.Sprintf("%T", v), out.Elem(), reflect.ValueOf(v).Elem()); len(diffs) > 0 {
			t.Fatalf("fields lost between %T and wire:\n%s", v, strings.Join(diffs, "\n"))
		}
	}
}

// TestDecodeRecordStrict checks that a format-1 payload the encoder could
// not have written is refused, not half-read: an unknown (for example
// renamed) field could be lock state.
func TestDecodeRecordStrict(t *testing.T) {
	golden := readGolden(t, goldenRecordDir+"/15-retention-governance-to-compliance.rec")
	tests := []struct {
		name    string
		payload []byte
		wantErr error
	}{
		{"empty", nil, ErrCorrupt},
		{"format 0", append([]byte{0}, golden[1:]...), ErrCorrupt},
		{"format from the future", append([]byte{2}, golden[1:]...), ErrFormatTooNew},
		{"renamed lock field", bytes.Replace(golden, []byte(`"hs":`), []byte(`"held":`), 1), ErrCorrupt},
		{"unknown top-level field", bytes.Replace(golden, []byte(`{"t":7,`), []byte(`{"t":7,"lock":1,`), 1), ErrCorrupt},
		{"trailing data", append(bytes.Clone(golden), []byte(`{}`)...), ErrCorrupt},
		{"wrong type", bytes.Replace(golden, []byte(`"by":true`), []byte(`"by":"yes"`), 1), ErrCorrupt},
		{"truncated", golden[:len(golden)-1], ErrCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodeRecord(tt.payload)
			require.ErrorIs(t, err, tt.wantErr)
		})
	}
	_, err := decodeRecord(golden)
	require.NoError(t, err)
	require.ErrorIs(t, decodeIndexValue([]byte("k"), []byte(`{"s":1,"t":2,"lk":{"r":{"u":"0001-01-01T00:00:00Z"}},"lock":{}}`), &version{}), ErrCorrupt)
}

// TestPutRefusesInvalidUTF8 checks that a key or value encoding/json would
// rewrite (invalid UTF-8 becomes U+FFFD) is refused before it reaches the
// WAL; before, the version silently moved to another key after a rebuild.
func TestPutRefusesInvalidUTF8(t *testing.T) {
	e := openTest(t, testOptions(vfs.NewMem(), newFakeClock()))
	ctx := context.Background()
	require.NoError(t, e.CreateBucket(ctx, "b", CreateBucketOptions{}))
	_, err := e.PutObject(ctx, "b", "a\xffb", strings.NewReader("x"), PutOptions{Size: 1})
	require.ErrorIs(t, err, ErrInvalidArgument)
	_, err = e.PutObject(ctx, "b", "k", strings.NewReader("x"), PutOptions{Size: 1, UserMeta: map[string]string{"m": "\xc3"}})
	require.ErrorIs(t, err, ErrInvalidArgument)
	_, err = e.StatObject(ctx, "b", "a\ufffdb", "")
	require.ErrorIs(t, err, ErrNoSuchKey)
	_, err = e.PutObject(ctx, "b", "2026/é", strings.NewReader("x"), PutOptions{Size: 1})
	require.NoError(t, err)
}
