package engine

import (
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// This file writes the format-1 wire structs as JSON by hand, byte for
// byte as encoding/json writes them (field order, omitempty, sorted map
// keys, HTML-safe string escaping, RFC 3339 times), without reflection:
// encoding a record, its version's index value and its audit entry was
// 7–9 % of server CPU on the retention workload. encoding/json remains the
// reference and the decoder: TestWireJSONMatchesEncodingJSON fills every
// field of every wire struct at random and compares the bytes.

// jsonWriter appends JSON to b. bad is set when a string was not valid
// UTF-8 (encoding/json replaces such bytes with U+FFFD; callers that must
// not store replaced bytes check it); err holds the first time that has no
// RFC 3339 form (year outside 0–9999), as encoding/json fails on it.
type jsonWriter struct {
	b   []byte
	bad bool
	err error
}

const hexDigits = "0123456789abcdef"

// htmlSafeASCII[c] reports whether encoding/json writes the ASCII byte c
// as is (its htmlSafeSet).
var htmlSafeASCII = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

func (w *jsonWriter) str(s string) {
	b := append(w.b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if htmlSafeASCII[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			w.bad = true
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	w.b = append(b, '"')
}

// key writes the member name (with its separator unless it is the first
// member of its object) and the colon.
func (w *jsonWriter) key(first *bool, name string) {
	if *first {
		*first = false
	} else {
		w.b = append(w.b, ',')
	}
	w.b = append(w.b, '"')
	w.b = append(w.b, name...)
	w.b = append(w.b, '"', ':')
}

func (w *jsonWriter) uint(v uint64) { w.b = strconv.AppendUint(w.b, v, 10) }
func (w *jsonWriter) int(v int64)   { w.b = strconv.AppendInt(w.b, v, 10) }
func (w *jsonWriter) bool(v bool)   { w.b = strconv.AppendBool(w.b, v) }

func (w *jsonWriter) time(t time.Time) {
	_, off := t.Zone()
	if y := t.Year(); y < 0 || y > 9999 || off <= -24*3600 || off >= 24*3600 {
		// What encoding/json refuses (or, if this guard is wider than
		// its checks, writes).
		b, err := t.MarshalJSON()
		if err != nil {
			if w.err == nil {
				w.err = err
			}
			b = []byte(`""`)
		}
		w.b = append(w.b, b...)
		return
	}
	w.b = append(w.b, '"')
	w.b = t.AppendFormat(w.b, time.RFC3339Nano)
	w.b = append(w.b, '"')
}

// strMap writes m with sorted keys (null when nil, as for a field without
// omitempty).
func (w *jsonWriter) strMap(m map[string]string) {
	if m == nil {
		w.b = append(w.b, "null"...)
		return
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	w.b = append(w.b, '{')
	for i, k := range keys {
		if i > 0 {
			w.b = append(w.b, ',')
		}
		w.str(k)
		w.b = append(w.b, ':')
		w.str(m[k])
	}
	w.b = append(w.b, '}')
}

// Optional members (omitempty).

func (w *jsonWriter) optStr(first *bool, name, v string) {
	if v != "" {
		w.key(first, name)
		w.str(v)
	}
}

func (w *jsonWriter) optUint(first *bool, name string, v uint64) {
	if v != 0 {
		w.key(first, name)
		w.uint(v)
	}
}

func (w *jsonWriter) optInt(first *bool, name string, v int64) {
	if v != 0 {
		w.key(first, name)
		w.int(v)
	}
}

func (w *jsonWriter) optBool(first *bool, name string, v bool) {
	if v {
		w.key(first, name)
		w.b = append(w.b, "true"...)
	}
}

func (w *jsonWriter) optMap(first *bool, name string, m map[string]string) {
	if len(m) > 0 {
		w.key(first, name)
		w.strMap(m)
	}
}

func (w *jsonWriter) extent(e wireExtentV1) {
	w.b = append(w.b, `{"Seg":`...)
	w.uint(e.Seg)
	w.b = append(w.b, `,"Off":`...)
	w.int(e.Off)
	w.b = append(w.b, `,"Len":`...)
	w.int(e.Len)
	w.b = append(w.b, `,"RawLen":`...)
	w.int(e.RawLen)
	w.b = append(w.b, '}')
}

// extents writes xs as an array (null when nil).
func (w *jsonWriter) extents(xs []wireExtentV1) {
	if xs == nil {
		w.b = append(w.b, "null"...)
		return
	}
	w.b = append(w.b, '[')
	for i, x := range xs {
		if i > 0 {
			w.b = append(w.b, ',')
		}
		w.extent(x)
	}
	w.b = append(w.b, ']')
}

func (w *jsonWriter) retention(r *wireRetentionV1) {
	first := true
	w.b = append(w.b, '{')
	w.optStr(&first, "m", r.Mode)
	w.key(&first, "u")
	w.time(r.Until)
	w.b = append(w.b, '}')
}

func (w *jsonWriter) lock(l *wireLockStateV1) {
	first := true
	w.b = append(w.b, '{')
	w.key(&first, "r")
	w.retention(&l.Retention)
	w.optBool(&first, "h", l.LegalHold)
	w.optBool(&first, "hs", l.LegalHoldSet)
	w.b = append(w.b, '}')
}

func (w *jsonWriter) defaultRetention(d *wireDefaultRetentionV1) {
	first := true
	w.b = append(w.b, '{')
	w.key(&first, "m")
	w.str(d.Mode)
	w.optInt(&first, "d", int64(d.Days))
	w.optInt(&first, "y", int64(d.Years))
	w.b = append(w.b, '}')
}

func (w *jsonWriter) bucket(v *wireBucketV1) {
	first := true
	w.b = append(w.b, '{')
	w.key(&first, "n")
	w.str(v.Name)
	w.key(&first, "c")
	w.time(v.Created)
	w.optStr(&first, "v", v.Versioning)
	w.optBool(&first, "l", v.ObjectLock)
	if v.DefaultRetention != nil {
		w.key(&first, "d")
		w.defaultRetention(v.DefaultRetention)
	}
	w.optStr(&first, "p", v.Policy)
	w.optMap(&first, "cf", v.Configs)
	w.b = append(w.b, '}')
}

func (w *jsonWriter) partInfo(p *wirePartInfoV1) {
	first := true
	w.b = append(w.b, '{')
	w.key(&first, "n")
	w.int(int64(p.Number))
	w.key(&first, "z")
	w.int(p.Size)
	w.key(&first, "e")
	w.str(p.ETag)
	w.key(&first, "t")
	w.time(p.ModTime)
	w.optMap(&first, "ck", p.Checksums)
	w.b = append(w.b, '}')
}

func (w *jsonWriter) version(v *wireVersionV1) {
	first := true
	w.b = append(w.b, '{')
	w.key(&first, "s")
	w.uint(v.Seq)
	w.optBool(&first, "nl", v.Null)
	w.optBool(&first, "dm", v.DeleteMarker)
	w.optInt(&first, "z", v.Size)
	w.optStr(&first, "e", v.ETag)
	w.key(&first, "t")
	w.int(v.ModTime)
	w.optStr(&first, "ct", v.ContentType)
	w.optMap(&first, "um", v.UserMeta)
	w.optMap(&first, "hd", v.Headers)
	w.optMap(&first, "ck", v.Checksums)
	w.optStr(&first, "cty", v.ChecksumType)
	if len(v.Extents) > 0 {
		w.key(&first, "x")
		w.extents(v.Extents)
	}
	if len(v.Parts) > 0 {
		w.key(&first, "p")
		w.b = append(w.b, '[')
		for i := range v.Parts {
			if i > 0 {
				w.b = append(w.b, ',')
			}
			w.partInfo(&v.Parts[i])
		}
		w.b = append(w.b, ']')
	}
	w.key(&first, "lk")
	w.lock(&v.Lock)
	w.optMap(&first, "tg", v.Tags)
	w.b = append(w.b, '}')
}

func (w *jsonWriter) putOptions(o *wirePutOptionsV1) {
	first := true
	w.b = append(w.b, '{')
	w.optStr(&first, "ct", o.ContentType)
	w.optMap(&first, "um", o.UserMeta)
	w.optMap(&first, "hd", o.Headers)
	if o.Retention != nil {
		w.key(&first, "r")
		w.retention(o.Retention)
	}
	w.optBool(&first, "h", o.LegalHold)
	w.optStr(&first, "ca", o.ChecksumAlgorithm)
	w.optStr(&first, "cty", o.ChecksumType)
	w.optMap(&first, "tg", o.Tags)
	w.b = append(w.b, '}')
}

func (w *jsonWriter) upload(u *wireUploadV1) {
	first := true
	w.b = append(w.b, '{')
	w.key(&first, "s")
	w.uint(u.Seq)
	w.key(&first, "k")
	w.str(u.Key)
	w.key(&first, "t")
	w.int(u.Initiated)
	w.key(&first, "o")
	w.putOptions(&u.Opts)
	w.b = append(w.b, '}')
}

func (w *jsonWriter) part(p *wirePartV1) {
	first := true
	w.b = append(w.b, '{')
	w.key(&first, "n")
	w.int(int64(p.Number))
	w.key(&first, "z")
	w.int(p.Size)
	w.key(&first, "e")
	w.str(p.ETag)
	w.key(&first, "t")
	w.time(p.ModTime)
	w.optMap(&first, "ck", p.Checksums)
	if len(p.Extents) > 0 {
		w.key(&first, "x")
		w.extents(p.Extents)
	}
	w.b = append(w.b, '}')
}

func (w *jsonWriter) move(m *wireMoveV1) {
	first := true
	w.b = append(w.b, '{')
	w.optStr(&first, "b", m.Bucket)
	w.optStr(&first, "k", m.Key)
	w.optUint(&first, "s", m.Seq)
	w.optInt(&first, "pn", int64(m.Part))
	w.key(&first, "o")
	w.extent(m.Old)
	w.key(&first, "n")
	w.extents(m.New)
	w.b = append(w.b, '}')
}

func (w *jsonWriter) tier(t *wireTierV1) {
	first := true
	w.b = append(w.b, '{')
	w.key(&first, "s")
	w.uint(t.Seg)
	w.key(&first, "k")
	w.str(t.Key)
	w.optStr(&first, "vid", t.VersionID)
	w.key(&first, "z")
	w.int(t.Size)
	w.key(&first, "de")
	w.int(t.DataEnd)
	w.key(&first, "bl")
	w.int(t.Blocks)
	w.key(&first, "rb")
	w.int(t.RawBytes)
	w.key(&first, "bs")
	w.uint(uint64(t.BlockSize))
	w.key(&first, "crc")
	w.str(t.CRC64NVME)
	w.key(&first, "u")
	w.time(t.Until)
	w.optBool(&first, "h", t.Hold)
	w.b = append(w.b, '}')
}

// audit writes an audit entry; the wire struct and AuditEntry have the
// same members (AuditEntry's JSON is the audit log's line and the input
// of its hash).
func (w *jsonWriter) audit(a *wireAuditEntryV1) {
	first := true
	w.b = append(w.b, '{')
	w.key(&first, "seq")
	w.uint(a.Seq)
	w.key(&first, "time")
	w.time(a.Time)
	w.optStr(&first, "request_id", a.RequestID)
	w.optStr(&first, "principal", a.Principal)
	w.optStr(&first, "source", a.Source)
	w.key(&first, "operation")
	w.str(a.Operation)
	w.optStr(&first, "bucket", a.Bucket)
	w.optStr(&first, "key", a.Key)
	w.optStr(&first, "version_id", a.VersionID)
	w.key(&first, "outcome")
	w.str(a.Outcome)
	w.optInt(&first, "status", int64(a.Status))
	w.optStr(&first, "detail", a.Detail)
	if a.OldLock != nil {
		w.key(&first, "old_lock")
		w.lock(a.OldLock)
	}
	if a.NewLock != nil {
		w.key(&first, "new_lock")
		w.lock(a.NewLock)
	}
	w.optBool(&first, "bypass", a.Bypass)
	w.optUint(&first, "count", a.Count)
	w.key(&first, "prev")
	w.str(a.Prev)
	w.key(&first, "hash")
	w.str(a.Hash)
	w.b = append(w.b, '}')
}

func (w *jsonWriter) record(r *wireRecordV1) {
	first := true
	w.b = append(w.b, '{')
	w.key(&first, "t")
	w.uint(uint64(r.Type))
	w.key(&first, "ts")
	w.int(r.Time)
	w.optUint(&first, "as", r.AuditSeq)
	w.optStr(&first, "ah", r.AuditHash)
	w.optStr(&first, "b", r.Bucket)
	if r.BucketInfo != nil {
		w.key(&first, "bi")
		w.bucket(r.BucketInfo)
	}
	w.optStr(&first, "v", r.Versioning)
	if r.Default != nil {
		w.key(&first, "d")
		w.defaultRetention(r.Default)
	}
	w.optStr(&first, "pol", r.Policy)
	w.optStr(&first, "k", r.Key)
	w.optUint(&first, "s", r.Seq)
	if r.Version != nil {
		w.key(&first, "ver")
		w.version(r.Version)
	}
	if len(r.Replaces) > 0 {
		w.key(&first, "rp")
		w.b = append(w.b, '[')
		for i, s := range r.Replaces {
			if i > 0 {
				w.b = append(w.b, ',')
			}
			w.uint(s)
		}
		w.b = append(w.b, ']')
	}
	w.optBool(&first, "by", r.Bypass)
	if r.Retention != nil {
		w.key(&first, "r")
		w.retention(r.Retention)
	}
	if r.Prev != nil {
		w.key(&first, "pv")
		w.lock(r.Prev)
	}
	if r.LegalHold != nil {
		w.key(&first, "h")
		w.bool(*r.LegalHold)
	}
	if r.Upload != nil {
		w.key(&first, "u")
		w.upload(r.Upload)
	}
	if r.Part != nil {
		w.key(&first, "p")
		w.part(r.Part)
	}
	w.optUint(&first, "us", r.UpSeq)
	if len(r.Discard) > 0 {
		w.key(&first, "dp")
		w.b = append(w.b, '[')
		for i, n := range r.Discard {
			if i > 0 {
				w.b = append(w.b, ',')
			}
			w.int(int64(n))
		}
		w.b = append(w.b, ']')
	}
	if len(r.Moves) > 0 {
		w.key(&first, "mv")
		w.b = append(w.b, '[')
		for i := range r.Moves {
			if i > 0 {
				w.b = append(w.b, ',')
			}
			w.move(&r.Moves[i])
		}
		w.b = append(w.b, ']')
	}
	w.optStr(&first, "cfn", r.Config)
	w.optStr(&first, "cfd", r.ConfigDoc)
	w.optMap(&first, "tg", r.Tags)
	if r.Tier != nil {
		w.key(&first, "ti")
		w.tier(r.Tier)
	}
	if r.Audit != nil {
		w.key(&first, "ae")
		w.audit(r.Audit)
	}
	w.optUint(&first, "ad", r.AuditDurable)
	w.b = append(w.b, '}')
}
