package s3api

import (
	"net/http"
	"strings"
	"time"

	"github.com/wormstore/wormstore/engine"
	"github.com/wormstore/wormstore/s3api/s3err"
	"github.com/wormstore/wormstore/s3api/s3xml"
	"github.com/wormstore/wormstore/s3api/sigv4"
)

// maxUserMetadata is S3's limit on the user metadata of one object: the
// sum of key (without "x-amz-meta-") and value lengths.
const maxUserMetadata = 2 << 10

// storedHeaders are the standard headers kept with an object and returned
// on GET/HEAD, by canonical name.
func storedHeaders() []string {
	return []string{"Cache-Control", "Content-Disposition", "Content-Encoding", "Content-Language", "Expires"}
}

// knownStorageClasses are accepted in x-amz-storage-class; every object is
// stored the same way and reported as STANDARD.
func knownStorageClass(s string) bool {
	switch s {
	case "", "STANDARD", "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING",
		"GLACIER", "DEEP_ARCHIVE", "OUTPOSTS", "GLACIER_IR", "SNOW", "EXPRESS_ONEZONE":
		return true
	}
	return false
}

// checkUnsupportedHeaders refuses requests asking for features wormstore
// does not have, rather than silently ignoring them: server-side
// encryption and unknown storage classes.
func checkUnsupportedHeaders(h http.Header) error {
	for _, name := range []string{
		"x-amz-server-side-encryption", "x-amz-server-side-encryption-customer-algorithm",
		"x-amz-server-side-encryption-aws-kms-key-id", "x-amz-copy-source-server-side-encryption-customer-algorithm",
	} {
		if h.Get(name) != "" {
			return s3err.Errorf(s3err.NotImplemented, "Server-side encryption (%s) is not implemented", name)
		}
	}
	if sc := h.Get("x-amz-storage-class"); !knownStorageClass(sc) {
		return s3err.New(s3err.InvalidStorageClass, "").With("StorageClassRequested", sc)
	}
	return nil
}

// objectMetadata reads content type, user metadata and the stored standard
// headers from a request into opts.
func objectMetadata(h http.Header, opts *engine.PutOptions) error {
	opts.ContentType = h.Get("Content-Type")
	size := 0
	for k, vs := range h {
		lk := strings.ToLower(k)
		name, ok := strings.CutPrefix(lk, "x-amz-meta-")
		if !ok || name == "" {
			continue
		}
		if opts.UserMeta == nil {
			opts.UserMeta = map[string]string{}
		}
		v := strings.Join(vs, ",")
		opts.UserMeta[name] = v
		size += len(name) + len(v)
	}
	if size > maxUserMetadata {
		return s3err.New(s3err.MetadataTooLarge, "").With("MaxSizeAllowed", "2048")
	}
	if err := websiteRedirect(h, opts); err != nil {
		return err
	}
	for _, name := range storedHeaders() {
		v := h.Get(name)
		if name == "Content-Encoding" {
			v = sigv4.StripAWSChunked(v)
		}
		if v == "" {
			continue
		}
		if opts.Headers == nil {
			opts.Headers = map[string]string{}
		}
		opts.Headers[name] = v
	}
	return nil
}

// websiteRedirectHeader is the stored header of
// x-amz-website-redirect-location (kept in the version's headers, returned
// on GET and HEAD).
const websiteRedirectHeader = "X-Amz-Website-Redirect-Location"

// maxWebsiteRedirect is S3's limit on x-amz-website-redirect-location.
const maxWebsiteRedirect = 2 << 10

// websiteRedirect validates and stores x-amz-website-redirect-location:
// as AWS, the value must start with "/", "http://" or "https://" and be
// at most 2 KiB, else 400 InvalidRedirectLocation.
func websiteRedirect(h http.Header, opts *engine.PutOptions) error {
	vs, ok := h[websiteRedirectHeader]
	if !ok {
		return nil
	}
	v := strings.Join(vs, ",")
	if err := validRedirectLocation(v); err != nil {
		return err
	}
	if opts.Headers == nil {
		opts.Headers = map[string]string{}
	}
	opts.Headers[websiteRedirectHeader] = v
	return nil
}

// validRedirectLocation applies S3's rule for website redirect locations.
func validRedirectLocation(v string) error {
	if len(v) > maxWebsiteRedirect {
		return s3err.New(s3err.InvalidRedirectLocation, "The website redirect location must have a length less than or equal to 2048 characters.")
	}
	if !strings.HasPrefix(v, "/") && !strings.HasPrefix(v, "http://") && !strings.HasPrefix(v, "https://") {
		return s3err.New(s3err.InvalidRedirectLocation, "The website redirect location must have a prefix of 'http://' or 'https://' or '/'.")
	}
	return nil
}

// lockOptions reads x-amz-object-lock-mode, -retain-until-date and
// -legal-hold into opts. It reports whether any was present.
func lockOptions(h http.Header, opts *engine.PutOptions) (bool, error) {
	mode := h.Get("x-amz-object-lock-mode")
	until := h.Get("x-amz-object-lock-retain-until-date")
	hold := h.Get("x-amz-object-lock-legal-hold")
	if (mode == "") != (until == "") {
		return false, s3err.New(s3err.InvalidArgument, "x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied")
	}
	present := false
	if mode != "" {
		m := engine.Mode(mode)
		if !m.Valid() {
			return false, s3err.New(s3err.InvalidArgument, "Unknown wormMode directive.").
				With("ArgumentName", "x-amz-object-lock-mode").With("ArgumentValue", mode)
		}
		t, err := s3xml.ParseTime(until)
		if err != nil {
			return false, s3err.New(s3err.InvalidArgument, "The retain until date must be provided in ISO 8601 format").
				With("ArgumentName", "x-amz-object-lock-retain-until-date").With("ArgumentValue", until)
		}
		opts.Retention = &engine.Retention{Mode: m, Until: t}
		present = true
	}
	switch hold {
	case "":
	case "ON":
		opts.LegalHold, present = true, true
	case "OFF":
		present = true
	default:
		return false, s3err.New(s3err.InvalidArgument, "Legal Hold must be either of 'ON' or 'OFF'").
			With("ArgumentName", "x-amz-object-lock-legal-hold").With("ArgumentValue", hold)
	}
	return present, nil
}

// hasIntegrity reports whether a request carries an integrity signal for
// its payload: Content-MD5, an x-amz-checksum-* header or trailer, or a
// payload covered by the signature (signed SHA-256 or signed chunks).
func (rq *request) hasIntegrity() (bool, error) {
	cr, err := rq.auth.ChecksumRequest()
	if err != nil {
		return false, err
	}
	if cr.ContentMD5 != nil || cr.Algorithm != "" {
		return true, nil
	}
	switch rq.auth.PayloadMode {
	case sigv4.SignedSHA256, sigv4.StreamingSigned, sigv4.StreamingSignedTrailer:
		return true, nil
	}
	return false, nil
}

// setObjectHeaders sets the headers describing a version on a GET/HEAD
// response (or the metadata part of one).
func (rq *request) setObjectHeaders(info *engine.ObjectInfo) {
	h := rq.w.Header()
	ct := info.ContentType
	if ct == "" {
		ct = "binary/octet-stream"
	}
	h.Set("Content-Type", ct)
	h.Set("ETag", quoteETag(info.ETag))
	h.Set("Last-Modified", info.ModTime.UTC().Format(http.TimeFormat))
	h.Set("Accept-Ranges", "bytes")
	for k, v := range info.UserMeta {
		// As AWS: the name as stored (lower case), not canonicalised,
		// so clients that show header names show "foo", not "Foo".
		h["x-amz-meta-"+k] = []string{v}
	}
	for k, v := range info.Headers {
		h.Set(k, v)
	}
	rq.setVersionHeader(info.VersionID)
	setLockHeaders(h, info.Lock)
}

// setLockHeaders adds the x-amz-object-lock-* headers of a version.
func setLockHeaders(h http.Header, l engine.LockState) {
	if l.Retention.Mode.Valid() {
		h.Set("x-amz-object-lock-mode", string(l.Retention.Mode))
		h.Set("x-amz-object-lock-retain-until-date", s3xml.FormatTime(l.Retention.Until))
	}
	if l.LegalHoldSet {
		st := "OFF"
		if l.LegalHold {
			st = "ON"
		}
		h.Set("x-amz-object-lock-legal-hold", st)
	}
}

// setChecksumHeaders adds x-amz-checksum-<alg> and x-amz-checksum-type.
func setChecksumHeaders(h http.Header, sums map[string]string, typ string) {
	for alg, v := range sums {
		a, ok := sigv4.ParseAlgorithm(alg)
		if !ok {
			continue
		}
		h.Set(a.HeaderName(), v)
	}
	if len(sums) > 0 && typ != "" {
		h.Set("x-amz-checksum-type", typ)
	}
}

// responseOverrides applies the response-* query parameters of GetObject.
func (rq *request) responseOverrides() {
	h := rq.w.Header()
	for _, o := range [][2]string{
		{"response-content-type", "Content-Type"},
		{"response-content-language", "Content-Language"},
		{"response-expires", "Expires"},
		{"response-cache-control", "Cache-Control"},
		{"response-content-disposition", "Content-Disposition"},
		{"response-content-encoding", "Content-Encoding"},
	} {
		if v := rq.query.Get(o[0]); v != "" {
			h.Set(o[1], v)
		}
	}
}

// conditions evaluates If-Match, If-Unmodified-Since, If-None-Match and
// If-Modified-Since (RFC 9110 §13.2.2 order, as S3): a failing If-Match
// or If-Unmodified-Since is 412; a failing If-None-Match or
// If-Modified-Since is 304 (412 when copy is set, for the
// x-amz-copy-source-if-* headers). If-Unmodified-Since is ignored when
// If-Match is present, If-Modified-Since when If-None-Match is.
func conditions(ifMatch, ifNoneMatch, ifModSince, ifUnmodSince string, etag string, mod time.Time, copy bool) *s3err.Error {
	mod = mod.Truncate(time.Second)
	fail := func(cond string) *s3err.Error {
		return s3err.New(s3err.PreconditionFailed, "").With("Condition", cond)
	}
	notModified := func(cond string) *s3err.Error {
		if copy {
			return fail(cond)
		}
		e := s3err.New(s3err.NotModified, "")
		e.WithHeader("ETag", quoteETag(etag))
		e.WithHeader("Last-Modified", mod.UTC().Format(http.TimeFormat))
		return e
	}
	if ifMatch != "" {
		if !etagMatches(ifMatch, etag) {
			return fail("If-Match")
		}
	} else if ifUnmodSince != "" {
		if t, err := http.ParseTime(ifUnmodSince); err == nil && mod.After(t) {
			return fail("If-Unmodified-Since")
		}
	}
	if ifNoneMatch != "" {
		if etagMatches(ifNoneMatch, etag) {
			return notModified("If-None-Match")
		}
	} else if ifModSince != "" {
		if t, err := http.ParseTime(ifModSince); err == nil && !mod.After(t) {
			return notModified("If-Modified-Since")
		}
	}
	return nil
}

// etagMatches reports whether a comma-separated list of entity tags (or
// "*") names etag. Weak tags compare by their opaque value.
func etagMatches(list, etag string) bool {
	for t := range strings.SplitSeq(list, ",") {
		t = strings.TrimSpace(t)
		if t == "*" {
			return true
		}
		t = strings.TrimPrefix(t, "W/")
		if strings.Trim(t, `"`) == etag {
			return true
		}
	}
	return false
}
