package engine

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/wormstore/wormstore/segment"
)

// Versioning is a bucket's versioning state as S3 names it; the empty string
// means versioning was never enabled.
type Versioning string

// Versioning states.
const (
	VersioningOff       Versioning = ""
	VersioningEnabled   Versioning = "Enabled"
	VersioningSuspended Versioning = "Suspended"
)

// BucketInfo describes a bucket.
type BucketInfo struct {
	Name             string            `json:"n"`
	Created          time.Time         `json:"c"`
	Versioning       Versioning        `json:"v,omitempty"`
	ObjectLock       bool              `json:"l,omitempty"`
	DefaultRetention *DefaultRetention `json:"d,omitempty"`
	// Policy is the bucket policy document (JSON) as stored by
	// SetBucketPolicy; empty when none. The engine does not interpret it.
	Policy string `json:"p,omitempty"`
}

// version is the index value of one version or delete marker.
type version struct {
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
	Extents      []segment.Extent  `json:"x,omitempty"`
	Parts        []PartInfo        `json:"p,omitempty"`
	Lock         LockState         `json:"lk"`
}

func (v *version) id() string {
	if v.Null {
		return NullVersionID
	}
	return versionID(v.Seq)
}

// upload is the index value of an in-progress multipart upload.
type upload struct {
	Seq       uint64     `json:"s"`
	Key       string     `json:"k"`
	Initiated int64      `json:"t"`
	Opts      PutOptions `json:"o"`
}

// part is the index value of a staged part.
type part struct {
	PartInfo
	Extents []segment.Extent `json:"x,omitempty"`
}

// PartInfo describes an uploaded part, and the parts of a completed
// multipart object.
type PartInfo struct {
	Number    int               `json:"n"`
	Size      int64             `json:"z"`
	ETag      string            `json:"e"`
	ModTime   time.Time         `json:"t"`
	Checksums map[string]string `json:"ck,omitempty"`
}

// recType names a WAL record kind. Do not change the values: they are on disk.
type recType uint8

const (
	recBucketCreate     recType = 1
	recBucketDelete     recType = 2
	recBucketVersioning recType = 3
	recBucketLockConfig recType = 4
	recPut              recType = 5  // new version or delete marker
	recRemove           recType = 6  // a version or delete marker removed
	recRetention        recType = 7  // retention record for a version
	recLegalHold        recType = 8  // legal hold record for a version
	recUploadCreate     recType = 9  // multipart upload created
	recUploadPart       recType = 10 // part staged (replaces same number)
	recUploadComplete   recType = 11 // upload turned into a version
	recUploadAbort      recType = 12
	recRelocate         recType = 13 // compaction moved extents
	recBucketPolicy     recType = 14 // bucket policy set or deleted
	recAuditAnchor      recType = 15 // no mutation: records the durable audit head
)

func (t recType) String() string {
	names := [...]string{"?", "bucket-create", "bucket-delete", "bucket-versioning", "bucket-lock-config",
		"put", "remove", "retention", "legal-hold", "upload-create", "upload-part", "upload-complete",
		"upload-abort", "relocate", "bucket-policy", "audit-anchor"}
	if int(t) < len(names) {
		return names[t]
	}
	return fmt.Sprintf("rec(%d)", t)
}

// record is one WAL payload: a metadata mutation. It carries everything its
// application needs, so replaying the log reproduces the index exactly.
// Encoded as JSON after a one-byte format version.
type record struct {
	Type recType `json:"t"`
	Time int64   `json:"ts"` // judged time of the mutation, unix ns
	// AuditSeq is the newest audit entry appended when the record was
	// logged (the WAL syncs the audit log before the record). The index
	// keeps it, so an audit stream that later holds fewer entries, or a
	// different entry AuditSeq, was damaged (see openAudit).
	AuditSeq uint64 `json:"as,omitempty"`
	// AuditHash is the hash of audit entry AuditSeq, so that a rewritten
	// tail entry is detected too (empty in records written before it).
	AuditHash string `json:"ah,omitempty"`
	// Bucket-level fields.
	Bucket     string            `json:"b,omitempty"`
	BucketInfo *BucketInfo       `json:"bi,omitempty"`
	Versioning Versioning        `json:"v,omitempty"`
	Default    *DefaultRetention `json:"d,omitempty"`
	Policy     string            `json:"pol,omitempty"`
	// Object-level fields.
	Key     string   `json:"k,omitempty"`
	Seq     uint64   `json:"s,omitempty"` // target version (remove, retention, legal hold)
	Version *version `json:"ver,omitempty"`
	// Replaces lists versions removed by this put (the previous null
	// version).
	Replaces  []uint64   `json:"rp,omitempty"`
	Bypass    bool       `json:"by,omitempty"` // a governance bypass was exercised
	Retention *Retention `json:"r,omitempty"`
	Prev      *LockState `json:"pv,omitempty"` // lock state before a lock change (audit)
	LegalHold *bool      `json:"h,omitempty"`
	// Multipart fields.
	Upload  *upload `json:"u,omitempty"`
	Part    *part   `json:"p,omitempty"`
	UpSeq   uint64  `json:"us,omitempty"`
	Discard []int   `json:"dp,omitempty"` // part numbers not used by Complete (informational)
	// Relocation.
	Moves []move `json:"mv,omitempty"`
}

// move relocates one extent of a version (Part == 0) or of a staged part.
type move struct {
	Bucket string           `json:"b,omitempty"`
	Key    string           `json:"k,omitempty"`
	Seq    uint64           `json:"s,omitempty"` // version seq, or upload seq for parts
	Part   int              `json:"pn,omitempty"`
	Old    segment.Extent   `json:"o"`
	New    []segment.Extent `json:"n"`
}

// recordFormat is the leading byte of every encoded record. Do not change.
const recordFormat = 1

func encodeRecord(r *record) ([]byte, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	return append([]byte{recordFormat}, b...), nil
}

func decodeRecord(p []byte) (*record, error) {
	if len(p) == 0 || p[0] != recordFormat {
		return nil, fmt.Errorf("%w: unknown record format", ErrCorrupt)
	}
	var r record
	if err := json.Unmarshal(p[1:], &r); err != nil {
		return nil, fmt.Errorf("%w: record: %v", ErrCorrupt, err)
	}
	return &r, nil
}
