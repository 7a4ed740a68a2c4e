package console

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"net/netip"
	"net/url"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/wormstore/wormstore/engine"
	"github.com/wormstore/wormstore/iam"
)

// Scan bounds keep page loads cheap on big stores; pages say when a figure
// covers only part of the data.
const (
	bucketScanLimit   = 10000  // versions summed per bucket on the buckets page
	overviewScanLimit = 100000 // versions examined for the retention figures
)

var funcs = template.FuncMap{
	"bytes": humanBytes,
	"day":   func(t time.Time) string { return day(t) },
	"when": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02 15:04:05 UTC")
	},
	"base": func(key, prefix string) string { return strings.TrimPrefix(key, prefix) },
	"q":    url.QueryEscape,
	"pathesc": func(s string) string {
		return url.PathEscape(s)
	},
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// flash messages survive one redirect in the session.
func (c *Console) setFlash(s *session, msg string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if live := c.sessions[s.id]; live != nil {
		live.flash = msg
	}
}

func (c *Console) popFlash(s *session) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	live := c.sessions[s.id]
	if live == nil {
		return ""
	}
	m := live.flash
	live.flash = ""
	return m
}

func (c *Console) page(w http.ResponseWriter, r *http.Request, s *session, page string, data map[string]any) {
	data["Flash"] = c.popFlash(s)
	c.render(w, r, http.StatusOK, page, s, data)
}

// deny checks authorisation and, when refused, answers; it reports whether
// the handler must stop.
func (c *Console) deny(w http.ResponseWriter, r *http.Request, s *session, action, resource string, cond map[string][]string) bool {
	if err := c.authorize(r, s.who, action, resource, cond); err != nil {
		c.failErr(w, r, s, err)
		return true
	}
	return false
}

func (c *Console) failErr(w http.ResponseWriter, r *http.Request, s *session, err error) {
	if sw, ok := w.(*statusWriter); ok {
		sw.err = err // for the audit entry
	}
	status, msg := c.describe(err)
	c.fail(w, r, s, status, msg)
}

// ---- overview ----

type monthBar struct {
	Month      string
	Count      int64
	Bytes      int64
	Y, W       int
	LabelY     int
	ValueX     int
	Compliance int64
	Governance int64
}

func (c *Console) overview(w http.ResponseWriter, r *http.Request, s *session) {
	// The server-wide figures are for principals allowed them (root);
	// everyone else sees the buckets they may list versions of.
	ctx := r.Context()
	var st any
	if c.can(r, s, "wormstore:GetStorageStats", "*", nil) {
		stats, err := c.eng.Stats(ctx)
		if err != nil {
			c.failErr(w, r, s, err)
			return
		}
		st = stats
	}
	now := c.eng.Now()
	type modeSum struct{ Count, Bytes int64 }
	modes := map[engine.Mode]*modeSum{engine.ModeCompliance: {}, engine.ModeGovernance: {}}
	var holds modeSum
	months := map[string]*monthBar{}
	scanned, partial := int64(0), false
	buckets, err := c.eng.ListBuckets(ctx)
	if err != nil {
		c.failErr(w, r, s, err)
		return
	}
scan:
	for _, b := range buckets {
		if !c.can(r, s, "s3:ListBucketVersions", bucketARN(b.Name), listCond("", "", 1000)) {
			continue
		}
		opts := engine.VersionListOptions{}
		for {
			res, err := c.eng.ListVersions(ctx, b.Name, opts)
			if err != nil {
				c.failErr(w, r, s, err)
				return
			}
			for _, v := range res.Versions {
				scanned++
				if v.DeleteMarker {
					continue
				}
				if v.Lock.LegalHold {
					holds.Count++
					holds.Bytes += v.Size
				}
				if ret := v.Lock.Retention; ret.ActiveAt(now) {
					m := modes[ret.Mode]
					if m == nil {
						continue
					}
					m.Count++
					m.Bytes += v.Size
					key := ret.Until.UTC().Format("2006-01")
					mb := months[key]
					if mb == nil {
						mb = &monthBar{Month: key}
						months[key] = mb
					}
					mb.Count++
					mb.Bytes += v.Size
					if ret.Mode == engine.ModeCompliance {
						mb.Compliance++
					} else {
						mb.Governance++
					}
				}
			}
			if scanned >= overviewScanLimit && res.IsTruncated {
				partial = true
				break scan
			}
			if !res.IsTruncated {
				break
			}
			opts.KeyMarker, opts.VersionIDMarker = res.NextKeyMarker, res.NextVersionIDMarker
		}
	}
	bars := make([]*monthBar, 0, len(months))
	for _, m := range months {
		bars = append(bars, m)
	}
	sort.Slice(bars, func(i, j int) bool { return bars[i].Month < bars[j].Month })
	var maxCount int64
	for _, b := range bars {
		maxCount = max(maxCount, b.Count)
	}
	const rowH, barMax = 26, 360
	for i, b := range bars {
		b.Y = i*rowH + 4
		b.LabelY = b.Y + 14
		b.W = int(int64(barMax) * b.Count / max(maxCount, 1))
		b.W = max(b.W, 2)
		b.ValueX = 80 + b.W + 6
	}
	// Recent lock events and the audit chain's status, for principals
	// allowed to read the audit stream.
	var events []engine.AuditEntry
	var chain *engine.AuditReport
	chainSkipped := false
	if c.can(r, s, "admin:GET/audit", "*", nil) {
		last := c.eng.AuditLastSeq()
		from := uint64(1)
		if last > overviewAuditWindow {
			from = last - overviewAuditWindow + 1
		}
		err := c.eng.AuditEntries(ctx, from, func(a engine.AuditEntry) error {
			if a.OldLock != nil || a.NewLock != nil || strings.Contains(a.Operation, "legal-hold") || strings.Contains(a.Operation, "retention") ||
				strings.Contains(a.Operation, "Retention") || strings.Contains(a.Operation, "LegalHold") {
				events = append(events, a)
			}
			return nil
		})
		if err != nil {
			c.failErr(w, r, s, err)
			return
		}
		slices.Reverse(events)
		events = events[:min(len(events), 10)]
		if last <= overviewChainVerifyLimit {
			if chain, err = c.eng.VerifyAudit(ctx); err != nil {
				c.failErr(w, r, s, err)
				return
			}
		} else {
			chainSkipped = true
		}
	}
	c.page(w, r, s, "overview", map[string]any{
		"Events": events, "Chain": chain, "ChainSkipped": chainSkipped,
		"Title": "Overview", "Stats": st, "Now": now,
		"Compliance": modes[engine.ModeCompliance], "Governance": modes[engine.ModeGovernance], "Holds": holds,
		"Months": bars, "ChartHeight": len(bars)*rowH + 8, "Scanned": scanned, "Partial": partial,
	})
}

// overviewAuditWindow is how many newest audit entries the overview
// searches for lock events; overviewChainVerifyLimit the largest stream it
// verifies on every visit (beyond it: `wormstore admin audit verify`).
const (
	overviewAuditWindow      = 2000
	overviewChainVerifyLimit = 200000
)

// ---- buckets ----

type bucketRow struct {
	engine.BucketInfo
	Bytes     int64
	Versions  int64
	Truncated bool
}

// bucketUsage sums the sizes of up to bucketScanLimit versions of a bucket.
func (c *Console) bucketUsage(ctx context.Context, name string) (bytes, versions int64, truncated bool, err error) {
	opts := engine.VersionListOptions{}
	for {
		res, err := c.eng.ListVersions(ctx, name, opts)
		if err != nil {
			return 0, 0, false, err
		}
		for _, v := range res.Versions {
			if !v.DeleteMarker {
				bytes += v.Size
				versions++
			}
		}
		if !res.IsTruncated {
			return bytes, versions, false, nil
		}
		if versions >= bucketScanLimit {
			return bytes, versions, true, nil
		}
		opts.KeyMarker, opts.VersionIDMarker = res.NextKeyMarker, res.NextVersionIDMarker
	}
}

func (c *Console) bucketsPage(w http.ResponseWriter, r *http.Request, s *session) {
	c.renderBuckets(w, r, s, http.StatusOK, "", nil)
}

func (c *Console) renderBuckets(w http.ResponseWriter, r *http.Request, s *session, status int, formErr string, form url.Values) {
	if c.deny(w, r, s, "s3:ListAllMyBuckets", "*", nil) {
		return
	}
	ctx := r.Context()
	list, err := c.eng.ListBuckets(ctx)
	if err != nil {
		c.failErr(w, r, s, err)
		return
	}
	rows := make([]bucketRow, 0, len(list))
	for _, b := range list {
		row := bucketRow{BucketInfo: b}
		if c.can(r, s, "s3:ListBucketVersions", bucketARN(b.Name), listCond("", "", 1000)) {
			row.Bytes, row.Versions, row.Truncated, err = c.bucketUsage(ctx, b.Name)
			if err != nil {
				c.failErr(w, r, s, err)
				return
			}
		}
		rows = append(rows, row)
	}
	if form == nil {
		form = url.Values{"retention_unit": {"days"}}
	}
	data := map[string]any{"Title": "Buckets", "Buckets": rows, "FormError": formErr, "Form": form}
	data["Flash"] = c.popFlash(s)
	c.render(w, r, status, "buckets", s, data)
}

// parseDefaultRetention reads the mode / period / unit fields of the
// create-bucket and manage forms; mode "" means none.
func parseDefaultRetention(f url.Values) (*engine.DefaultRetention, error) {
	mode := engine.Mode(f.Get("retention_mode"))
	if mode == engine.ModeNone {
		return nil, nil
	}
	if !mode.Valid() {
		return nil, fmt.Errorf("choose GOVERNANCE or COMPLIANCE as the retention mode")
	}
	n, err := strconv.Atoi(strings.TrimSpace(f.Get("retention_period")))
	if err != nil || n <= 0 {
		return nil, fmt.Errorf("the retention period must be a whole number above zero")
	}
	d := &engine.DefaultRetention{Mode: mode}
	switch f.Get("retention_unit") {
	case "days":
		if n > 36500 {
			return nil, fmt.Errorf("the retention period may be at most 36500 days")
		}
		d.Days = n
	case "years":
		if n > 100 {
			return nil, fmt.Errorf("the retention period may be at most 100 years")
		}
		d.Years = n
	default:
		return nil, fmt.Errorf("choose days or years for the retention period")
	}
	return d, d.Validate()
}

// bucketNameProblem applies S3's general-purpose bucket naming rules and
// says what is wrong, or "".
func bucketNameProblem(name string) string {
	if len(name) < 3 || len(name) > 63 {
		return "Bucket names are 3 to 63 characters long."
	}
	for i := 0; i < len(name); i++ {
		ch := name[i]
		switch {
		case ch >= 'a' && ch <= 'z', ch >= '0' && ch <= '9':
		case ch == '.' || ch == '-':
			if i == 0 || i == len(name)-1 {
				return "Bucket names start and end with a lower-case letter or digit."
			}
		default:
			return "Bucket names use only lower-case letters, digits, dots and hyphens."
		}
	}
	if strings.Contains(name, "..") || strings.Contains(name, ".-") || strings.Contains(name, "-.") {
		return "Bucket names may not contain \"..\", \".-\" or \"-.\"."
	}
	if a, err := netip.ParseAddr(name); err == nil && a.Is4() {
		return "Bucket names may not look like an IP address."
	}
	for _, p := range []string{"xn--", "sthree-", "amzn-s3-demo-"} {
		if strings.HasPrefix(name, p) {
			return "Bucket names may not start with \"" + p + "\"."
		}
	}
	for _, sfx := range []string{"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"} {
		if strings.HasSuffix(name, sfx) {
			return "Bucket names may not end with \"" + sfx + "\"."
		}
	}
	return ""
}

func (c *Console) createBucket(w http.ResponseWriter, r *http.Request, s *session) {
	f := r.PostForm
	name := strings.TrimSpace(f.Get("name"))
	if c.deny(w, r, s, "s3:CreateBucket", bucketARN(name), nil) {
		return
	}
	if p := bucketNameProblem(name); p != "" {
		c.renderBuckets(w, r, s, http.StatusBadRequest, p, f)
		return
	}
	lock := f.Get("object_lock") == "on"
	def, err := parseDefaultRetention(f)
	if err != nil {
		c.renderBuckets(w, r, s, http.StatusBadRequest, "Default retention: "+err.Error(), f)
		return
	}
	if def != nil && !lock {
		c.renderBuckets(w, r, s, http.StatusBadRequest, "A default retention needs Object Lock: switch Object Lock on, or set the retention mode to None.", f)
		return
	}
	// As CreateBucket with x-amz-bucket-object-lock-enabled in the S3 API.
	if (lock || def != nil) && c.deny(w, r, s, "s3:PutBucketObjectLockConfiguration", bucketARN(name), nil) {
		return
	}
	if lock && c.deny(w, r, s, "s3:PutBucketVersioning", bucketARN(name), nil) {
		return
	}
	ctx := r.Context()
	if err := c.eng.CreateBucket(ctx, name, engine.CreateBucketOptions{ObjectLock: lock}); err != nil {
		_, msg := c.describe(err)
		c.renderBuckets(w, r, s, http.StatusConflict, msg, f)
		return
	}
	msg := "Created bucket " + name + "."
	if lock {
		msg = "Created bucket " + name + " with Object Lock (versioning is on for good)."
	}
	if def != nil {
		if err := c.eng.SetObjectLockConfig(ctx, name, def); err != nil {
			_, m := c.describe(err)
			msg += " Setting the default retention failed: " + m
		} else {
			msg += " Default retention: " + retentionWords(def) + "."
		}
	}
	c.log.Info("console: bucket created", "bucket", name, "object_lock", lock, "access_key", s.who.AccessKey)
	c.setFlash(s, msg)
	http.Redirect(w, r, "/buckets/"+url.PathEscape(name), http.StatusSeeOther)
}

func retentionWords(d *engine.DefaultRetention) string {
	if d == nil {
		return "none"
	}
	if d.Years > 0 {
		return fmt.Sprintf("%s for %d year%s", d.Mode, d.Years, plural(d.Years))
	}
	return fmt.Sprintf("%s for %d day%s", d.Mode, d.Days, plural(d.Days))
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func (c *Console) bucketInfo(w http.ResponseWriter, r *http.Request, s *session) (*engine.BucketInfo, bool) {
	b, err := c.eng.Bucket(r.Context(), r.PathValue("bucket"))
	if err != nil {
		c.failErr(w, r, s, err)
		return nil, false
	}
	return b, true
}

func (c *Console) managePage(w http.ResponseWriter, r *http.Request, s *session) {
	b, ok := c.bucketInfo(w, r, s)
	if !ok || c.deny(w, r, s, "s3:GetBucketObjectLockConfiguration", bucketARN(b.Name), nil) {
		return
	}
	form := url.Values{"retention_unit": {"days"}}
	if d := b.DefaultRetention; d != nil {
		form.Set("retention_mode", string(d.Mode))
		if d.Years > 0 {
			form.Set("retention_period", strconv.Itoa(d.Years))
			form.Set("retention_unit", "years")
		} else {
			form.Set("retention_period", strconv.Itoa(d.Days))
		}
	}
	c.page(w, r, s, "manage", map[string]any{
		"Title": "Manage " + b.Name, "Bucket": b, "Form": form, "Default": retentionWords(b.DefaultRetention),
	})
}

func (c *Console) setDefaultRetention(w http.ResponseWriter, r *http.Request, s *session) {
	b, ok := c.bucketInfo(w, r, s)
	if !ok || c.deny(w, r, s, "s3:PutBucketObjectLockConfiguration", bucketARN(b.Name), nil) {
		return
	}
	def, err := parseDefaultRetention(r.PostForm)
	if err != nil {
		c.fail(w, r, s, http.StatusBadRequest, "Default retention: "+err.Error())
		return
	}
	if !b.ObjectLock {
		c.fail(w, r, s, http.StatusBadRequest, "Object Lock is not enabled on this bucket; it can only be chosen when a bucket is created.")
		return
	}
	if err := c.eng.SetObjectLockConfig(r.Context(), b.Name, def); err != nil {
		c.failErr(w, r, s, err)
		return
	}
	c.setFlash(s, "Default retention of "+b.Name+" is now: "+retentionWords(def)+". It applies to versions written from now on.")
	http.Redirect(w, r, "/buckets/"+url.PathEscape(b.Name)+"/manage", http.StatusSeeOther)
}

// ---- objects ----

type crumb struct{ Name, Prefix string }

func crumbs(prefix string) []crumb {
	var out []crumb
	acc := ""
	for _, part := range strings.SplitAfter(prefix, "/") {
		if part == "" {
			continue
		}
		acc += part
		out = append(out, crumb{Name: strings.TrimSuffix(part, "/"), Prefix: acc})
	}
	return out
}

// parentPrefix returns the folder above prefix ("a/b/" → "a/", "a/" → "").
func parentPrefix(prefix string) string {
	p := strings.TrimSuffix(prefix, "/")
	if i := strings.LastIndex(p, "/"); i >= 0 {
		return p[:i+1]
	}
	return ""
}

func (c *Console) objectsPage(w http.ResponseWriter, r *http.Request, s *session) {
	b, ok := c.bucketInfo(w, r, s)
	prefix := r.URL.Query().Get("prefix")
	if !ok || c.deny(w, r, s, "s3:ListBucket", bucketARN(b.Name), listCond(prefix, "/", 200)) {
		return
	}
	res, err := c.eng.ListObjects(r.Context(), b.Name, engine.ListOptions{
		Prefix: prefix, Delimiter: "/", After: r.URL.Query().Get("after"), MaxKeys: 200,
	})
	if err != nil {
		c.failErr(w, r, s, err)
		return
	}
	now := c.eng.Now()
	type row struct {
		engine.ObjectInfo
		Protections []string
	}
	rows := make([]row, len(res.Objects))
	for i, o := range res.Objects {
		rows[i] = row{o, protections(o.Lock, now)}
	}
	c.page(w, r, s, "objects", map[string]any{
		"Title": b.Name, "Bucket": b, "Prefix": prefix, "Crumbs": crumbs(prefix), "Parent": parentPrefix(prefix),
		"Folders": res.CommonPrefixes, "Objects": rows, "More": res.IsTruncated, "Next": res.NextAfter,
		"Versioned": b.Versioning == engine.VersioningEnabled, "Default": retentionWords(b.DefaultRetention),
		"MinPart": 8 << 20,
	})
}

func (c *Console) versionsPage(w http.ResponseWriter, r *http.Request, s *session) {
	b, ok := c.bucketInfo(w, r, s)
	q := r.URL.Query()
	prefix := q.Get("prefix")
	if !ok || c.deny(w, r, s, "s3:ListBucketVersions", bucketARN(b.Name), listCond(prefix, "", 200)) {
		return
	}
	res, err := c.eng.ListVersions(r.Context(), b.Name, engine.VersionListOptions{
		Prefix: prefix, KeyMarker: q.Get("key_marker"), VersionIDMarker: q.Get("version_marker"), MaxKeys: 200,
	})
	if err != nil {
		c.failErr(w, r, s, err)
		return
	}
	now := c.eng.Now()
	type row struct {
		engine.ObjectInfo
		Protections []string
		Governance  bool
	}
	rows := make([]row, len(res.Versions))
	for i, v := range res.Versions {
		rows[i] = row{ObjectInfo: v, Protections: protections(v.Lock, now)}
		rows[i].Governance = !v.Lock.LegalHold && v.Lock.Retention.Mode == engine.ModeGovernance && v.Lock.Retention.ActiveAt(now) &&
			c.can(r, s, iam.ActionBypassGovernanceRetention, objectARN(b.Name, v.Key), map[string][]string{iam.KeyVersionID: {v.VersionID}})
	}
	c.page(w, r, s, "versions", map[string]any{
		"Title": "Versions in " + b.Name, "Bucket": b, "Prefix": prefix, "Versions": rows,
		"More": res.IsTruncated, "NextKey": res.NextKeyMarker, "NextVersion": res.NextVersionIDMarker,
		"Back": r.URL.RequestURI(),
	})
}

func (c *Console) objectPage(w http.ResponseWriter, r *http.Request, s *session) {
	b, ok := c.bucketInfo(w, r, s)
	if !ok {
		return
	}
	q := r.URL.Query()
	key, vid := q.Get("key"), q.Get("version")
	action := "s3:GetObject"
	if vid != "" {
		action = "s3:GetObjectVersion"
	}
	if c.deny(w, r, s, action, objectARN(b.Name, key), nil) {
		return
	}
	o, err := c.eng.StatObject(r.Context(), b.Name, key, vid)
	if err != nil {
		c.failErr(w, r, s, err)
		return
	}
	now := c.eng.Now()
	ret := o.Lock.Retention
	active := ret.ActiveAt(now)
	minDate := now.Add(24 * time.Hour)
	if active {
		// The form picks whole days (midnight UTC): offer no day that
		// would end before the current retain-until.
		d := ret.Until.UTC().Truncate(24 * time.Hour)
		if d.Before(ret.Until) {
			d = d.Add(24 * time.Hour)
		}
		if d.After(minDate) {
			minDate = d
		}
	}
	metaKeys := make([]string, 0, len(o.UserMeta))
	for k := range o.UserMeta {
		metaKeys = append(metaKeys, k)
	}
	sort.Strings(metaKeys)
	c.page(w, r, s, "object", map[string]any{
		"Title": path.Base(key), "Bucket": b, "O": o, "Key": key, "Version": o.VersionID,
		"Protections": protections(o.Lock, now), "Retention": ret, "RetentionActive": active,
		"Compliance": active && ret.Mode == engine.ModeCompliance,
		"Governance": active && ret.Mode == engine.ModeGovernance,
		"CanBypass":  active && ret.Mode == engine.ModeGovernance && c.can(r, s, iam.ActionBypassGovernanceRetention, objectARN(b.Name, key), map[string][]string{iam.KeyVersionID: {o.VersionID}}),
		"MinDate":    day(minDate), "MetaKeys": metaKeys, "Now": now,
		"Back": r.URL.RequestURI(),
	})
}

func (c *Console) download(w http.ResponseWriter, r *http.Request, s *session) {
	bucket := r.PathValue("bucket")
	q := r.URL.Query()
	key, vid := q.Get("key"), q.Get("version")
	action := "s3:GetObject"
	if vid != "" {
		action = "s3:GetObjectVersion"
	}
	if c.deny(w, r, s, action, objectARN(bucket, key), nil) {
		return
	}
	o, err := c.eng.OpenObject(r.Context(), bucket, key, vid)
	if err != nil {
		c.failErr(w, r, s, err)
		return
	}
	rd, err := o.NewReader(0, o.Info.Size)
	if err != nil {
		c.failErr(w, r, s, err)
		return
	}
	defer rd.Close()
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Length", strconv.FormatInt(o.Info.Size, 10))
	h.Set("Content-Disposition", "attachment; filename*=UTF-8''"+url.PathEscape(path.Base(key)))
	h.Set("ETag", `"`+o.Info.ETag+`"`)
	w.WriteHeader(http.StatusOK)
	if _, err := copyBuffer(w, rd); err != nil {
		c.log.Warn("console: download interrupted", "bucket", bucket, "key", key, "err", err)
	}
}

// backTo returns the "back" form field if it is a path on this site (see
// sameOriginPath), else def.
func backTo(r *http.Request, def string) string {
	b := r.FormValue("back")
	if sameOriginPath(b) {
		return b
	}
	return def
}

func (c *Console) deleteObject(w http.ResponseWriter, r *http.Request, s *session) {
	b, ok := c.bucketInfo(w, r, s)
	if !ok {
		return
	}
	key, vid := r.PostFormValue("key"), r.PostFormValue("version")
	bypass := r.PostFormValue("bypass") == "on"
	action := "s3:DeleteObject"
	if vid != "" {
		action = "s3:DeleteObjectVersion"
	}
	if c.deny(w, r, s, action, objectARN(b.Name, key), nil) {
		return
	}
	asked := bypass
	bypass, err := c.mayBypass(r, s, asked, b.Name, key, vid)
	if err != nil {
		c.failErr(w, r, s, err)
		return
	}
	res, err := c.eng.DeleteObject(r.Context(), b.Name, key, engine.DeleteOptions{VersionID: vid, Bypass: bypass})
	if err != nil {
		c.failErr(w, r, s, bypassRefused(err, asked, bypass, objectARN(b.Name, key)))
		return
	}
	var msg string
	switch {
	case vid == "" && res.DeleteMarker:
		msg = fmt.Sprintf("Added a delete marker (version %s) to %s. Earlier versions are kept; see “Show versions”.", res.VersionID, key)
	case vid == "":
		msg = "Deleted " + key + " (the bucket is not versioned, so the data is gone)."
	case res.DeleteMarker:
		msg = fmt.Sprintf("Removed delete marker %s of %s.", vid, key)
	case res.Removed:
		msg = fmt.Sprintf("Permanently deleted version %s of %s.", vid, key)
	default:
		msg = "Nothing to delete: that version does not exist."
	}
	c.log.Info("console: delete", "bucket", b.Name, "key", key, "version", vid, "bypass", bypass, "access_key", s.who.AccessKey)
	c.setFlash(s, msg)
	def := "/buckets/" + url.PathEscape(b.Name) + "?prefix=" + url.QueryEscape(path.Dir(key)+"/")
	if !strings.Contains(key, "/") {
		def = "/buckets/" + url.PathEscape(b.Name)
	}
	http.Redirect(w, r, backTo(r, def), http.StatusSeeOther)
}

func (c *Console) setRetention(w http.ResponseWriter, r *http.Request, s *session) {
	b, ok := c.bucketInfo(w, r, s)
	if !ok {
		return
	}
	f := r.PostForm
	key, vid := f.Get("key"), f.Get("version")
	bypass := f.Get("bypass") == "on"
	var ret engine.Retention
	if f.Get("remove") == "" {
		ret.Mode = engine.Mode(f.Get("mode"))
		until, err := time.Parse("2006-01-02", f.Get("until"))
		if err != nil {
			c.fail(w, r, s, http.StatusBadRequest, "Choose a retain-until date.")
			return
		}
		ret.Until = until.UTC()
	}
	// The condition keys of PutObjectRetention with this body.
	if c.deny(w, r, s, "s3:PutObjectRetention", objectARN(b.Name, key), c.retentionCond(string(ret.Mode), ret.Until)) {
		return
	}
	asked := bypass
	bypass, err := c.mayBypass(r, s, asked, b.Name, key, vid)
	if err != nil {
		c.failErr(w, r, s, err)
		return
	}
	prev, next, err := c.eng.PutObjectRetention(r.Context(), b.Name, key, vid, ret, bypass)
	if err != nil {
		c.failErr(w, r, s, bypassRefused(err, asked, bypass, objectARN(b.Name, key)))
		return
	}
	c.log.Info("console: retention", "bucket", b.Name, "key", key, "version", vid, "bypass", bypass, "access_key", s.who.AccessKey)
	msg := "Retention removed."
	if !next.Retention.IsZero() {
		msg = fmt.Sprintf("Retention is now %s until %s", next.Retention.Mode, day(next.Retention.Until))
		if !prev.Retention.IsZero() {
			msg += fmt.Sprintf(" (was %s until %s)", prev.Retention.Mode, day(prev.Retention.Until))
		}
		msg += "."
	}
	c.setFlash(s, msg)
	http.Redirect(w, r, backTo(r, "/buckets/"+url.PathEscape(b.Name)), http.StatusSeeOther)
}

func (c *Console) setLegalHold(w http.ResponseWriter, r *http.Request, s *session) {
	b, ok := c.bucketInfo(w, r, s)
	if !ok {
		return
	}
	f := r.PostForm
	key, vid := f.Get("key"), f.Get("version")
	on := f.Get("hold") == "ON"
	if c.deny(w, r, s, "s3:PutObjectLegalHold", objectARN(b.Name, key), holdCond(on)) {
		return
	}
	_, err := c.eng.PutObjectLegalHold(r.Context(), b.Name, key, vid, on)
	if err != nil {
		c.failErr(w, r, s, err)
		return
	}
	c.log.Info("console: legal hold", "bucket", b.Name, "key", key, "version", vid, "on", on, "access_key", s.who.AccessKey)
	if on {
		c.setFlash(s, "Legal hold is ON: this version cannot be deleted until the hold is released.")
	} else {
		c.setFlash(s, "Legal hold is OFF.")
	}
	http.Redirect(w, r, backTo(r, "/buckets/"+url.PathEscape(b.Name)), http.StatusSeeOther)
}
