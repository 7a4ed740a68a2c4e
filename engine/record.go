package engine

import (
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

// BucketInfo describes a bucket. Its json tags are the admin API's output,
// not the on-disk format (that is wireBucketV1 in record_wire.go).
type BucketInfo struct {
	Name             string            `json:"n"`
	Created          time.Time         `json:"c"`
	Versioning       Versioning        `json:"v,omitempty"`
	ObjectLock       bool              `json:"l,omitempty"`
	DefaultRetention *DefaultRetention `json:"d,omitempty"`
	// Policy is the bucket policy document (JSON) as stored by
	// SetBucketPolicy; empty when none. The engine does not interpret it.
	Policy string `json:"p,omitempty"`
	// Configs holds the bucket's other configuration documents (lifecycle,
	// tagging, cors, ownership, ...) keyed by BucketConfig name, as stored by
	// SetBucketConfig. The engine does not interpret them.
	Configs map[BucketConfig]string `json:"cf,omitempty"`
}

// BucketConfig names a bucket configuration document kept by the engine
// for a higher layer (SetBucketConfig). The names are on disk.
type BucketConfig string

// Bucket configuration documents.
const (
	ConfigLifecycle BucketConfig = "lifecycle"
	ConfigTagging   BucketConfig = "tagging"
	ConfigCORS      BucketConfig = "cors"
	ConfigOwnership BucketConfig = "ownership"
	ConfigSOSAPI    BucketConfig = "sosapi"
)

// Config returns the bucket's configuration document name, or "" if none.
func (b *BucketInfo) Config(name BucketConfig) string {
	if b == nil {
		return ""
	}
	return b.Configs[name]
}

// version is one version or delete marker, as the index holds it. Its
// on-disk form is wireVersionV1 (record_wire.go); this type may change.
type version struct {
	Seq          uint64
	Null         bool
	DeleteMarker bool
	Size         int64
	ETag         string
	ModTime      int64
	ContentType  string
	UserMeta     map[string]string
	Headers      map[string]string
	Checksums    map[string]string
	ChecksumType string
	// Tags is the version's object tag set (S3 object tagging); mutable
	// metadata, changed by recObjectTags.
	Tags    map[string]string
	Extents []segment.Extent
	Parts   []PartInfo
	Lock    LockState
}

func (v *version) id() string {
	if v.Null {
		return NullVersionID
	}
	return versionID(v.Seq)
}

// upload is the index value of an in-progress multipart upload.
type upload struct {
	Seq       uint64
	Key       string
	Initiated int64
	Opts      PutOptions
}

// part is the index value of a staged part.
type part struct {
	PartInfo
	Extents []segment.Extent
}

// PartInfo describes an uploaded part, and the parts of a completed
// multipart object.
type PartInfo struct {
	Number    int
	Size      int64
	ETag      string
	ModTime   time.Time
	Checksums map[string]string
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
	recBucketConfig     recType = 16 // a bucket configuration document set or deleted
	recObjectTags       recType = 17 // a version's tag set replaced (empty = deleted)

	// Remote tier (tier.go). Numbered from 40 so that record kinds added
	// by other work in 16..39 never collide.
	recSegmentTiered recType = 40 // a sealed segment's remote copy is verified; the local file may go
	recTierLock      recType = 41 // a tiered segment's remote retention or legal hold was extended
	recTierRemoved   recType = 42 // a tiered segment's remote object was deleted
)

// changesBucket reports whether a record of type t changes a bucket's index
// value (so cached BucketInfo must be dropped).
func (t recType) changesBucket() bool {
	switch t {
	case recBucketCreate, recBucketDelete, recBucketVersioning, recBucketLockConfig, recBucketPolicy, recBucketConfig:
		return true
	}
	return false
}

func (t recType) String() string {
	names := [...]string{"?", "bucket-create", "bucket-delete", "bucket-versioning", "bucket-lock-config",
		"put", "remove", "retention", "legal-hold", "upload-create", "upload-part", "upload-complete",
		"upload-abort", "relocate", "bucket-policy", "audit-anchor", "bucket-config", "object-tags"}
	if int(t) < len(names) {
		return names[t]
	}
	switch t {
	case recSegmentTiered:
		return "segment-tiered"
	case recTierLock:
		return "tier-lock"
	case recTierRemoved:
		return "tier-removed"
	}
	return fmt.Sprintf("rec(%d)", t)
}

// record is one WAL payload: a metadata mutation. It carries everything its
// application needs, so replaying the log reproduces the index exactly.
// In memory only: the WAL holds it as wireRecordV1 (record_wire.go), so a
// change here cannot change the format silently.
type record struct {
	Type recType
	Time int64 // judged time of the mutation, unix ns
	// AuditSeq is the newest audit entry appended when the record was
	// logged (the WAL syncs the audit log before the record). The index
	// keeps it, so an audit stream that later holds fewer entries, or a
	// different entry AuditSeq, was damaged (see openAudit).
	AuditSeq uint64
	// AuditHash is the hash of audit entry AuditSeq, so that a rewritten
	// tail entry is detected too (empty in records written before it).
	AuditHash string
	// Bucket-level fields.
	Bucket     string
	BucketInfo *BucketInfo
	Versioning Versioning
	Default    *DefaultRetention
	Policy     string
	// Config and ConfigDoc are a bucket configuration document
	// (recBucketConfig); an empty ConfigDoc deletes it.
	Config    BucketConfig
	ConfigDoc string
	// Object-level fields.
	Key     string
	Seq     uint64 // target version (remove, retention, legal hold)
	Version *version
	// Replaces lists versions removed by this put (the previous null
	// version).
	Replaces  []uint64
	Bypass    bool // a governance bypass was exercised
	Retention *Retention
	Prev      *LockState // lock state before a lock change (audit)
	LegalHold *bool
	// Tags is the new tag set of version Seq (recObjectTags).
	Tags map[string]string
	// Multipart fields.
	Upload  *upload
	Part    *part
	UpSeq   uint64
	Discard []int // part numbers not used by Complete (informational)
	// Relocation.
	Moves []move
	// Tier is the remote copy of a segment (recSegmentTiered, recTierLock,
	// recTierRemoved).
	Tier *tierInfo
	// Audit is the audit entry of this record's request (nil if none):
	// its durable copy. The audit log is written from it once the record
	// is durable, and recovery re-appends it if the log lacks it
	// (audit.go). When set, AuditSeq and AuditHash are its Seq and Hash.
	Audit *AuditEntry
	// AuditDurable is the newest audit entry the audit log file held
	// durably when the record was logged: an audit log found shorter at
	// open was cut, whatever the WAL can restore (see openAudit).
	AuditDurable uint64
}

// move relocates one extent of a version (Part == 0) or of a staged part.
type move struct {
	Bucket string
	Key    string
	Seq    uint64 // version seq, or upload seq for parts
	Part   int
	Old    segment.Extent
	New    []segment.Extent
}
