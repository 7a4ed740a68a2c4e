package s3api

import (
	"encoding/xml"
	"errors"
	"maps"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/wormstore/wormstore/engine"
	"github.com/wormstore/wormstore/gate"
	"github.com/wormstore/wormstore/s3api/s3err"
	"github.com/wormstore/wormstore/s3api/s3xml"
)

// AWS's tagging limits.
const (
	maxObjectTags   = 10
	maxBucketTags   = 50
	maxTagKeyLen    = 128 // UTF-16 code units
	maxTagValueLen  = 256 // UTF-16 code units
	reservedTagPfx  = "aws:"
	taggingHeader   = "x-amz-tagging"
	taggingCountHdr = "x-amz-tagging-count"
)

// utf16Len is the length of s in UTF-16 code units, the unit of AWS's tag
// limits.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += max(utf16.RuneLen(r), 1)
	}
	return n
}

// validTagChars reports whether s has only the characters AWS allows in
// tags: Unicode letters, digits, white space and + - = . _ : / @.
func validTagChars(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		switch {
		case unicode.IsLetter(r), unicode.IsDigit(r), unicode.IsSpace(r), unicode.IsMark(r):
		case strings.ContainsRune("+-=._:/@", r):
		default:
			return false
		}
	}
	return true
}

// invalidTag is AWS's InvalidTag error with one of its messages.
func invalidTag(msg string) error { return s3err.New(s3err.InvalidTag, msg) }

// checkTags validates a tag set as AWS does and returns it as a map: at
// most max tags, no duplicate keys, keys of 1 to 128 and values of at most
// 256 UTF-16 units of the allowed characters, no "aws:" key prefix.
func checkTags(tags []s3xml.Tag, max int, bucket bool) (map[string]string, error) {
	if len(tags) > max {
		if bucket {
			return nil, invalidTag("Bucket tag count cannot be greater than " + strconv.Itoa(max))
		}
		return nil, invalidTag("Object tags cannot be greater than " + strconv.Itoa(max))
	}
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		switch {
		case utf16Len(t.Key) > maxTagKeyLen:
			return nil, invalidTag("The TagKey you have provided is too long, max " + strconv.Itoa(maxTagKeyLen))
		case utf16Len(t.Value) > maxTagValueLen:
			return nil, invalidTag("The TagValue you have provided is too long, max " + strconv.Itoa(maxTagValueLen))
		case t.Key == "" || !validTagChars(t.Key):
			return nil, invalidTag("The TagKey you have provided is invalid")
		case !validTagChars(t.Value):
			return nil, invalidTag("The TagValue you have provided is invalid")
		case strings.HasPrefix(strings.ToLower(t.Key), reservedTagPfx):
			return nil, invalidTag("Your TagKey cannot be prefixed with aws:")
		}
		if _, dup := m[t.Key]; dup {
			return nil, invalidTag("Cannot provide multiple Tags with the same key")
		}
		m[t.Key] = t.Value
	}
	return m, nil
}

// parseTaggingHeader parses x-amz-tagging ("k1=v1&k2=v2", URL-encoded as
// a query string). ok is false when the header is absent.
func parseTaggingHeader(v string) (tags map[string]string, ok bool, err error) {
	if v == "" {
		return nil, false, nil
	}
	bad := s3err.New(s3err.InvalidArgument, "The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates.").
		With("ArgumentName", taggingHeader).With("ArgumentValue", v)
	var list []s3xml.Tag
	seen := map[string]bool{}
	for part := range strings.SplitSeq(v, "&") {
		if part == "" {
			continue
		}
		k, val, _ := strings.Cut(part, "=")
		key, err1 := url.QueryUnescape(k)
		value, err2 := url.QueryUnescape(val)
		if err1 != nil || err2 != nil || seen[key] {
			return nil, true, bad
		}
		seen[key] = true
		list = append(list, s3xml.Tag{Key: key, Value: value})
	}
	m, err := checkTags(list, maxObjectTags, false)
	return m, true, err
}

// encodeTagging renders tags as a Tagging document, keys sorted.
func encodeTagging(tags map[string]string) s3xml.Tagging {
	var out s3xml.Tagging
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		out.TagSet.Tags = append(out.TagSet.Tags, s3xml.Tag{Key: k, Value: tags[k]})
	}
	return out
}

// requestTags reads x-amz-tagging of PutObject, CopyObject (with
// x-amz-tagging-directive REPLACE) or CreateMultipartUpload into opts.
// It is the handlers' one hook for tags and ACL headers: the canned ACL and
// grant headers are checked here too (ACLs are BucketOwnerEnforced).
func (rq *request) requestTags(opts *engine.PutOptions) error {
	if err := rq.checkObjectACLHeaders(); err != nil {
		return err
	}
	tags, ok, err := parseTaggingHeader(rq.r.Header.Get(taggingHeader))
	if err != nil || !ok {
		return err
	}
	opts.Tags = tags
	return nil
}

// copyTags applies x-amz-tagging-directive to a CopyObject: COPY (the
// default) keeps the source version's tags, REPLACE takes x-amz-tagging.
func (rq *request) copyTags(src *engine.ObjectInfo, opts *engine.PutOptions) error {
	h := rq.r.Header
	switch d := h.Get("x-amz-tagging-directive"); d {
	case "", "COPY":
		if err := rq.checkObjectACLHeaders(); err != nil {
			return err
		}
		opts.Tags = maps.Clone(src.Tags)
		return nil
	case "REPLACE":
		return rq.requestTags(opts)
	default:
		return s3err.New(s3err.InvalidArgument, "Unknown tagging directive.").With("ArgumentName", "x-amz-tagging-directive").With("ArgumentValue", d)
	}
}

// setTaggingCount adds x-amz-tagging-count to a GET/HEAD response of a
// version with tags.
func (rq *request) setTaggingCount(info *engine.ObjectInfo) {
	if n := len(info.Tags); n > 0 {
		rq.w.Header().Set(taggingCountHdr, strconv.Itoa(n))
	}
}

// existingTags returns the tags of the version a request acts on, for
// s3:ExistingObjectTag/<k>; nil when it has none or does not exist (the
// handler then answers the error).
func (rq *request) existingTags(bucket, key, versionID string) map[string]string {
	tags, _, err := rq.s.eng.GetObjectTagging(rq.ctx, bucket, key, versionID)
	if err != nil {
		return nil
	}
	return tags
}

// existingTagOps are the operations whose authorization sees
// s3:ExistingObjectTag/<k> (the service authorization reference's list for
// the actions wormstore has).
var existingTagOps = map[string]bool{
	"GetObject": true, "HeadObject": true, "GetObjectTagging": true, "PutObjectTagging": true,
	"DeleteObjectTagging": true, "GetObjectAcl": true, "PutObjectAcl": true, "GetObjectRetention": true,
	"PutObjectRetention": true, "GetObjectLegalHold": true, "PutObjectLegalHold": true, "GetObjectAttributes": true,
}

// tagCond returns the tagging condition keys of a request for op:
// s3:ExistingObjectTag/<k> for the version acted on, and, for operations
// writing tags, s3:RequestObjectTag/<k> and s3:RequestObjectTagKeys from
// x-amz-tagging. It is empty for root (no policy is evaluated).
func (rq *request) tagCond(op string) (map[string][]string, error) {
	var existing, requested map[string]string
	if existingTagOps[op] && rq.key != "" {
		existing = rq.existingTags(rq.bucket, rq.key, rq.query.Get("versionId"))
	}
	switch op {
	case "PutObject", "CreateMultipartUpload", "PostObject":
		tags, ok, err := parseTaggingHeader(rq.r.Header.Get(taggingHeader))
		if err != nil {
			return nil, err
		}
		if ok {
			requested = tags
			if requested == nil {
				requested = map[string]string{}
			}
		}
	case "CopyObject":
		if rq.r.Header.Get("x-amz-tagging-directive") == "REPLACE" {
			tags, _, err := parseTaggingHeader(rq.r.Header.Get(taggingHeader))
			if err != nil {
				return nil, err
			}
			requested = tags
			if requested == nil {
				requested = map[string]string{}
			}
		}
	}
	return gate.TagCond(existing, requested), nil
}

// writesTags reports whether a PutObject, CopyObject or
// CreateMultipartUpload sets tags explicitly, which needs
// s3:PutObjectTagging too (AWS: "To use tagging with PutObject you must
// have s3:PutObjectTagging").
func (rq *request) writesTags(op string) bool {
	h := rq.r.Header
	switch op {
	case "PutObject", "CreateMultipartUpload", "PostObject":
		return h.Get(taggingHeader) != ""
	case "CopyObject":
		return h.Get("x-amz-tagging-directive") == "REPLACE" && h.Get(taggingHeader) != ""
	}
	return false
}

// tagErr maps a tagging call's error: without a version id, a current
// delete marker is NoSuchKey (as GetObject answers), with one it is
// MethodNotAllowed.
func tagErr(err error, bucket, key, versionID string) error {
	var dm *engine.DeleteMarkerError
	if versionID == "" && errors.As(err, &dm) {
		return s3err.New(s3err.NoSuchKey, "").With("Key", key).
			WithHeader("x-amz-delete-marker", "true").WithHeader("x-amz-version-id", dm.VersionID)
	}
	return objectErr(err, bucket, key)
}

// putObjectTagging is PutObjectTagging: the body's tag set replaces the
// version's (allowed under retention and legal hold: tags are metadata).
func (rq *request) putObjectTagging() error {
	data, err := rq.readXMLBody(true)
	if err != nil {
		return err
	}
	list, err := s3xml.DecodeTagging(data)
	if err != nil {
		return err
	}
	tags, err := checkTags(list, maxObjectTags, false)
	if err != nil {
		return err
	}
	if err := rq.authorizeTagging(tags); err != nil {
		return err
	}
	vid, err := rq.s.eng.PutObjectTagging(rq.ctx, rq.bucket, rq.key, rq.query.Get("versionId"), tags)
	if err != nil {
		return tagErr(err, rq.bucket, rq.key, rq.query.Get("versionId"))
	}
	rq.setVersionHeader(vid)
	return rq.writeEmpty(http.StatusOK)
}

// authorizeTagging checks PutObjectTagging once its body is parsed: the
// request's tags are condition keys (s3:RequestObjectTag/<k>,
// s3:RequestObjectTagKeys), beside the existing version's.
func (rq *request) authorizeTagging(tags map[string]string) error {
	if rq.isRoot() {
		return nil
	}
	vid := rq.query.Get("versionId")
	requested := tags
	if requested == nil {
		requested = map[string]string{}
	}
	return rq.require(gate.Check{
		Action: rq.s.gate.Op(rq.effectiveOp()).ActionFor(vid != ""), Bucket: rq.bucket, Resource: rq.resource(),
		VersionID: vid, Cond: gate.TagCond(rq.existingTags(rq.bucket, rq.key, vid), requested),
	})
}

// getObjectTagging is GetObjectTagging: the version's tag set.
func (rq *request) getObjectTagging() error {
	tags, vid, err := rq.s.eng.GetObjectTagging(rq.ctx, rq.bucket, rq.key, rq.query.Get("versionId"))
	if err != nil {
		return tagErr(err, rq.bucket, rq.key, rq.query.Get("versionId"))
	}
	rq.setVersionHeader(vid)
	return rq.writeXML(http.StatusOK, encodeTagging(tags))
}

// deleteObjectTagging is DeleteObjectTagging: 204, also when the version
// had no tags.
func (rq *request) deleteObjectTagging() error {
	vid, err := rq.s.eng.PutObjectTagging(rq.ctx, rq.bucket, rq.key, rq.query.Get("versionId"), nil)
	if err != nil {
		return tagErr(err, rq.bucket, rq.key, rq.query.Get("versionId"))
	}
	rq.setVersionHeader(vid)
	return rq.writeEmpty(http.StatusNoContent)
}

// putBucketTagging is PutBucketTagging: up to 50 tags, stored as the
// bucket's tagging document.
func (rq *request) putBucketTagging() error {
	if _, err := rq.s.eng.Bucket(rq.ctx, rq.bucket); err != nil {
		return bucketErr(err, rq.bucket)
	}
	data, err := rq.readXMLBody(true)
	if err != nil {
		return err
	}
	list, err := s3xml.DecodeTagging(data)
	if err != nil {
		return err
	}
	tags, err := checkTags(list, maxBucketTags, true)
	if err != nil {
		return err
	}
	doc, err := xml.Marshal(encodeTagging(tags))
	if err != nil {
		return err
	}
	if len(tags) == 0 {
		doc = nil // an empty tag set removes the tags, as AWS
	}
	if err := rq.s.eng.SetBucketConfig(rq.ctx, rq.bucket, engine.ConfigTagging, doc); err != nil {
		return bucketErr(err, rq.bucket)
	}
	return rq.writeEmpty(http.StatusNoContent)
}

// getBucketTagging is GetBucketTagging; NoSuchTagSet when the bucket has
// none.
func (rq *request) getBucketTagging() error {
	bi, err := rq.s.eng.Bucket(rq.ctx, rq.bucket)
	if err != nil {
		return bucketErr(err, rq.bucket)
	}
	doc := bi.Config(engine.ConfigTagging)
	if doc == "" {
		return s3err.New(s3err.NoSuchTagSet, "").With("BucketName", rq.bucket)
	}
	return rq.writeRawXML(doc)
}

// deleteBucketTagging is DeleteBucketTagging: 204, also when there were
// none.
func (rq *request) deleteBucketTagging() error {
	if _, err := rq.s.eng.Bucket(rq.ctx, rq.bucket); err != nil {
		return bucketErr(err, rq.bucket)
	}
	if err := rq.s.eng.SetBucketConfig(rq.ctx, rq.bucket, engine.ConfigTagging, nil); err != nil {
		return bucketErr(err, rq.bucket)
	}
	return rq.writeEmpty(http.StatusNoContent)
}

// writeRawXML answers 200 with a stored XML document (without its
// declaration), prefixed by the XML declaration.
func (rq *request) writeRawXML(doc string) error {
	h := rq.w.Header()
	h.Set("Content-Type", "application/xml")
	h.Set("Content-Length", strconv.Itoa(len(xml.Header)+len(doc)))
	rq.w.WriteHeader(http.StatusOK)
	if _, err := rq.w.Write([]byte(xml.Header + doc)); err != nil {
		return err
	}
	return nil
}
