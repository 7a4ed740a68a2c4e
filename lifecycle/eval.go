package lifecycle

import (
	"time"
)

// Version is what rule evaluation needs of one version or delete marker.
type Version struct {
	ID           string
	DeleteMarker bool
	Size         int64
	ModTime      time.Time
	Tags         map[string]string
}

// ActionKind is what a lifecycle action does.
type ActionKind int

// Action kinds. The names are the audit operations of the actions (see
// package gate) and the metrics' "action" label.
const (
	// ExpireCurrent expires a key's current version: a delete marker on a
	// versioned bucket (the version becomes noncurrent, nothing is
	// removed), a removal on an unversioned one.
	ExpireCurrent ActionKind = iota
	// RemoveNoncurrent permanently removes a noncurrent version.
	RemoveNoncurrent
	// RemoveDeleteMarker removes a delete marker that is its key's only
	// remaining version (an expired object delete marker).
	RemoveDeleteMarker
	// AbortUpload aborts an incomplete multipart upload.
	AbortUpload
)

// ActionKinds lists every kind, for metrics.
var ActionKinds = []ActionKind{ExpireCurrent, RemoveNoncurrent, RemoveDeleteMarker, AbortUpload}

func (k ActionKind) String() string {
	switch k {
	case ExpireCurrent:
		return "expire_current"
	case RemoveNoncurrent:
		return "remove_noncurrent"
	case RemoveDeleteMarker:
		return "remove_delete_marker"
	case AbortUpload:
		return "abort_upload"
	}
	return "unknown"
}

// Action is one thing a pass does to one version (or upload).
type Action struct {
	Kind      ActionKind
	VersionID string // or the upload id for AbortUpload
	// Rule is the ID of the (first) rule that asked for it.
	Rule string
}

// Evaluate returns the actions the configuration asks for on one key at
// now. versions are all of the key's versions and delete markers, newest
// first (versions[0] is current); versioned is false for a bucket that
// never had versioning (expiring the current version removes it). Each
// version gets at most one action; actions come in version order.
//
// The rules, as AWS applies them:
//   - Expiration Days/Date: the current version, if not a delete marker,
//     matched by the filter, created Days ago (rounded up to midnight UTC)
//     or the Date has passed. A current delete marker that is the key's
//     only version and is that old is removed (an expired object delete
//     marker; it holds no data).
//   - Expiration ExpiredObjectDeleteMarker: a current delete marker that is
//     the key's only version, whatever its age.
//   - NoncurrentVersionExpiration: a noncurrent version (delete markers
//     included) whose successor (the next newer version, which made it
//     noncurrent) was created NoncurrentDays ago, rounded up to midnight
//     UTC, and that has at least NewerNoncurrentVersions newer
//     noncurrent versions the rule also matches.
//
// Disabled rules do nothing. Locks are not considered here: the engine
// refuses to remove a protected version, and the worker counts it.
func (c *Configuration) Evaluate(key string, versions []Version, now time.Time, versioned bool) []Action {
	if c == nil || len(versions) == 0 {
		return nil
	}
	chosen := make([]*Action, len(versions))
	set := func(i int, a Action) {
		if chosen[i] == nil {
			chosen[i] = &a
		}
	}
	cur := versions[0]
	sole := len(versions) == 1
	for _, r := range c.Rules {
		if !r.Enabled {
			continue
		}
		if e := r.Expiration; e != nil {
			match := r.Filter.Matches(key, sizeOf(cur), tagsOf(cur))
			due := func(t time.Time) bool {
				if e.Date != nil && !now.Before(*e.Date) {
					return true
				}
				return e.Days > 0 && !now.Before(ExpiryTime(t, e.Days))
			}
			switch {
			case !match:
			case !cur.DeleteMarker:
				if due(cur.ModTime) {
					set(0, Action{Kind: ExpireCurrent, VersionID: cur.ID, Rule: r.ID})
				}
			case sole && (due(cur.ModTime) || (e.ExpiredObjectDeleteMarker != nil && *e.ExpiredObjectDeleteMarker)):
				set(0, Action{Kind: RemoveDeleteMarker, VersionID: cur.ID, Rule: r.ID})
			}
		}
		if n := r.NoncurrentExpiration; n != nil && versioned {
			newer := 0 // newer noncurrent versions the rule matches
			for i := 1; i < len(versions); i++ {
				v := versions[i]
				if !r.Filter.Matches(key, sizeOf(v), tagsOf(v)) {
					continue
				}
				since := versions[i-1].ModTime // when v became noncurrent
				if newer >= n.NewerNoncurrentVersions && !now.Before(ExpiryTime(since, n.NoncurrentDays)) {
					set(i, Action{Kind: RemoveNoncurrent, VersionID: v.ID, Rule: r.ID})
				}
				newer++
			}
		}
	}
	var out []Action
	for _, a := range chosen {
		if a != nil {
			out = append(out, *a)
		}
	}
	return out
}

// AbortDue reports whether an incomplete multipart upload of key initiated
// at t is to be aborted at now, and by which rule. Only the filter's
// prefix applies (tag and size filters are refused with this action).
func (c *Configuration) AbortDue(key string, initiated, now time.Time) (string, bool) {
	if c == nil {
		return "", false
	}
	for _, r := range c.Rules {
		if !r.Enabled || r.AbortIncompleteMultipartUploadDays <= 0 || len(key) < len(r.Filter.Prefix) || key[:len(r.Filter.Prefix)] != r.Filter.Prefix {
			continue
		}
		if !now.Before(ExpiryTime(initiated, r.AbortIncompleteMultipartUploadDays)) {
			return r.ID, true
		}
	}
	return "", false
}

// HasUploadRules reports whether any enabled rule aborts uploads.
func (c *Configuration) HasUploadRules() bool {
	if c == nil {
		return false
	}
	for _, r := range c.Rules {
		if r.Enabled && r.AbortIncompleteMultipartUploadDays > 0 {
			return true
		}
	}
	return false
}

// HasVersionRules reports whether any enabled rule acts on versions.
func (c *Configuration) HasVersionRules() bool {
	if c == nil {
		return false
	}
	for _, r := range c.Rules {
		if r.Enabled && (r.Expiration != nil || r.NoncurrentExpiration != nil) {
			return true
		}
	}
	return false
}

func sizeOf(v Version) int64 {
	if v.DeleteMarker {
		return 0
	}
	return v.Size
}

func tagsOf(v Version) map[string]string {
	if v.DeleteMarker {
		return nil
	}
	return v.Tags
}

// CurrentExpiry returns when the current version of key (size bytes, tags,
// created at created) expires under the configuration's enabled
// Expiration rules, and the rule that sets that date: the earliest of
// them, as the x-amz-expiration header of GET, HEAD and PUT reports it.
// ok is false when no Expiration Days or Date rule selects the version.
// Retention and legal holds are not considered: an expired version under a
// lock is kept (a versioned bucket gets a delete marker over it).
func (c *Configuration) CurrentExpiry(key string, size int64, tags map[string]string, created time.Time) (at time.Time, rule string, ok bool) {
	if c == nil {
		return time.Time{}, "", false
	}
	for _, r := range c.Rules {
		e := r.Expiration
		if !r.Enabled || e == nil || !r.Filter.Matches(key, size, tags) {
			continue
		}
		var t time.Time
		switch {
		case e.Date != nil:
			t = e.Date.UTC()
		case e.Days > 0:
			t = ExpiryTime(created, e.Days)
		default:
			continue
		}
		if !ok || t.Before(at) {
			at, rule, ok = t, r.ID, true
		}
	}
	return at, rule, ok
}
