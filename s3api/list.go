package s3api

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"

	"github.com/wormstore/wormstore/engine"
	"github.com/wormstore/wormstore/s3api/s3err"
	"github.com/wormstore/wormstore/s3api/s3xml"
)

// keyEncoder applies encoding-type=url to key-ish response fields.
type keyEncoder bool

// newKeyEncoder checks the encoding-type parameter.
func (rq *request) keyEncoder() (keyEncoder, error) {
	switch v := rq.query.Get("encoding-type"); v {
	case "":
		return false, nil
	case "url":
		return true, nil
	default:
		return false, s3err.New(s3err.InvalidArgument, "Invalid Encoding Method specified in Request").With("ArgumentName", "encoding-type").With("ArgumentValue", v)
	}
}

// enc URL-encodes s when encoding-type=url: every byte but the unreserved
// characters and '/' becomes %XX (so '+' and ' ' survive both unquote and
// unquote_plus on the client).
func (e keyEncoder) enc(s string) string {
	if !e {
		return s
	}
	var b strings.Builder
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' || c == '/' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

func (e keyEncoder) name() string {
	if e {
		return "url"
	}
	return ""
}

// maxKeys parses a max-keys style parameter: default 1000, capped at 1000.
func (rq *request) maxKeys(param string) (int, error) {
	v := rq.query.Get(param)
	if v == "" {
		return engine.MaxListKeys, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, s3err.Errorf(s3err.InvalidArgument, "Provided %s not an integer or within integer range", param).
			With("ArgumentName", param).With("ArgumentValue", v)
	}
	return min(n, engine.MaxListKeys), nil
}

func (rq *request) objectEntry(enc keyEncoder, o *engine.ObjectInfo, owner *s3xml.Owner) s3xml.ObjectEntry {
	e := s3xml.ObjectEntry{
		Key: enc.enc(o.Key), LastModified: s3xml.FormatTime(o.ModTime), ETag: quoteETag(o.ETag),
		Size: o.Size, StorageClass: "STANDARD", Owner: owner,
	}
	for alg := range o.Checksums {
		e.ChecksumAlgorithm, e.ChecksumType = alg, o.ChecksumType
	}
	return e
}

func commonPrefixes(enc keyEncoder, ps []string) []s3xml.CommonPrefix {
	out := make([]s3xml.CommonPrefix, len(ps))
	for i, p := range ps {
		out[i] = s3xml.CommonPrefix{Prefix: enc.enc(p)}
	}
	return out
}

// listObjects is ListObjects (V1) or, with list-type=2, ListObjectsV2.
func (rq *request) listObjects() error {
	v2 := false
	switch lt := rq.query.Get("list-type"); lt {
	case "":
	case "2":
		v2 = true
		rq.op = "ListObjectsV2"
	default:
		return s3err.New(s3err.InvalidArgument, "Invalid List Type specified in Request").With("ArgumentName", "list-type").With("ArgumentValue", lt)
	}
	enc, err := rq.keyEncoder()
	if err != nil {
		return err
	}
	max, err := rq.maxKeys("max-keys")
	if err != nil {
		return err
	}
	prefix, delim := rq.query.Get("prefix"), rq.query.Get("delimiter")
	opts := engine.ListOptions{Prefix: prefix, Delimiter: delim, MaxKeys: max}
	token, startAfter := "", ""
	if v2 {
		startAfter = rq.query.Get("start-after")
		opts.After = startAfter
		if _, ok := rq.query["continuation-token"]; ok {
			token = rq.query.Get("continuation-token")
			b, err := base64.RawURLEncoding.DecodeString(token)
			if err != nil || len(b) == 0 {
				return s3err.New(s3err.InvalidArgument, "The continuation token provided is incorrect").
					With("ArgumentName", "continuation-token").With("ArgumentValue", token)
			}
			opts.After = string(b)
		}
	} else {
		opts.After = rq.query.Get("marker")
	}
	var res *engine.ListResult
	if max == 0 {
		if _, err := rq.s.eng.Bucket(rq.ctx, rq.bucket); err != nil {
			return bucketErr(err, rq.bucket)
		}
		res = &engine.ListResult{}
	} else if res, err = rq.s.eng.ListObjects(rq.ctx, rq.bucket, opts); err != nil {
		return bucketErr(err, rq.bucket)
	}
	res = rq.withSOSAPIEntries(res, opts)
	var owner *s3xml.Owner
	if !v2 || rq.query.Get("fetch-owner") == "true" {
		o := rq.owner()
		owner = &o
	}
	contents := make([]s3xml.ObjectEntry, len(res.Objects))
	for i := range res.Objects {
		contents[i] = rq.objectEntry(enc, &res.Objects[i], owner)
	}
	if v2 {
		out := s3xml.ListBucketResultV2{
			Name: rq.bucket, Prefix: enc.enc(prefix), Delimiter: enc.enc(delim), MaxKeys: max,
			KeyCount: len(res.Objects) + len(res.CommonPrefixes), IsTruncated: res.IsTruncated,
			EncodingType: enc.name(), ContinuationToken: token, StartAfter: enc.enc(startAfter),
			Contents: contents, CommonPrefixes: commonPrefixes(enc, res.CommonPrefixes),
		}
		if res.IsTruncated {
			out.NextContinuationToken = base64.RawURLEncoding.EncodeToString([]byte(res.NextAfter))
		}
		return rq.writeXML(http.StatusOK, out)
	}
	out := s3xml.ListBucketResult{
		Name: rq.bucket, Prefix: enc.enc(prefix), Marker: enc.enc(rq.query.Get("marker")), MaxKeys: max,
		Delimiter: enc.enc(delim), IsTruncated: res.IsTruncated, EncodingType: enc.name(),
		Contents: contents, CommonPrefixes: commonPrefixes(enc, res.CommonPrefixes),
	}
	if res.IsTruncated {
		out.NextMarker = enc.enc(res.NextAfter)
	}
	return rq.writeXML(http.StatusOK, out)
}

// listObjectVersions is ListObjectVersions.
func (rq *request) listObjectVersions() error {
	enc, err := rq.keyEncoder()
	if err != nil {
		return err
	}
	max, err := rq.maxKeys("max-keys")
	if err != nil {
		return err
	}
	q := rq.query
	opts := engine.VersionListOptions{
		Prefix: q.Get("prefix"), Delimiter: q.Get("delimiter"),
		KeyMarker: q.Get("key-marker"), VersionIDMarker: q.Get("version-id-marker"), MaxKeys: max,
	}
	if opts.VersionIDMarker != "" && opts.KeyMarker == "" {
		return s3err.New(s3err.InvalidArgument, "A version-id marker cannot be specified without a key marker.").
			With("ArgumentName", "version-id-marker").With("ArgumentValue", opts.VersionIDMarker)
	}
	var res *engine.VersionListResult
	if max == 0 {
		if _, err := rq.s.eng.Bucket(rq.ctx, rq.bucket); err != nil {
			return bucketErr(err, rq.bucket)
		}
		res = &engine.VersionListResult{}
	} else if res, err = rq.s.eng.ListVersions(rq.ctx, rq.bucket, opts); err != nil {
		return bucketErr(err, rq.bucket)
	}
	owner := rq.owner()
	out := s3xml.ListVersionsResult{
		Name: rq.bucket, Prefix: enc.enc(opts.Prefix), KeyMarker: enc.enc(opts.KeyMarker),
		VersionIDMarker: opts.VersionIDMarker, MaxKeys: max, Delimiter: enc.enc(opts.Delimiter),
		IsTruncated: res.IsTruncated, EncodingType: enc.name(),
		CommonPrefixes: commonPrefixes(enc, res.CommonPrefixes),
	}
	if res.IsTruncated {
		out.NextKeyMarker = enc.enc(res.NextKeyMarker)
		out.NextVersionIDMarker = res.NextVersionIDMarker
	}
	for i := range res.Versions {
		v := &res.Versions[i]
		e := s3xml.VersionEntry{
			Key: enc.enc(v.Key), VersionID: v.VersionID, IsLatest: v.IsLatest,
			LastModified: s3xml.FormatTime(v.ModTime), Owner: &owner,
		}
		if v.DeleteMarker {
			e.XMLName.Local = "DeleteMarker"
		} else {
			e.XMLName.Local = "Version"
			e.ETag = quoteETag(v.ETag)
			size := v.Size
			e.Size = &size
			e.StorageClass = "STANDARD"
			for alg := range v.Checksums {
				e.ChecksumAlgorithm, e.ChecksumType = alg, v.ChecksumType
			}
		}
		out.Entries = append(out.Entries, e)
	}
	return rq.writeXML(http.StatusOK, out)
}
