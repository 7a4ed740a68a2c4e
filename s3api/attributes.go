package s3api

import (
	"encoding/xml"
	"net/http"
	"strconv"
	"strings"

	"github.com/wormstore/wormstore/engine"
	"github.com/wormstore/wormstore/s3api/s3err"
	"github.com/wormstore/wormstore/s3api/s3xml"
)

// The attributes GetObjectAttributes can return (x-amz-object-attributes).
const (
	attrETag         = "ETag"
	attrChecksum     = "Checksum"
	attrObjectParts  = "ObjectParts"
	attrStorageClass = "StorageClass"
	attrObjectSize   = "ObjectSize"
)

// objectAttributesResponse is the GetObjectAttributes answer. Only the
// requested elements are present.
type objectAttributesResponse struct {
	XMLName      xml.Name        `xml:"http://s3.amazonaws.com/doc/2006-03-01/ GetObjectAttributesResponse"`
	ETag         string          `xml:"ETag,omitempty"`
	Checksum     *s3xml.Checksum `xml:"Checksum,omitempty"`
	ObjectParts  *objectParts    `xml:"ObjectParts,omitempty"`
	StorageClass string          `xml:"StorageClass,omitempty"`
	ObjectSize   *int64          `xml:"ObjectSize,omitempty"`
}

// objectParts is the ObjectParts element: one page of a multipart
// object's parts, as ListParts pages them.
type objectParts struct {
	IsTruncated          bool         `xml:"IsTruncated"`
	MaxParts             int          `xml:"MaxParts"`
	NextPartNumberMarker int          `xml:"NextPartNumberMarker"`
	PartNumberMarker     int          `xml:"PartNumberMarker"`
	Parts                []objectPart `xml:"Part"`
	PartsCount           int          `xml:"PartsCount"`
}

type objectPart struct {
	s3xml.Checksum
	PartNumber int   `xml:"PartNumber"`
	Size       int64 `xml:"Size"`
}

// parseObjectAttributes reads x-amz-object-attributes (comma-separated,
// possibly repeated): at least one of the five names, else 400
// InvalidArgument as AWS.
func parseObjectAttributes(h http.Header) (map[string]bool, error) {
	vs := h.Values("x-amz-object-attributes")
	out := map[string]bool{}
	for _, v := range vs {
		for name := range strings.SplitSeq(v, ",") {
			name = strings.TrimSpace(name)
			if name == "" {
				continue
			}
			switch name {
			case attrETag, attrChecksum, attrObjectParts, attrStorageClass, attrObjectSize:
				out[name] = true
			default:
				return nil, s3err.New(s3err.InvalidArgument, "Invalid attribute name specified.").
					With("ArgumentName", "x-amz-object-attributes").With("ArgumentValue", name)
			}
		}
	}
	if len(out) == 0 {
		return nil, s3err.New(s3err.InvalidArgument, "The x-amz-object-attributes header specifying the attributes to be retrieved is either missing or empty").
			With("ArgumentName", "x-amz-object-attributes").With("ArgumentValue", "")
	}
	return out, nil
}

// intHeader parses an optional non-negative integer header.
func intHeader(h http.Header, name string, def, max int) (int, error) {
	v := h.Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 0 || n > max {
		return 0, s3err.Errorf(s3err.InvalidArgument, "Provided %s not an integer or within integer range", name).
			With("ArgumentName", name).With("ArgumentValue", v)
	}
	return n, nil
}

// getObjectAttributes is GetObjectAttributes: HeadObject and ListParts of
// a stored version in one answer. The version is named by versionId (or is
// the latest); a delete marker answers as GetObject does (404 NoSuchKey or
// 405 with x-amz-delete-marker).
func (rq *request) getObjectAttributes() error {
	h := rq.r.Header
	attrs, err := parseObjectAttributes(h)
	if err != nil {
		return err
	}
	maxParts, err := intHeader(h, "x-amz-max-parts", engine.MaxListKeys, engine.MaxParts)
	if err != nil {
		return err
	}
	marker, err := intHeader(h, "x-amz-part-number-marker", 0, engine.MaxParts)
	if err != nil {
		return err
	}
	if h.Get("x-amz-server-side-encryption-customer-algorithm") != "" {
		return s3err.New(s3err.NotImplemented, "SSE-C is not implemented")
	}
	obj, err := rq.s.eng.OpenObject(rq.ctx, rq.bucket, rq.key, rq.query.Get("versionId"))
	if err != nil {
		return objectErr(err, rq.bucket, rq.key)
	}
	info := &obj.Info
	out := rq.w.Header()
	out.Set("Last-Modified", info.ModTime.UTC().Format(http.TimeFormat))
	rq.setVersionHeader(info.VersionID)

	var res objectAttributesResponse
	if attrs[attrETag] {
		res.ETag = info.ETag // unquoted, as AWS answers here
	}
	if attrs[attrChecksum] && len(info.Checksums) > 0 {
		var c s3xml.Checksum
		c.SetChecksums(info.Checksums, info.ChecksumType)
		res.Checksum = &c
	}
	if attrs[attrStorageClass] {
		res.StorageClass = "STANDARD"
	}
	if attrs[attrObjectSize] {
		n := info.Size
		res.ObjectSize = &n
	}
	if attrs[attrObjectParts] && len(info.Parts) > 0 {
		op := &objectParts{MaxParts: maxParts, PartNumberMarker: marker, PartsCount: len(info.Parts)}
		for _, p := range info.Parts {
			if p.Number <= marker {
				continue
			}
			if len(op.Parts) == maxParts {
				op.IsTruncated = true
				break
			}
			e := objectPart{PartNumber: p.Number, Size: p.Size}
			// A part's checksum is the upload's algorithm's (the
			// object's own algorithm); others the part may carry
			// are not the object's.
			sums := map[string]string{}
			for alg := range info.Checksums {
				if v, ok := p.Checksums[alg]; ok {
					sums[alg] = v
				}
			}
			e.SetChecksums(sums, "")
			op.Parts = append(op.Parts, e)
			op.NextPartNumberMarker = p.Number
		}
		res.ObjectParts = op
	}
	return rq.writeXML(http.StatusOK, res)
}
