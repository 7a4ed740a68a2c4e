package engine

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"time"
	"unicode/utf8"

	"github.com/wormstore/wormstore/segment"
)

// This file is the on-disk encoding of WAL records and of Pebble index
// values. The in-memory types (record, version, LockState, ...) are free to
// change; the wire structs below are not. A WAL record is the only durable
// copy of a lock decision: if a field of the lock state were renamed, old
// records would decode with that field missing and a rebuild would unlock
// their versions. So:
//
//   - Every wire struct and every json tag below is on-disk format.
//     Do not change, rename, reorder or remove a field or a tag, and do not
//     add or drop omitempty. testdata/records/v1 and testdata/index/v1 hold
//     one encoded value of every kind; TestRecordFormatV1Golden and
//     TestIndexValueFormatV1Golden decode them field by field and re-encode
//     them byte for byte.
//   - A change of meaning of an existing field is a new format: add
//     recordFormatV2 with its own wire structs and keep decoding format 1
//     exactly as written. A new omitempty field appended at the end of a
//     wire struct, for data older records never carried (a new record kind,
//     object tags, bucket configuration documents), stays format 1: every
//     existing golden file keeps its bytes, and a build older than the field
//     refuses such a record as corrupt (strict decoding) instead of ignoring
//     it, so a downgrade past it fails closed.
//   - Every field of the in-memory types must reach the wire and come back
//     (TestRecordWireCoversEveryField fills every field reflectively).
//
// Payload layout of a WAL record (the WAL frames it; see package wal):
//
//	+--------+--------------------------------------------+
//	| format | body                                       |
//	| 1 byte | format 1: JSON object of wireRecordV1      |
//	+--------+--------------------------------------------+
//
// Format 1 JSON fields (omitted when zero unless marked "always"):
//
//	t   record type (recType, 1..17, 40..42)     ts  judged time, unix ns, always
//	    (always)
//	as  durable audit seq                        b   bucket
//	bi  bucket info (wireBucketV1)               v   versioning "Enabled"/"Suspended"
//	d   default retention (wireDefaultRetentionV1)
//	pol bucket policy JSON                       k   object key
//	s   target version seq                       ver version (wireVersionV1)
//	rp  seqs of versions replaced                by  governance bypass exercised
//	r   new retention (wireRetentionV1)          pv  lock state before (wireLockStateV1)
//	h   legal hold ON/OFF (present = set)        u   upload (wireUploadV1)
//	p   part (wirePartV1)                        us  upload seq
//	dp  part numbers discarded by Complete       mv  relocations (wireMoveV1)
//	cfn bucket config name (recBucketConfig)     cfd bucket config document
//	tg  object tag set (recObjectTags)
//	ti  remote copy of a tiered segment (wireTierV1; record types 40-42)
//	ae  the record's own audit entry (wireAuditEntryV1; the audit log is
//	    written from it, see audit.go); absent in older records
//	ad  newest audit seq known durable in the audit log file (a cut of
//	    the file below it is damage, not a lagging flush)
//
// Times inside (retain-until, creation, part times) are RFC 3339 strings
// with nanoseconds as encoding/json writes time.Time; the zero time is
// "0001-01-01T00:00:00Z". Extents keep the field names Seg, Off, Len, RawLen.
//
// Decoding is strict: an unknown field, trailing data or a wrong type is
// ErrCorrupt, never silently ignored (an ignored field could be a lock).

// WAL record formats: the leading byte of every encoded record. Do not
// change the values.
const (
	recordFormatV1 = 1
	// recordFormat is the format this code writes.
	recordFormat = recordFormatV1
)

// wireRecordV1 is a WAL record in format 1. Do not change (see above).
type wireRecordV1 struct {
	Type       uint8                   `json:"t"`
	Time       int64                   `json:"ts"`
	AuditSeq   uint64                  `json:"as,omitempty"`
	AuditHash  string                  `json:"ah,omitempty"`
	Bucket     string                  `json:"b,omitempty"`
	BucketInfo *wireBucketV1           `json:"bi,omitempty"`
	Versioning string                  `json:"v,omitempty"`
	Default    *wireDefaultRetentionV1 `json:"d,omitempty"`
	Policy     string                  `json:"pol,omitempty"`
	Key        string                  `json:"k,omitempty"`
	Seq        uint64                  `json:"s,omitempty"`
	Version    *wireVersionV1          `json:"ver,omitempty"`
	Replaces   []uint64                `json:"rp,omitempty"`
	Bypass     bool                    `json:"by,omitempty"`
	Retention  *wireRetentionV1        `json:"r,omitempty"`
	Prev       *wireLockStateV1        `json:"pv,omitempty"`
	LegalHold  *bool                   `json:"h,omitempty"`
	Upload     *wireUploadV1           `json:"u,omitempty"`
	Part       *wirePartV1             `json:"p,omitempty"`
	UpSeq      uint64                  `json:"us,omitempty"`
	Discard    []int                   `json:"dp,omitempty"`
	Moves      []wireMoveV1            `json:"mv,omitempty"`
	Config     string                  `json:"cfn,omitempty"`
	ConfigDoc  string                  `json:"cfd,omitempty"`
	Tags       map[string]string       `json:"tg,omitempty"`
	Tier       *wireTierV1             `json:"ti,omitempty"`
	// Audit is the record's own audit entry (see wireAuditEntryV1);
	// records written before it carry only the anchor (as, ah).
	Audit *wireAuditEntryV1 `json:"ae,omitempty"`
	// AuditDurable is the newest entry the audit log file was known to
	// hold durably when the record was logged.
	AuditDurable uint64 `json:"ad,omitempty"`
}

// wireAuditEntryV1 is the audit entry a record carries (record field ae):
// the WAL record is the entry's durable copy, and the audit log is written
// from it (audit.go). The tags are those of the audit stream (AuditEntry),
// but this struct, not AuditEntry, is the WAL format. Do not change.
type wireAuditEntryV1 struct {
	Seq       uint64           `json:"seq"`
	Time      time.Time        `json:"time"`
	RequestID string           `json:"request_id,omitempty"`
	Principal string           `json:"principal,omitempty"`
	Source    string           `json:"source,omitempty"`
	Operation string           `json:"operation"`
	Bucket    string           `json:"bucket,omitempty"`
	Key       string           `json:"key,omitempty"`
	VersionID string           `json:"version_id,omitempty"`
	Outcome   string           `json:"outcome"`
	Status    int              `json:"status,omitempty"`
	Detail    string           `json:"detail,omitempty"`
	OldLock   *wireLockStateV1 `json:"old_lock,omitempty"`
	NewLock   *wireLockStateV1 `json:"new_lock,omitempty"`
	Bypass    bool             `json:"bypass,omitempty"`
	Count     uint64           `json:"count,omitempty"`
	Prev      string           `json:"prev"`
	Hash      string           `json:"hash"`
}

func auditToWire(a *AuditEntry) *wireAuditEntryV1 {
	if a == nil {
		return nil
	}
	return &wireAuditEntryV1{Seq: a.Seq, Time: a.Time, RequestID: a.RequestID, Principal: a.Principal, Source: a.Source,
		Operation: a.Operation, Bucket: a.Bucket, Key: a.Key, VersionID: a.VersionID, Outcome: a.Outcome, Status: a.Status,
		Detail: a.Detail, OldLock: mapPtr(a.OldLock, lockToWire), NewLock: mapPtr(a.NewLock, lockToWire), Bypass: a.Bypass,
		Count: a.Count, Prev: a.Prev, Hash: a.Hash}
}

func auditFromWire(w *wireAuditEntryV1) *AuditEntry {
	if w == nil {
		return nil
	}
	return &AuditEntry{Seq: w.Seq, Time: w.Time, RequestID: w.RequestID, Principal: w.Principal, Source: w.Source,
		Operation: w.Operation, Bucket: w.Bucket, Key: w.Key, VersionID: w.VersionID, Outcome: w.Outcome, Status: w.Status,
		Detail: w.Detail, OldLock: mapPtr(w.OldLock, lockFromWire), NewLock: mapPtr(w.NewLock, lockFromWire), Bypass: w.Bypass,
		Count: w.Count, Prev: w.Prev, Hash: w.Hash}
}

// wireBucketV1 is a bucket configuration (record field bi, and the index
// value under a bucket key). Do not change.
type wireBucketV1 struct {
	Name             string                  `json:"n"`
	Created          time.Time               `json:"c"`
	Versioning       string                  `json:"v,omitempty"`
	ObjectLock       bool                    `json:"l,omitempty"`
	DefaultRetention *wireDefaultRetentionV1 `json:"d,omitempty"`
	Policy           string                  `json:"p,omitempty"`
	Configs          map[string]string       `json:"cf,omitempty"`
}

// wireDefaultRetentionV1 is a bucket's default retention. Do not change.
type wireDefaultRetentionV1 struct {
	Mode  string `json:"m"`
	Days  int    `json:"d,omitempty"`
	Years int    `json:"y,omitempty"`
}

// wireRetentionV1 is a retention: mode "GOVERNANCE", "COMPLIANCE" or
// absent (none), and the retain-until date (always written). Do not change.
type wireRetentionV1 struct {
	Mode  string    `json:"m,omitempty"`
	Until time.Time `json:"u"`
}

// wireLockStateV1 is a version's folded lock state. Do not change.
type wireLockStateV1 struct {
	Retention    wireRetentionV1 `json:"r"`
	LegalHold    bool            `json:"h,omitempty"`
	LegalHoldSet bool            `json:"hs,omitempty"`
}

// wireExtentV1 is a segment extent. The names are Go field names because
// format 1 encoded segment.Extent without tags. Do not change.
type wireExtentV1 struct {
	Seg    uint64 `json:"Seg"`
	Off    int64  `json:"Off"`
	Len    int64  `json:"Len"`
	RawLen int64  `json:"RawLen"`
}

// wirePartInfoV1 is one part of a completed multipart version. Do not
// change.
type wirePartInfoV1 struct {
	Number    int               `json:"n"`
	Size      int64             `json:"z"`
	ETag      string            `json:"e"`
	ModTime   time.Time         `json:"t"`
	Checksums map[string]string `json:"ck,omitempty"`
}

// wireVersionV1 is a version or delete marker (record field ver, and the
// index value under a version key). Do not change.
type wireVersionV1 struct {
	Seq          uint64            `json:"s"`
	Null         bool              `json:"nl,omitempty"`
	DeleteMarker bool              `json:"dm,omitempty"`
	Size         int64             `json:"z,omitempty"`
	ETag         string            `json:"e,omitempty"`
	ModTime      int64             `json:"t"`
	ContentType  string            `json:"ct,omitempty"`
	UserMeta     map[string]string `json:"um,omitempty"`
	Headers      map[string]string `json:"hd,omitempty"`
	Checksums    map[string]string `json:"ck,omitempty"`
	ChecksumType string            `json:"cty,omitempty"`
	Extents      []wireExtentV1    `json:"x,omitempty"`
	Parts        []wirePartInfoV1  `json:"p,omitempty"`
	Lock         wireLockStateV1   `json:"lk"`
	Tags         map[string]string `json:"tg,omitempty"`
}

// wirePutOptionsV1 is what an upload stores of its PutOptions. Do not
// change.
type wirePutOptionsV1 struct {
	ContentType       string            `json:"ct,omitempty"`
	UserMeta          map[string]string `json:"um,omitempty"`
	Headers           map[string]string `json:"hd,omitempty"`
	Retention         *wireRetentionV1  `json:"r,omitempty"`
	LegalHold         bool              `json:"h,omitempty"`
	ChecksumAlgorithm string            `json:"ca,omitempty"`
	ChecksumType      string            `json:"cty,omitempty"`
	Tags              map[string]string `json:"tg,omitempty"`
}

// wireUploadV1 is a multipart upload (record field u, and the index value
// under an upload key). Do not change.
type wireUploadV1 struct {
	Seq       uint64           `json:"s"`
	Key       string           `json:"k"`
	Initiated int64            `json:"t"`
	Opts      wirePutOptionsV1 `json:"o"`
}

// wirePartV1 is a staged part (record field p, and the index value under a
// part key). Format 1 embedded the part info, so its fields come first. Do
// not change.
type wirePartV1 struct {
	Number    int               `json:"n"`
	Size      int64             `json:"z"`
	ETag      string            `json:"e"`
	ModTime   time.Time         `json:"t"`
	Checksums map[string]string `json:"ck,omitempty"`
	Extents   []wireExtentV1    `json:"x,omitempty"`
}

// wireMoveV1 relocates one extent (record field mv). New is always
// written, as null when nil. Do not change.
type wireMoveV1 struct {
	Bucket string         `json:"b,omitempty"`
	Key    string         `json:"k,omitempty"`
	Seq    uint64         `json:"s,omitempty"`
	Part   int            `json:"pn,omitempty"`
	Old    wireExtentV1   `json:"o"`
	New    []wireExtentV1 `json:"n"`
}

// wireTierV1 is the remote copy of a tiered segment (record field ti, and
// the index value under a remote-segment key). Do not change.
type wireTierV1 struct {
	Seg       uint64    `json:"s"`
	Key       string    `json:"k"`
	VersionID string    `json:"vid,omitempty"`
	Size      int64     `json:"z"`
	DataEnd   int64     `json:"de"`
	Blocks    int64     `json:"bl"`
	RawBytes  int64     `json:"rb"`
	BlockSize uint32    `json:"bs"`
	CRC64NVME string    `json:"crc"`
	Until     time.Time `json:"u"`
	Hold      bool      `json:"h,omitempty"`
}

func tierToWire(t *tierInfo) *wireTierV1 {
	if t == nil {
		return nil
	}
	return &wireTierV1{Seg: t.Seg, Key: t.Key, VersionID: t.VersionID, Size: t.Size, DataEnd: t.DataEnd, Blocks: t.Blocks,
		RawBytes: t.RawBytes, BlockSize: t.BlockSize, CRC64NVME: t.CRC64NVME, Until: t.Until, Hold: t.Hold}
}

func tierFromWire(w *wireTierV1) *tierInfo {
	if w == nil {
		return nil
	}
	return &tierInfo{Seg: w.Seg, Key: w.Key, VersionID: w.VersionID, Size: w.Size, DataEnd: w.DataEnd, Blocks: w.Blocks,
		RawBytes: w.RawBytes, BlockSize: w.BlockSize, CRC64NVME: w.CRC64NVME, Until: w.Until, Hold: w.Hold}
}

// encodeRecord returns the WAL payload of r in the current format. It
// refuses (ErrInvalidArgument) a record with a string that is not valid
// UTF-8: encoding/json would replace the bad bytes with U+FFFD, so the
// record would replay to a different key or value than the one applied.
func encodeRecord(r *record) ([]byte, error) {
	w := recordToWire(r)
	jw := jsonWriter{b: make([]byte, 1, 1024)}
	jw.b[0] = recordFormat
	jw.record(w)
	if jw.bad {
		return nil, fmt.Errorf("%w: %s is not valid UTF-8", ErrInvalidArgument, invalidUTF8(reflect.ValueOf(w), "record"))
	}
	if jw.err != nil {
		return nil, fmt.Errorf("engine: encode %s record: %w", r.Type, jw.err)
	}
	return jw.b, nil
}

// decodeRecord decodes a WAL payload of any known format.
func decodeRecord(p []byte) (*record, error) {
	if len(p) == 0 {
		return nil, fmt.Errorf("%w: empty wal record", ErrCorrupt)
	}
	switch p[0] {
	case recordFormatV1:
		var w wireRecordV1
		if err := decodeStrict(p[1:], &w); err != nil {
			return nil, fmt.Errorf("%w: wal record (format 1): %v", ErrCorrupt, err)
		}
		return recordFromWire(&w), nil
	case 0:
		return nil, fmt.Errorf("%w: wal record format byte 0", ErrCorrupt)
	}
	return nil, fmt.Errorf("%w: wal record format %d, this binary understands up to %d; upgrade wormstore", ErrFormatTooNew, p[0], recordFormat)
}

// validUTF8 reports whether every string (and map key) under v is valid
// UTF-8. It is invalidUTF8 without building paths (the hot path: every
// record); invalidUTF8 names the culprit once one is found.
func validUTF8(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.String:
		return utf8.ValidString(v.String())
	case reflect.Pointer:
		return v.IsNil() || validUTF8(v.Elem())
	case reflect.Struct:
		for i := range v.NumField() {
			if !validUTF8(v.Field(i)) {
				return false
			}
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return true // []byte is base64 in JSON
		}
		for i := range v.Len() {
			if !validUTF8(v.Index(i)) {
				return false
			}
		}
	case reflect.Map:
		it := v.MapRange()
		for it.Next() {
			if !validUTF8(it.Key()) || !validUTF8(it.Value()) {
				return false
			}
		}
	}
	return true
}

// invalidUTF8 returns the path of the first string (or map key) under v
// that is not valid UTF-8, or "".
func invalidUTF8(v reflect.Value, path string) string {
	switch v.Kind() {
	case reflect.String:
		if !utf8.ValidString(v.String()) {
			return path
		}
	case reflect.Pointer:
		if !v.IsNil() {
			return invalidUTF8(v.Elem(), path)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if p := invalidUTF8(v.Field(i), path+"."+v.Type().Field(i).Name); p != "" {
				return p
			}
		}
	case reflect.Slice:
		for i := range v.Len() {
			if p := invalidUTF8(v.Index(i), path); p != "" {
				return p
			}
		}
	case reflect.Map:
		it := v.MapRange()
		for it.Next() {
			if p := invalidUTF8(it.Key(), path+" key"); p != "" {
				return p
			}
			if p := invalidUTF8(it.Value(), path); p != "" {
				return p
			}
		}
	}
	return ""
}

// decodeStrict unmarshals one JSON value into v, refusing unknown fields
// and trailing data.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("trailing data after the JSON value")
	}
	return nil
}

// encodeIndexValue encodes an index value: *version, *BucketInfo, *upload
// or *part, in the same format-1 wire structs as the WAL (no format byte:
// the index is derived state and is rebuilt, not upgraded, from the WAL).
func encodeIndexValue(v any) ([]byte, error) {
	jw := jsonWriter{b: make([]byte, 0, 256)}
	null := func() { jw.b = append(jw.b, "null"...) }
	switch v := v.(type) {
	case *version:
		if w := versionToWire(v); w != nil {
			jw.version(w)
		} else {
			null()
		}
	case *BucketInfo:
		if w := bucketToWire(v); w != nil {
			jw.bucket(w)
		} else {
			null()
		}
	case *upload:
		if w := uploadToWire(v); w != nil {
			jw.upload(w)
		} else {
			null()
		}
	case *part:
		if w := partToWire(v); w != nil {
			jw.part(w)
		} else {
			null()
		}
	case *tierInfo:
		if w := tierToWire(v); w != nil {
			jw.tier(w)
		} else {
			null()
		}
	default:
		return nil, fmt.Errorf("engine: no pinned index encoding for %T (add one in record_wire.go)", v)
	}
	if jw.err != nil {
		return nil, fmt.Errorf("engine: encode index value: %w", jw.err)
	}
	return jw.b, nil
}

// decodeIndexValue decodes the index value raw stored under key into v,
// which is one of the types encodeIndexValue accepts.
func decodeIndexValue(key, raw []byte, v any) error {
	bad := func(err error) error {
		return fmt.Errorf("%w: index value of %q: %v", ErrCorrupt, key, err)
	}
	switch v := v.(type) {
	case *version:
		var w wireVersionV1
		if err := decodeStrict(raw, &w); err != nil {
			return bad(err)
		}
		*v = *versionFromWire(&w)
	case *BucketInfo:
		var w wireBucketV1
		if err := decodeStrict(raw, &w); err != nil {
			return bad(err)
		}
		*v = *bucketFromWire(&w)
	case *upload:
		var w wireUploadV1
		if err := decodeStrict(raw, &w); err != nil {
			return bad(err)
		}
		*v = *uploadFromWire(&w)
	case *part:
		var w wirePartV1
		if err := decodeStrict(raw, &w); err != nil {
			return bad(err)
		}
		*v = *partFromWire(&w)
	case *tierInfo:
		var w wireTierV1
		if err := decodeStrict(raw, &w); err != nil {
			return bad(err)
		}
		*v = *tierFromWire(&w)
	default:
		return fmt.Errorf("engine: no pinned index encoding for %T (add one in record_wire.go)", v)
	}
	return nil
}

// Conversions. Nil stays nil and empty stays empty for every slice,
// because omitempty and "null" versus "[]" are part of the bytes.

func recordToWire(r *record) *wireRecordV1 {
	return &wireRecordV1{
		Type: uint8(r.Type), Time: r.Time, AuditSeq: r.AuditSeq, AuditHash: r.AuditHash,
		Bucket: r.Bucket, BucketInfo: bucketToWire(r.BucketInfo), Versioning: string(r.Versioning),
		Default: defaultToWire(r.Default), Policy: r.Policy,
		Key: r.Key, Seq: r.Seq, Version: versionToWire(r.Version), Replaces: r.Replaces,
		Bypass: r.Bypass, Retention: mapPtr(r.Retention, retentionToWire), Prev: mapPtr(r.Prev, lockToWire),
		LegalHold: r.LegalHold,
		Upload:    uploadToWire(r.Upload), Part: partToWire(r.Part), UpSeq: r.UpSeq, Discard: r.Discard,
		Moves: mapSlice(r.Moves, func(m move) wireMoveV1 {
			return wireMoveV1{Bucket: m.Bucket, Key: m.Key, Seq: m.Seq, Part: m.Part,
				Old: extentToWire(m.Old), New: mapSlice(m.New, extentToWire)}
		}),
		Config: string(r.Config), ConfigDoc: r.ConfigDoc, Tags: r.Tags,
		Tier: tierToWire(r.Tier), Audit: auditToWire(r.Audit), AuditDurable: r.AuditDurable,
	}
}

func recordFromWire(w *wireRecordV1) *record {
	return &record{
		Type: recType(w.Type), Time: w.Time, AuditSeq: w.AuditSeq, AuditHash: w.AuditHash,
		Bucket: w.Bucket, BucketInfo: bucketFromWire(w.BucketInfo), Versioning: Versioning(w.Versioning),
		Default: defaultFromWire(w.Default), Policy: w.Policy,
		Key: w.Key, Seq: w.Seq, Version: versionFromWire(w.Version), Replaces: w.Replaces,
		Bypass: w.Bypass, Retention: mapPtr(w.Retention, retentionFromWire), Prev: mapPtr(w.Prev, lockFromWire),
		LegalHold: w.LegalHold,
		Upload:    uploadFromWire(w.Upload), Part: partFromWire(w.Part), UpSeq: w.UpSeq, Discard: w.Discard,
		Moves: mapSlice(w.Moves, func(m wireMoveV1) move {
			return move{Bucket: m.Bucket, Key: m.Key, Seq: m.Seq, Part: m.Part,
				Old: extentFromWire(m.Old), New: mapSlice(m.New, extentFromWire)}
		}),
		Config: BucketConfig(w.Config), ConfigDoc: w.ConfigDoc, Tags: w.Tags,
		Tier: tierFromWire(w.Tier), Audit: auditFromWire(w.Audit), AuditDurable: w.AuditDurable,
	}
}

// mapSlice converts a slice element by element, keeping nil nil and empty
// empty.
func mapSlice[S, D any](s []S, f func(S) D) []D {
	if s == nil {
		return nil
	}
	out := make([]D, len(s))
	for i, v := range s {
		out[i] = f(v)
	}
	return out
}

// mapKeys converts a map's keys with f, keeping nil nil and empty empty.
func mapKeys[K, L comparable, V any](m map[K]V, f func(K) L) map[L]V {
	if m == nil {
		return nil
	}
	out := make(map[L]V, len(m))
	for k, v := range m {
		out[f(k)] = v
	}
	return out
}

// mapPtr converts *s with f; a nil s maps to nil.
func mapPtr[S, D any](s *S, f func(S) D) *D {
	if s == nil {
		return nil
	}
	d := f(*s)
	return &d
}

func extentToWire(e segment.Extent) wireExtentV1 {
	return wireExtentV1{Seg: e.Seg, Off: e.Off, Len: e.Len, RawLen: e.RawLen}
}

func extentFromWire(e wireExtentV1) segment.Extent {
	return segment.Extent{Seg: e.Seg, Off: e.Off, Len: e.Len, RawLen: e.RawLen}
}

func retentionToWire(r Retention) wireRetentionV1 {
	return wireRetentionV1{Mode: string(r.Mode), Until: r.Until}
}

func retentionFromWire(r wireRetentionV1) Retention {
	return Retention{Mode: Mode(r.Mode), Until: r.Until}
}

func lockToWire(l LockState) wireLockStateV1 {
	return wireLockStateV1{Retention: retentionToWire(l.Retention), LegalHold: l.LegalHold, LegalHoldSet: l.LegalHoldSet}
}

func lockFromWire(w wireLockStateV1) LockState {
	return LockState{Retention: retentionFromWire(w.Retention), LegalHold: w.LegalHold, LegalHoldSet: w.LegalHoldSet}
}

func defaultToWire(d *DefaultRetention) *wireDefaultRetentionV1 {
	if d == nil {
		return nil
	}
	return &wireDefaultRetentionV1{Mode: string(d.Mode), Days: d.Days, Years: d.Years}
}

func defaultFromWire(w *wireDefaultRetentionV1) *DefaultRetention {
	if w == nil {
		return nil
	}
	return &DefaultRetention{Mode: Mode(w.Mode), Days: w.Days, Years: w.Years}
}

func bucketToWire(b *BucketInfo) *wireBucketV1 {
	if b == nil {
		return nil
	}
	return &wireBucketV1{Name: b.Name, Created: b.Created, Versioning: string(b.Versioning), ObjectLock: b.ObjectLock,
		DefaultRetention: defaultToWire(b.DefaultRetention), Policy: b.Policy,
		Configs: mapKeys(b.Configs, func(k BucketConfig) string { return string(k) })}
}

func bucketFromWire(w *wireBucketV1) *BucketInfo {
	if w == nil {
		return nil
	}
	return &BucketInfo{Name: w.Name, Created: w.Created, Versioning: Versioning(w.Versioning), ObjectLock: w.ObjectLock,
		DefaultRetention: defaultFromWire(w.DefaultRetention), Policy: w.Policy,
		Configs: mapKeys(w.Configs, func(k string) BucketConfig { return BucketConfig(k) })}
}

func partInfoToWire(p PartInfo) wirePartInfoV1 {
	return wirePartInfoV1{Number: p.Number, Size: p.Size, ETag: p.ETag, ModTime: p.ModTime, Checksums: p.Checksums}
}

func partInfoFromWire(w wirePartInfoV1) PartInfo {
	return PartInfo{Number: w.Number, Size: w.Size, ETag: w.ETag, ModTime: w.ModTime, Checksums: w.Checksums}
}

func versionToWire(v *version) *wireVersionV1 {
	if v == nil {
		return nil
	}
	return &wireVersionV1{
		Seq: v.Seq, Null: v.Null, DeleteMarker: v.DeleteMarker, Size: v.Size, ETag: v.ETag, ModTime: v.ModTime,
		ContentType: v.ContentType, UserMeta: v.UserMeta, Headers: v.Headers, Checksums: v.Checksums,
		ChecksumType: v.ChecksumType, Extents: mapSlice(v.Extents, extentToWire),
		Parts: mapSlice(v.Parts, partInfoToWire), Lock: lockToWire(v.Lock), Tags: v.Tags,
	}
}

func versionFromWire(w *wireVersionV1) *version {
	if w == nil {
		return nil
	}
	return &version{
		Seq: w.Seq, Null: w.Null, DeleteMarker: w.DeleteMarker, Size: w.Size, ETag: w.ETag, ModTime: w.ModTime,
		ContentType: w.ContentType, UserMeta: w.UserMeta, Headers: w.Headers, Checksums: w.Checksums,
		ChecksumType: w.ChecksumType, Extents: mapSlice(w.Extents, extentFromWire),
		Parts: mapSlice(w.Parts, partInfoFromWire), Lock: lockFromWire(w.Lock), Tags: w.Tags,
	}
}

// uploadToWire keeps only the stored PutOptions fields; the per-request
// ones (Size, IfMatch, IfNoneMatch, Finalize, MD5) are never on disk.
func uploadToWire(u *upload) *wireUploadV1 {
	if u == nil {
		return nil
	}
	o := u.Opts
	return &wireUploadV1{Seq: u.Seq, Key: u.Key, Initiated: u.Initiated, Opts: wirePutOptionsV1{
		ContentType: o.ContentType, UserMeta: o.UserMeta, Headers: o.Headers,
		Retention: mapPtr(o.Retention, retentionToWire), LegalHold: o.LegalHold,
		ChecksumAlgorithm: o.ChecksumAlgorithm, ChecksumType: o.ChecksumType, Tags: o.Tags,
	}}
}

func uploadFromWire(w *wireUploadV1) *upload {
	if w == nil {
		return nil
	}
	o := w.Opts
	return &upload{Seq: w.Seq, Key: w.Key, Initiated: w.Initiated, Opts: PutOptions{
		ContentType: o.ContentType, UserMeta: o.UserMeta, Headers: o.Headers,
		Retention: mapPtr(o.Retention, retentionFromWire), LegalHold: o.LegalHold,
		ChecksumAlgorithm: o.ChecksumAlgorithm, ChecksumType: o.ChecksumType, Tags: o.Tags,
	}}
}

func partToWire(p *part) *wirePartV1 {
	if p == nil {
		return nil
	}
	return &wirePartV1{Number: p.Number, Size: p.Size, ETag: p.ETag, ModTime: p.ModTime, Checksums: p.Checksums,
		Extents: mapSlice(p.Extents, extentToWire)}
}

func partFromWire(w *wirePartV1) *part {
	if w == nil {
		return nil
	}
	return &part{PartInfo: PartInfo{Number: w.Number, Size: w.Size, ETag: w.ETag, ModTime: w.ModTime, Checksums: w.Checksums},
		Extents: mapSlice(w.Extents, extentFromWire)}
}
