package s3api

// Put/Get/DeleteBucketLifecycleConfiguration. The XML is validated here
// with AWS's error codes and stored as the lifecycle package's versioned
// JSON document (engine.ConfigLifecycle); the lifecycle worker applies it.

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/wormstore/wormstore/engine"
	"github.com/wormstore/wormstore/lifecycle"
	"github.com/wormstore/wormstore/s3api/s3err"
)

// Limits of a lifecycle configuration, as AWS's.
const (
	maxLifecycleRules        = 1000
	maxLifecycleRuleID       = 255
	maxNewerNoncurrent       = 100
	lifecycleTagKeyMax       = 128
	lifecycleTagValueMax     = 256
	transitionMinSizeDefault = "all_storage_classes_128K"
	hdrTransitionMinSize     = "x-amz-transition-default-minimum-object-size"
)

// The request body. Pointers tell an absent element from an empty one.
type lcConfigIn struct {
	XMLName xml.Name   `xml:"LifecycleConfiguration"`
	Rules   []lcRuleIn `xml:"Rule"`
}

type lcRuleIn struct {
	ID                             *string       `xml:"ID"`
	Prefix                         *string       `xml:"Prefix"`
	Filter                         *lcFilterIn   `xml:"Filter"`
	Status                         *string       `xml:"Status"`
	Expiration                     *lcExpIn      `xml:"Expiration"`
	NoncurrentVersionExpiration    *lcNoncurIn   `xml:"NoncurrentVersionExpiration"`
	AbortIncompleteMultipartUpload *lcAbortIn    `xml:"AbortIncompleteMultipartUpload"`
	Transitions                    []lcIgnoredIn `xml:"Transition"`
	NoncurrentVersionTransitions   []lcIgnoredIn `xml:"NoncurrentVersionTransition"`
}

type lcIgnoredIn struct {
	Inner []byte `xml:",innerxml"`
}

type lcTagIn struct {
	Key   *string `xml:"Key"`
	Value *string `xml:"Value"`
}

type lcFilterIn struct {
	Prefix *string   `xml:"Prefix"`
	Tags   []lcTagIn `xml:"Tag"`
	And    *struct {
		Prefix *string   `xml:"Prefix"`
		Tags   []lcTagIn `xml:"Tag"`
		GT     *string   `xml:"ObjectSizeGreaterThan"`
		LT     *string   `xml:"ObjectSizeLessThan"`
	} `xml:"And"`
	GT *string `xml:"ObjectSizeGreaterThan"`
	LT *string `xml:"ObjectSizeLessThan"`
}

type lcExpIn struct {
	Date *string `xml:"Date"`
	Days *string `xml:"Days"`
	EODM *string `xml:"ExpiredObjectDeleteMarker"`
}

type lcNoncurIn struct {
	NoncurrentDays          *string `xml:"NoncurrentDays"`
	NewerNoncurrentVersions *string `xml:"NewerNoncurrentVersions"`
}

type lcAbortIn struct {
	DaysAfterInitiation *string `xml:"DaysAfterInitiation"`
}

func lcMalformed(format string, args ...any) error {
	return s3err.Errorf(s3err.MalformedXML, "%s: %s", s3err.MalformedXML.Message(), fmt.Sprintf(format, args...))
}

// parseLifecycle validates a PutBucketLifecycleConfiguration body as AWS
// does and returns the configuration to store.
func parseLifecycle(data []byte) (*lifecycle.Configuration, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, s3err.New(s3err.MissingRequestBodyError, "Request Body is empty")
	}
	var in lcConfigIn
	d := xml.NewDecoder(bytes.NewReader(data))
	if err := d.Decode(&in); err != nil {
		return nil, lcMalformed("%v", err)
	}
	// Only whitespace, comments or processing instructions may follow.
	for {
		tok, err := d.Token()
		if err != nil {
			break
		}
		switch t := tok.(type) {
		case xml.CharData:
			if len(bytes.TrimSpace(t)) != 0 {
				return nil, lcMalformed("data after the root element")
			}
		case xml.Comment, xml.ProcInst:
		default:
			return nil, lcMalformed("more than one root element")
		}
	}
	if len(in.Rules) == 0 {
		return nil, lcMalformed("no Rule")
	}
	if len(in.Rules) > maxLifecycleRules {
		return nil, s3err.Errorf(s3err.InvalidRequest, "Lifecycle configuration allows a maximum of %d rules", maxLifecycleRules)
	}
	cfg := &lifecycle.Configuration{Version: lifecycle.FormatVersion}
	ids := map[string]bool{}
	for i := range in.Rules {
		r, err := parseLifecycleRule(&in.Rules[i])
		if err != nil {
			return nil, err
		}
		if ids[r.ID] {
			return nil, s3err.New(s3err.InvalidArgument, "Rule ID must be unique. Found same ID for more than one rule").
				With("ArgumentName", "ID").With("ArgumentValue", r.ID)
		}
		ids[r.ID] = true
		cfg.Rules = append(cfg.Rules, r)
	}
	return cfg, nil
}

// lcPositive parses a positive integer element; what names it for the
// message ("'Days' for Expiration action"), arg for ArgumentName.
func lcPositive(s *string, what, arg string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(*s))
	if err != nil {
		return 0, lcMalformed("%s is not an integer", arg)
	}
	if n <= 0 {
		return 0, s3err.Errorf(s3err.InvalidArgument, "%s must be a positive integer", what).With("ArgumentName", arg).With("ArgumentValue", strings.TrimSpace(*s))
	}
	return n, nil
}

func lcSize(s *string, name string) (*int64, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(*s), 10, 64)
	if err != nil {
		return nil, lcMalformed("%s is not an integer", name)
	}
	if n < 0 {
		return nil, s3err.Errorf(s3err.InvalidArgument, "%s should be a non-negative integer", name).With("ArgumentName", name).With("ArgumentValue", strings.TrimSpace(*s))
	}
	return &n, nil
}

func lcTags(in []lcTagIn) ([]lifecycle.Tag, error) {
	var out []lifecycle.Tag
	seen := map[string]bool{}
	for _, t := range in {
		if t.Key == nil || t.Value == nil {
			return nil, lcMalformed("Tag needs Key and Value")
		}
		k, v := *t.Key, *t.Value
		switch {
		case k == "":
			return nil, s3err.New(s3err.InvalidTag, "The TagKey you have provided is invalid")
		case len(k) > lifecycleTagKeyMax:
			return nil, s3err.New(s3err.InvalidTag, "The TagKey you have provided is too long, max 128")
		case len(v) > lifecycleTagValueMax:
			return nil, s3err.New(s3err.InvalidTag, "The TagValue you have provided is too long, max 256")
		case seen[k]:
			return nil, s3err.New(s3err.InvalidRequest, "Duplicate Tag Keys are not allowed.")
		}
		seen[k] = true
		out = append(out, lifecycle.Tag{Key: k, Value: v})
	}
	return out, nil
}

func parseLifecycleFilter(in *lcFilterIn) (lifecycle.Filter, error) {
	var f lifecycle.Filter
	n := 0
	for _, set := range []bool{in.Prefix != nil, len(in.Tags) > 0, in.And != nil, in.GT != nil, in.LT != nil} {
		if set {
			n++
		}
	}
	if n > 1 || len(in.Tags) > 1 {
		return f, lcMalformed("Filter must have exactly one of Prefix, Tag, And, ObjectSizeGreaterThan, ObjectSizeLessThan")
	}
	var err error
	switch {
	case in.Prefix != nil:
		f.Kind, f.Prefix = lifecycle.FilterPrefix, *in.Prefix
	case len(in.Tags) == 1:
		f.Kind = lifecycle.FilterTag
		f.Tags, err = lcTags(in.Tags)
	case in.GT != nil:
		f.Kind = lifecycle.FilterSizeGT
		f.SizeGreaterThan, err = lcSize(in.GT, "ObjectSizeGreaterThan")
	case in.LT != nil:
		f.Kind = lifecycle.FilterSizeLT
		f.SizeLessThan, err = lcSize(in.LT, "ObjectSizeLessThan")
	case in.And != nil:
		a := in.And
		f.Kind = lifecycle.FilterAnd
		n := len(a.Tags)
		for _, set := range []bool{a.Prefix != nil, a.GT != nil, a.LT != nil} {
			if set {
				n++
			}
		}
		if n < 2 {
			// And combines two or more predicates (AWS's schema).
			return f, lcMalformed("And must contain at least two conditions")
		}
		if a.Prefix != nil {
			f.Prefix = *a.Prefix
		}
		if f.Tags, err = lcTags(a.Tags); err != nil {
			return f, err
		}
		if a.GT != nil {
			if f.SizeGreaterThan, err = lcSize(a.GT, "ObjectSizeGreaterThan"); err != nil {
				return f, err
			}
		}
		if a.LT != nil {
			if f.SizeLessThan, err = lcSize(a.LT, "ObjectSizeLessThan"); err != nil {
				return f, err
			}
		}
	}
	if err != nil {
		return f, err
	}
	if f.SizeLessThan != nil && *f.SizeLessThan == 0 {
		return f, s3err.New(s3err.InvalidArgument, "ObjectSizeLessThan should be greater than 0").With("ArgumentName", "ObjectSizeLessThan").With("ArgumentValue", "0")
	}
	if f.SizeGreaterThan != nil && f.SizeLessThan != nil && *f.SizeGreaterThan >= *f.SizeLessThan {
		return f, s3err.Errorf(s3err.InvalidArgument, "ObjectSizeGreaterThan (%d) must be less than ObjectSizeLessThan (%d)", *f.SizeGreaterThan, *f.SizeLessThan).
			With("ArgumentName", "ObjectSizeGreaterThan")
	}
	return f, nil
}

func parseLifecycleRule(in *lcRuleIn) (lifecycle.Rule, error) {
	var r lifecycle.Rule
	if in.ID != nil {
		r.ID = *in.ID
	}
	if len(r.ID) > maxLifecycleRuleID {
		return r, s3err.New(s3err.InvalidArgument, "ID length should not exceed allowed limit of 255").With("ArgumentName", "ID").With("ArgumentValue", r.ID[:64]+"…")
	}
	if r.ID == "" {
		r.ID = newLifecycleRuleID()
	}
	if in.Status == nil {
		return r, lcMalformed("Rule without Status")
	}
	switch *in.Status {
	case "Enabled":
		r.Enabled = true
	case "Disabled":
	default:
		return r, lcMalformed("Status must be Enabled or Disabled")
	}
	switch {
	case in.Filter != nil && in.Prefix != nil:
		return r, lcMalformed("Rule with both Prefix and Filter")
	case in.Filter == nil && in.Prefix == nil:
		return r, lcMalformed("Rule needs a Filter or a Prefix")
	case in.Prefix != nil:
		r.LegacyPrefix = true
		r.Filter = lifecycle.Filter{Kind: lifecycle.FilterPrefix, Prefix: *in.Prefix}
	default:
		f, err := parseLifecycleFilter(in.Filter)
		if err != nil {
			return r, err
		}
		r.Filter = f
	}
	if len(in.Transitions) > 0 || len(in.NoncurrentVersionTransitions) > 0 {
		return r, s3err.New(s3err.InvalidStorageClass, "The storage class you specified is not valid: wormstore has one storage class (STANDARD), so Transition and NoncurrentVersionTransition actions are not supported")
	}
	if in.Expiration == nil && in.NoncurrentVersionExpiration == nil && in.AbortIncompleteMultipartUpload == nil {
		return r, s3err.New(s3err.InvalidRequest, "At least one action needs to be specified in a rule")
	}
	if e := in.Expiration; e != nil {
		var x lifecycle.Expiration
		n := 0
		if e.Days != nil {
			n++
			d, err := lcPositive(e.Days, "'Days' for Expiration action", "Days")
			if err != nil {
				return r, err
			}
			x.Days = d
		}
		if e.Date != nil {
			n++
			t, err := parseLifecycleDate(strings.TrimSpace(*e.Date))
			if err != nil {
				return r, err
			}
			x.Date = &t
		}
		if e.EODM != nil {
			n++
			switch strings.TrimSpace(*e.EODM) {
			case "true":
				b := true
				x.ExpiredObjectDeleteMarker = &b
			case "false":
				b := false
				x.ExpiredObjectDeleteMarker = &b
			default:
				return r, lcMalformed("ExpiredObjectDeleteMarker must be true or false")
			}
			if r.Filter.HasTagCondition() {
				return r, s3err.New(s3err.InvalidRequest, "ExpiredObjectDeleteMarker cannot be specified with Tags.")
			}
		}
		if n != 1 {
			return r, lcMalformed("Expiration needs exactly one of Days, Date and ExpiredObjectDeleteMarker")
		}
		r.Expiration = &x
	}
	if nc := in.NoncurrentVersionExpiration; nc != nil {
		if nc.NoncurrentDays == nil {
			return r, lcMalformed("NoncurrentVersionExpiration without NoncurrentDays")
		}
		var x lifecycle.NoncurrentExpiration
		var err error
		if x.NoncurrentDays, err = lcPositive(nc.NoncurrentDays, "'NoncurrentDays' for NoncurrentVersionExpiration action", "NoncurrentDays"); err != nil {
			return r, err
		}
		if nc.NewerNoncurrentVersions != nil {
			if x.NewerNoncurrentVersions, err = lcPositive(nc.NewerNoncurrentVersions, "'NewerNoncurrentVersions' for NoncurrentVersionExpiration action", "NewerNoncurrentVersions"); err != nil {
				return r, err
			}
			if x.NewerNoncurrentVersions > maxNewerNoncurrent {
				return r, s3err.Errorf(s3err.InvalidArgument, "'NewerNoncurrentVersions' for NoncurrentVersionExpiration action must not exceed %d", maxNewerNoncurrent).
					With("ArgumentName", "NewerNoncurrentVersions").With("ArgumentValue", strconv.Itoa(x.NewerNoncurrentVersions))
			}
		}
		r.NoncurrentExpiration = &x
	}
	if a := in.AbortIncompleteMultipartUpload; a != nil {
		if a.DaysAfterInitiation == nil {
			return r, lcMalformed("AbortIncompleteMultipartUpload without DaysAfterInitiation")
		}
		d, err := lcPositive(a.DaysAfterInitiation, "'DaysAfterInitiation' for AbortIncompleteMultipartUpload action", "DaysAfterInitiation")
		if err != nil {
			return r, err
		}
		if r.Filter.HasTagCondition() {
			return r, s3err.New(s3err.InvalidRequest, "AbortIncompleteMultipartUpload cannot be specified with Tags.")
		}
		if r.Filter.HasSizeCondition() {
			return r, s3err.New(s3err.InvalidRequest, "AbortIncompleteMultipartUpload cannot be specified with an object size filter.")
		}
		r.AbortIncompleteMultipartUploadDays = d
	}
	return r, nil
}

// parseLifecycleDate reads an ISO 8601 Date, which must be midnight UTC.
func parseLifecycleDate(s string) (time.Time, error) {
	var t time.Time
	var err error
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err = time.Parse(layout, s); err == nil {
			break
		}
	}
	if err != nil {
		return time.Time{}, s3err.New(s3err.InvalidArgument, "Invalid date: Date must be in ISO 8601 format").With("ArgumentName", "Date").With("ArgumentValue", s)
	}
	if t.Year() < 1970 || t.Year() > 9999 {
		return time.Time{}, s3err.New(s3err.InvalidArgument, "Invalid date: Date is out of range").With("ArgumentName", "Date").With("ArgumentValue", s)
	}
	u := t.UTC()
	if u.Hour() != 0 || u.Minute() != 0 || u.Second() != 0 || u.Nanosecond() != 0 {
		return time.Time{}, s3err.New(s3err.InvalidArgument, "'Date' must be at midnight GMT").With("ArgumentName", "Date").With("ArgumentValue", s)
	}
	return u, nil
}

// newLifecycleRuleID is the ID AWS gives a rule sent without one: a
// random base64 string.
func newLifecycleRuleID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return base64.StdEncoding.EncodeToString([]byte(hex.EncodeToString(b[:])))
}

// The response body of GetBucketLifecycleConfiguration.
type lcConfigOut struct {
	XMLName xml.Name    `xml:"http://s3.amazonaws.com/doc/2006-03-01/ LifecycleConfiguration"`
	Rules   []lcRuleOut `xml:"Rule"`
}

type lcTagOut struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

type lcAndOut struct {
	Prefix *string    `xml:"Prefix,omitempty"`
	Tags   []lcTagOut `xml:"Tag"`
	GT     *int64     `xml:"ObjectSizeGreaterThan,omitempty"`
	LT     *int64     `xml:"ObjectSizeLessThan,omitempty"`
}

type lcFilterOut struct {
	Prefix *string   `xml:"Prefix,omitempty"`
	Tag    *lcTagOut `xml:"Tag,omitempty"`
	And    *lcAndOut `xml:"And,omitempty"`
	GT     *int64    `xml:"ObjectSizeGreaterThan,omitempty"`
	LT     *int64    `xml:"ObjectSizeLessThan,omitempty"`
}

type lcExpOut struct {
	Date *string `xml:"Date,omitempty"`
	Days int     `xml:"Days,omitempty"`
	EODM *bool   `xml:"ExpiredObjectDeleteMarker,omitempty"`
}

type lcNoncurOut struct {
	NoncurrentDays          int `xml:"NoncurrentDays"`
	NewerNoncurrentVersions int `xml:"NewerNoncurrentVersions,omitempty"`
}

type lcAbortOut struct {
	DaysAfterInitiation int `xml:"DaysAfterInitiation"`
}

type lcRuleOut struct {
	ID                             string       `xml:"ID"`
	Prefix                         *string      `xml:"Prefix"`
	Filter                         *lcFilterOut `xml:"Filter"`
	Status                         string       `xml:"Status"`
	Expiration                     *lcExpOut    `xml:"Expiration"`
	NoncurrentVersionExpiration    *lcNoncurOut `xml:"NoncurrentVersionExpiration"`
	AbortIncompleteMultipartUpload *lcAbortOut  `xml:"AbortIncompleteMultipartUpload"`
}

func lifecycleXML(c *lifecycle.Configuration) lcConfigOut {
	out := lcConfigOut{}
	for _, r := range c.Rules {
		o := lcRuleOut{ID: r.ID, Status: "Disabled"}
		if r.Enabled {
			o.Status = "Enabled"
		}
		f := r.Filter
		tags := func() []lcTagOut {
			var ts []lcTagOut
			for _, t := range f.Tags {
				ts = append(ts, lcTagOut{Key: t.Key, Value: t.Value})
			}
			return ts
		}
		switch {
		case r.LegacyPrefix:
			p := f.Prefix
			o.Prefix = &p
		case f.Kind == lifecycle.FilterPrefix:
			p := f.Prefix
			o.Filter = &lcFilterOut{Prefix: &p}
		case f.Kind == lifecycle.FilterTag:
			o.Filter = &lcFilterOut{Tag: &tags()[0]}
		case f.Kind == lifecycle.FilterSizeGT:
			o.Filter = &lcFilterOut{GT: f.SizeGreaterThan}
		case f.Kind == lifecycle.FilterSizeLT:
			o.Filter = &lcFilterOut{LT: f.SizeLessThan}
		case f.Kind == lifecycle.FilterAnd:
			a := &lcAndOut{Tags: tags(), GT: f.SizeGreaterThan, LT: f.SizeLessThan}
			if f.Prefix != "" {
				p := f.Prefix
				a.Prefix = &p
			}
			o.Filter = &lcFilterOut{And: a}
		default:
			o.Filter = &lcFilterOut{}
		}
		if e := r.Expiration; e != nil {
			x := &lcExpOut{Days: e.Days, EODM: e.ExpiredObjectDeleteMarker}
			if e.Date != nil {
				d := e.Date.UTC().Format("2006-01-02T15:04:05.000Z")
				x.Date = &d
			}
			o.Expiration = x
		}
		if n := r.NoncurrentExpiration; n != nil {
			o.NoncurrentVersionExpiration = &lcNoncurOut{NoncurrentDays: n.NoncurrentDays, NewerNoncurrentVersions: n.NewerNoncurrentVersions}
		}
		if r.AbortIncompleteMultipartUploadDays > 0 {
			o.AbortIncompleteMultipartUpload = &lcAbortOut{DaysAfterInitiation: r.AbortIncompleteMultipartUploadDays}
		}
		out.Rules = append(out.Rules, o)
	}
	return out
}

// transitionMinSize checks x-amz-transition-default-minimum-object-size
// (accepted, with no effect: there are no transitions) and returns the
// value to answer with.
func (rq *request) transitionMinSize() (string, error) {
	v := rq.r.Header.Get(hdrTransitionMinSize)
	switch v {
	case "":
		return transitionMinSizeDefault, nil
	case "all_storage_classes_128K", "varies_by_storage_class":
		return v, nil
	}
	return "", s3err.Errorf(s3err.InvalidRequest, "Invalid value for %s: %s", hdrTransitionMinSize, v)
}

// putBucketLifecycleConfiguration is PutBucketLifecycleConfiguration:
// Content-MD5 or an x-amz-checksum-* is required, as AWS requires it.
func (rq *request) putBucketLifecycleConfiguration() error {
	if _, err := rq.s.eng.Bucket(rq.ctx, rq.bucket); err != nil {
		return bucketErr(err, rq.bucket)
	}
	minSize, err := rq.transitionMinSize()
	if err != nil {
		return err
	}
	data, err := rq.readXMLBody(true)
	if err != nil {
		return err
	}
	cfg, err := parseLifecycle(data)
	if err != nil {
		return err
	}
	doc, err := lifecycle.Encode(cfg)
	if err != nil {
		return err
	}
	if err := rq.s.eng.SetBucketConfig(rq.ctx, rq.bucket, engine.ConfigLifecycle, doc); err != nil {
		return bucketErr(err, rq.bucket)
	}
	rq.w.Header().Set(hdrTransitionMinSize, minSize)
	return rq.writeEmpty(http.StatusOK)
}

// getBucketLifecycleConfiguration is GetBucketLifecycleConfiguration.
func (rq *request) getBucketLifecycleConfiguration() error {
	bi, err := rq.s.eng.Bucket(rq.ctx, rq.bucket)
	if err != nil {
		return bucketErr(err, rq.bucket)
	}
	cfg, err := lifecycle.Decode(bi.Config(engine.ConfigLifecycle))
	if err != nil {
		return fmt.Errorf("s3api: lifecycle configuration of %s: %w", rq.bucket, err)
	}
	if cfg == nil {
		return s3err.New(s3err.NoSuchLifecycleConfiguration, "").With("BucketName", rq.bucket)
	}
	rq.w.Header().Set(hdrTransitionMinSize, transitionMinSizeDefault)
	return rq.writeXML(http.StatusOK, lifecycleXML(cfg))
}

// deleteBucketLifecycle is DeleteBucketLifecycle; 204 also when there was
// none, as on AWS.
func (rq *request) deleteBucketLifecycle() error {
	bi, err := rq.s.eng.Bucket(rq.ctx, rq.bucket)
	if err != nil {
		return bucketErr(err, rq.bucket)
	}
	if bi.Config(engine.ConfigLifecycle) != "" {
		if err := rq.s.eng.SetBucketConfig(rq.ctx, rq.bucket, engine.ConfigLifecycle, nil); err != nil {
			return bucketErr(err, rq.bucket)
		}
	}
	return rq.writeEmpty(http.StatusNoContent)
}

// setExpiration adds x-amz-expiration (expiry-date, rule-id) to the answer
// of a write or a GET/HEAD of the current version of a bucket with an
// Expiration rule selecting it, as AWS does. A configuration that does not
// decode adds nothing here (the worker reports it).
func (rq *request) setExpiration(info *engine.ObjectInfo) {
	if info == nil || !info.IsLatest || info.DeleteMarker {
		return
	}
	bi, err := rq.s.eng.Bucket(rq.ctx, rq.bucket)
	if err != nil || bi.Config(engine.ConfigLifecycle) == "" {
		return
	}
	cfg, err := lifecycle.Decode(bi.Config(engine.ConfigLifecycle))
	if err != nil {
		return
	}
	at, rule, ok := cfg.CurrentExpiry(info.Key, info.Size, info.Tags, info.ModTime)
	if !ok {
		return
	}
	rq.w.Header().Set("x-amz-expiration", fmt.Sprintf(`expiry-date="%s", rule-id="%s"`,
		at.UTC().Format(http.TimeFormat), strings.ReplaceAll(rule, `"`, `\"`)))
}
