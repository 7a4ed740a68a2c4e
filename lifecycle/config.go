package lifecycle

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// FormatVersion is the version of the stored configuration document
// (engine.ConfigLifecycle). A document of a newer version is refused
// (ErrFormatTooNew) rather than guessed at: applying rules wrongly
// removes data.
const FormatVersion = 1

// Configuration is a bucket's lifecycle configuration as stored: the rules
// of PutBucketLifecycleConfiguration after validation, in request order.
type Configuration struct {
	Version int    `json:"v"`
	Rules   []Rule `json:"rules"`
}

// Rule is one <Rule>.
type Rule struct {
	ID      string `json:"id,omitempty"`
	Enabled bool   `json:"enabled"`
	// LegacyPrefix marks a rule written with the top-level <Prefix>
	// element instead of <Filter> (Filter.Prefix holds it).
	LegacyPrefix bool   `json:"legacy_prefix,omitempty"`
	Filter       Filter `json:"filter"`

	Expiration           *Expiration           `json:"expiration,omitempty"`
	NoncurrentExpiration *NoncurrentExpiration `json:"noncurrent_expiration,omitempty"`
	// AbortIncompleteMultipartUploadDays is DaysAfterInitiation (0: none).
	AbortIncompleteMultipartUploadDays int `json:"abort_incomplete_multipart_upload_days,omitempty"`
}

// FilterKind is which element the <Filter> held, so GET returns the shape
// that was PUT.
type FilterKind string

// Filter kinds.
const (
	FilterAll    FilterKind = ""       // an empty <Filter/>: every object
	FilterPrefix FilterKind = "prefix" // <Prefix>
	FilterTag    FilterKind = "tag"    // <Tag>
	FilterAnd    FilterKind = "and"    // <And>
	FilterSizeGT FilterKind = "size_gt"
	FilterSizeLT FilterKind = "size_lt"
)

// Filter selects the objects a rule applies to. All set conditions must
// hold (an <And> of them).
type Filter struct {
	Kind   FilterKind `json:"kind,omitempty"`
	Prefix string     `json:"prefix,omitempty"`
	// Tags must all be present on the version with these values.
	Tags []Tag `json:"tags,omitempty"`
	// SizeGreaterThan and SizeLessThan are exclusive bounds in bytes.
	SizeGreaterThan *int64 `json:"size_gt,omitempty"`
	SizeLessThan    *int64 `json:"size_lt,omitempty"`
}

// Tag is one object tag condition.
type Tag struct {
	Key   string `json:"k"`
	Value string `json:"v"`
}

// Expiration is the <Expiration> action on current versions.
type Expiration struct {
	// Days after the version's creation (rounded up to the next midnight
	// UTC, as AWS does); 0: not set.
	Days int `json:"days,omitempty"`
	// Date, if set, is a midnight UTC after which matching current
	// versions expire.
	Date *time.Time `json:"date,omitempty"`
	// ExpiredObjectDeleteMarker (nil: element absent) removes a delete
	// marker that is a key's only remaining version.
	ExpiredObjectDeleteMarker *bool `json:"expired_object_delete_marker,omitempty"`
}

// NoncurrentExpiration is the <NoncurrentVersionExpiration> action.
type NoncurrentExpiration struct {
	// NoncurrentDays after the version became noncurrent (its successor's
	// creation), rounded up to the next midnight UTC.
	NoncurrentDays int `json:"noncurrent_days"`
	// NewerNoncurrentVersions is how many of the newest noncurrent
	// versions are kept whatever their age (0: none kept).
	NewerNoncurrentVersions int `json:"newer_noncurrent_versions,omitempty"`
}

// Encode returns the document stored with engine.ConfigLifecycle.
func Encode(c *Configuration) ([]byte, error) {
	cc := *c
	cc.Version = FormatVersion
	return json.Marshal(&cc)
}

// Decode parses a stored document. An empty document is "no configuration"
// (nil, nil).
func Decode(doc string) (*Configuration, error) {
	if strings.TrimSpace(doc) == "" {
		return nil, nil
	}
	var probe struct {
		Version int `json:"v"`
	}
	if err := json.Unmarshal([]byte(doc), &probe); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	switch {
	case probe.Version > FormatVersion:
		return nil, fmt.Errorf("%w: version %d", ErrFormatTooNew, probe.Version)
	case probe.Version < 1:
		return nil, fmt.Errorf("%w: version %d", ErrCorrupt, probe.Version)
	}
	d := json.NewDecoder(strings.NewReader(doc))
	d.DisallowUnknownFields()
	var c Configuration
	if err := d.Decode(&c); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	return &c, nil
}

// HasTagCondition reports whether the filter looks at object tags.
func (f Filter) HasTagCondition() bool { return len(f.Tags) > 0 }

// HasSizeCondition reports whether the filter looks at object sizes.
func (f Filter) HasSizeCondition() bool { return f.SizeGreaterThan != nil || f.SizeLessThan != nil }

// Matches reports whether a version of key with size bytes and tags is
// selected by the filter. A delete marker is matched with size 0 and no
// tags.
func (f Filter) Matches(key string, size int64, tags map[string]string) bool {
	if !strings.HasPrefix(key, f.Prefix) {
		return false
	}
	for _, t := range f.Tags {
		if v, ok := tags[t.Key]; !ok || v != t.Value {
			return false
		}
	}
	if f.SizeGreaterThan != nil && !(size > *f.SizeGreaterThan) {
		return false
	}
	if f.SizeLessThan != nil && !(size < *f.SizeLessThan) {
		return false
	}
	return true
}

// ExpiryTime returns when an action due days after t takes effect: t plus
// days, rounded up to the next midnight UTC, as AWS computes it (created
// 2014-01-15 10:30 UTC with 3 days: 2014-01-19 00:00 UTC). A time exactly
// at midnight also moves to the next one, as on AWS and MinIO.
func ExpiryTime(t time.Time, days int) time.Time {
	d := t.UTC().AddDate(0, 0, days)
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, 1)
}
