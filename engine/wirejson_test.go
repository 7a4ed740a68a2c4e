package engine

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// wireFiller sets every field of a wire struct at random, zero values
// included often enough to exercise omitempty, nil versus empty slices and
// maps, escaped and invalid UTF-8 strings, and times in other zones.
type wireFiller struct{ rng *rand.Rand }

var wireTimeType = reflect.TypeOf(time.Time{})

func (f wireFiller) str() string {
	pieces := []string{"a", "Z", "/", "é", "\"", "\\", "<", ">", "&", "\u2028", "\u2029", "\x00", "\x1f", "\b", "\f",
		"\n", "\r", "\t", "\x7f", "\xff", "\xe2\x80", "😀", " ", "%", "'"}
	n := f.rng.IntN(8)
	s := ""
	for range n {
		s += pieces[f.rng.IntN(len(pieces))]
	}
	return s
}

func (f wireFiller) time() time.Time {
	zones := []*time.Location{time.UTC, time.Local, time.FixedZone("p", 5*3600+1800), time.FixedZone("", -(23*3600 + 59*60))}
	switch f.rng.IntN(6) {
	case 0:
		return time.Time{}
	case 1:
		return time.Now()
	}
	return time.Unix(f.rng.Int64N(253402300799), f.rng.Int64N(1e9)).In(zones[f.rng.IntN(len(zones))])
}

func (f wireFiller) fill(v reflect.Value) {
	if v.Type() == wireTimeType {
		v.Set(reflect.ValueOf(f.time()))
		return
	}
	zero := f.rng.IntN(4) == 0
	switch v.Kind() {
	case reflect.String:
		if !zero {
			v.SetString(f.str())
		}
	case reflect.Bool:
		v.SetBool(!zero && f.rng.IntN(2) == 0)
	case reflect.Int, reflect.Int64:
		if !zero {
			v.SetInt(f.rng.Int64() >> f.rng.IntN(64) * int64(1-2*f.rng.IntN(2)))
		}
	case reflect.Uint8, reflect.Uint32, reflect.Uint64:
		if !zero {
			v.SetUint(f.rng.Uint64() >> (64 - v.Type().Bits() + f.rng.IntN(v.Type().Bits())))
		}
	case reflect.Pointer:
		if !zero {
			p := reflect.New(v.Type().Elem())
			f.fill(p.Elem())
			v.Set(p)
		}
	case reflect.Slice:
		switch {
		case zero:
		case f.rng.IntN(4) == 0:
			v.Set(reflect.MakeSlice(v.Type(), 0, 0))
		default:
			s := reflect.MakeSlice(v.Type(), 1+f.rng.IntN(3), 3)
			for i := range s.Len() {
				f.fill(s.Index(i))
			}
			v.Set(s)
		}
	case reflect.Map:
		switch {
		case zero:
		case f.rng.IntN(4) == 0:
			v.Set(reflect.MakeMap(v.Type()))
		default:
			m := reflect.MakeMap(v.Type())
			for range 1 + f.rng.IntN(4) {
				k, x := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
				f.fill(k)
				f.fill(x)
				m.SetMapIndex(k, x)
			}
			v.Set(m)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			f.fill(v.Field(i))
		}
	default:
		panic("wireFiller: no rule for " + v.Type().String())
	}
}

// TestWireJSONMatchesEncodingJSON: the hand-written encoder writes every
// wire struct exactly as encoding/json does (the WAL and index formats and
// the audit hash input are defined by encoding/json's output), for random
// values of every field, and fails where encoding/json fails.
func TestWireJSONMatchesEncodingJSON(t *testing.T) {
	f := wireFiller{rand.New(rand.NewPCG(7, 11))}
	cases := []struct {
		name string
		typ  reflect.Type
		enc  func(w *jsonWriter, v any)
	}{
		{"record", reflect.TypeOf(wireRecordV1{}), func(w *jsonWriter, v any) { w.record(v.(*wireRecordV1)) }},
		{"version", reflect.TypeOf(wireVersionV1{}), func(w *jsonWriter, v any) { w.version(v.(*wireVersionV1)) }},
		{"bucket", reflect.TypeOf(wireBucketV1{}), func(w *jsonWriter, v any) { w.bucket(v.(*wireBucketV1)) }},
		{"upload", reflect.TypeOf(wireUploadV1{}), func(w *jsonWriter, v any) { w.upload(v.(*wireUploadV1)) }},
		{"part", reflect.TypeOf(wirePartV1{}), func(w *jsonWriter, v any) { w.part(v.(*wirePartV1)) }},
		{"tier", reflect.TypeOf(wireTierV1{}), func(w *jsonWriter, v any) { w.tier(v.(*wireTierV1)) }},
		{"audit", reflect.TypeOf(wireAuditEntryV1{}), func(w *jsonWriter, v any) { w.audit(v.(*wireAuditEntryV1)) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for i := range 3000 {
				p := reflect.New(c.typ)
				f.fill(p.Elem())
				want, werr := json.Marshal(p.Interface())
				var w jsonWriter
				c.enc(&w, p.Interface())
				if werr != nil {
					require.Error(t, w.err, "case %d: encoding/json failed (%v), the writer did not", i, werr)
					continue
				}
				require.NoError(t, w.err, "case %d", i)
				require.Equal(t, string(want), string(w.b), "case %d", i)
				require.Equal(t, !reflect.ValueOf(p.Interface()).IsZero() && !validUTF8(p.Elem()), w.bad, "case %d: invalid UTF-8 flag", i)
			}
		})
	}

	// Times encoding/json refuses.
	for _, tm := range []time.Time{time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("", 24*3600)), time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("", -25*3600))} {
		_, werr := json.Marshal(tm)
		var w jsonWriter
		w.time(tm)
		require.Equal(t, werr != nil, w.err != nil, "%v", tm)
	}
}

// TestAuditEntryJSONMatchesEncodingJSON: the audit entry's hashed JSON,
// written from its wire form, is json.Marshal of AuditEntry (the stream's
// line format), so hashes of entries written by older binaries verify.
func TestAuditEntryJSONMatchesEncodingJSON(t *testing.T) {
	f := wireFiller{rand.New(rand.NewPCG(3, 5))}
	for i := range 3000 {
		var a AuditEntry
		f.fill(reflect.ValueOf(&a).Elem())
		want, werr := json.Marshal(a)
		var w jsonWriter
		w.audit(auditToWire(&a))
		if werr != nil {
			require.Error(t, w.err, "case %d", i)
			continue
		}
		require.Equal(t, string(want), string(w.b), "case %d", i)
	}
}

// BenchmarkWireJSON compares the hand-written encoder with encoding/json
// on a retention record carrying its audit entry and on a version's index
// value, in the same process.
func BenchmarkWireJSON(b *testing.B) {
	until := time.Date(2027, 1, 2, 3, 4, 5, 0, time.UTC)
	lock := &wireLockStateV1{Retention: wireRetentionV1{Mode: "GOVERNANCE", Until: until}}
	rec := &wireRecordV1{Type: uint8(recRetention), Time: until.UnixNano(), AuditSeq: 1234, AuditHash: "ab12",
		Bucket: "bench-bucket", Key: "prefix/object-000123", Seq: 99, Retention: &lock.Retention, Prev: lock,
		Audit: &wireAuditEntryV1{Seq: 1234, Time: until, RequestID: "17A0B1C2D3E4F5", Principal: "AKIDBENCH", Source: "127.0.0.1:53412",
			Operation: "PutObjectRetention", Bucket: "bench-bucket", Key: "prefix/object-000123", VersionID: "0000000000000063",
			Outcome: "ok", Status: 200, OldLock: lock, NewLock: lock, Prev: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}}
	ver := &wireVersionV1{Seq: 99, Size: 65536, ETag: "\"0cc175b9c0f1b6a831c399e269772661\"", ModTime: until.UnixNano(),
		ContentType: "application/octet-stream", UserMeta: map[string]string{"x-amz-meta-a": "b"},
		Extents: []wireExtentV1{{Seg: 3, Off: 1 << 20, Len: 65568, RawLen: 65536}}, Lock: *lock}
	for _, c := range []struct {
		name string
		v    any
		enc  func(w *jsonWriter)
	}{{"record", rec, func(w *jsonWriter) { w.record(rec) }}, {"version", ver, func(w *jsonWriter) { w.version(ver) }}} {
		b.Run(c.name+"/encoding-json", func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				if _, err := json.Marshal(c.v); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(c.name+"/writer", func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				w := jsonWriter{b: make([]byte, 0, 1024)}
				c.enc(&w)
			}
		})
	}
}
