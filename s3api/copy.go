package s3api

import (
	"encoding/base64"
	"errors"
	"hash"
	"io"
	"maps"
	"net/http"
	"net/url"
	"strings"

	"github.com/wormstore/wormstore/engine"
	"github.com/wormstore/wormstore/s3api/s3err"
	"github.com/wormstore/wormstore/s3api/s3xml"
	"github.com/wormstore/wormstore/s3api/sigv4"
)

// copySource is a parsed x-amz-copy-source.
type copySource struct {
	bucket, key, versionID string
}

// parseCopySource parses "[/]bucket/key[?versionId=id]", URL-encoded.
func parseCopySource(v string) (copySource, error) {
	var cs copySource
	bad := s3err.New(s3err.InvalidArgument, "Copy Source must mention the source bucket and key: sourcebucket/sourcekey").
		With("ArgumentName", "x-amz-copy-source").With("ArgumentValue", v)
	path, query, hasQuery := strings.Cut(v, "?")
	p, err := url.PathUnescape(path)
	if err != nil {
		return cs, bad
	}
	p = strings.TrimPrefix(p, "/")
	b, k, ok := strings.Cut(p, "/")
	if !ok || b == "" || k == "" {
		return cs, bad
	}
	cs.bucket, cs.key = b, k
	if hasQuery {
		q, err := url.ParseQuery(query)
		if err != nil {
			return cs, bad
		}
		for name := range q {
			if name != "versionId" {
				return cs, bad
			}
		}
		cs.versionID = q.Get("versionId")
		if cs.versionID == "" {
			return cs, bad
		}
	}
	return cs, nil
}

// openCopySource resolves x-amz-copy-source and checks the
// x-amz-copy-source-if-* conditions against it.
func (rq *request) openCopySource() (*engine.Object, copySource, error) {
	cs, err := parseCopySource(rq.r.Header.Get("x-amz-copy-source"))
	if err != nil {
		return nil, cs, err
	}
	obj, err := rq.s.eng.OpenObject(rq.ctx, cs.bucket, cs.key, cs.versionID)
	if err != nil {
		var dm *engine.DeleteMarkerError
		if errors.As(err, &dm) && cs.versionID != "" {
			return nil, cs, s3err.New(s3err.InvalidRequest, "The source of a copy request may not specifically refer to a delete marker by version id.")
		}
		return nil, cs, objectErr(err, cs.bucket, cs.key)
	}
	h := rq.r.Header
	if cerr := conditions(h.Get("x-amz-copy-source-if-match"), h.Get("x-amz-copy-source-if-none-match"),
		h.Get("x-amz-copy-source-if-modified-since"), h.Get("x-amz-copy-source-if-unmodified-since"),
		obj.Info.ETag, obj.Info.ModTime, true); cerr != nil {
		return nil, cs, cerr
	}
	return obj, cs, nil
}

// hashingReader computes a checksum of what is read through it.
type hashingReader struct {
	r io.Reader
	h hash.Hash
}

func (hr *hashingReader) Read(p []byte) (int, error) {
	n, err := hr.r.Read(p)
	hr.h.Write(p[:n])
	return n, err
}

// copyChecksumAlgorithm picks the checksum algorithm of a copy: the one
// requested with x-amz-checksum-algorithm, else the source's full-object
// algorithm, else CRC64NVME (as S3).
func copyChecksumAlgorithm(h http.Header, src *engine.ObjectInfo) (sigv4.Algorithm, error) {
	if v := h.Get("x-amz-checksum-algorithm"); v != "" {
		a, ok := sigv4.ParseAlgorithm(v)
		if !ok {
			return "", s3err.New(s3err.InvalidRequest, unsupportedAlgorithmMessage)
		}
		return a, nil
	}
	if src.ChecksumType == "FULL_OBJECT" {
		for alg := range src.Checksums {
			if a, ok := sigv4.ParseAlgorithm(alg); ok {
				return a, nil
			}
		}
	}
	return sigv4.CRC64NVME, nil
}

// copyData returns a reader over [off, off+n) of src and the finaliser
// computing alg over it. When the whole source is copied and it has a
// stored full-object checksum of alg, the finaliser also checks the data
// against it, so a copy never launders corruption.
func copyData(src *engine.Object, off, n int64, alg sigv4.Algorithm) (io.ReadCloser, func() (map[string]string, error), error) {
	rc, err := src.NewReader(off, n)
	if err != nil {
		return nil, nil, err
	}
	hr := &hashingReader{r: rc, h: alg.New()}
	want := ""
	if off == 0 && n == src.Info.Size && src.Info.ChecksumType == "FULL_OBJECT" {
		want = src.Info.Checksums[string(alg)]
	}
	fin := func() (map[string]string, error) {
		got := base64.StdEncoding.EncodeToString(hr.h.Sum(nil))
		if want != "" && got != want {
			return nil, errors.New("s3api: copy source data does not match its stored checksum")
		}
		return map[string]string{string(alg): got}, nil
	}
	return struct {
		io.Reader
		io.Closer
	}{hr, rc}, fin, nil
}

// copyObject is CopyObject: the source version's data is streamed into a
// new version of the destination.
func (rq *request) copyObject() error {
	h := rq.r.Header
	if err := checkUnsupportedHeaders(h); err != nil {
		return err
	}
	directive := h.Get("x-amz-metadata-directive")
	switch directive {
	case "", "COPY", "REPLACE":
	default:
		return s3err.New(s3err.InvalidArgument, "Unknown metadata directive.").With("ArgumentName", "x-amz-metadata-directive").With("ArgumentValue", directive)
	}
	src, cs, err := rq.openCopySource()
	if err != nil {
		return err
	}
	opts := engine.PutOptions{Size: src.Info.Size, IfNoneMatch: h.Get("If-None-Match"), IfMatch: h.Get("If-Match")}
	if _, err := lockOptions(h, &opts); err != nil {
		return err
	}
	if directive == "REPLACE" {
		if err := objectMetadata(h, &opts); err != nil {
			return err
		}
	} else {
		_, redirect := h[websiteRedirectHeader]
		if cs.bucket == rq.bucket && cs.key == rq.key && cs.versionID == "" && !redirect {
			return s3err.New(s3err.InvalidRequest, "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.")
		}
		opts.ContentType = src.Info.ContentType
		opts.UserMeta = maps.Clone(src.Info.UserMeta)
		opts.Headers = maps.Clone(src.Info.Headers)
		// As AWS: the website redirect location is not copied; the
		// request may set one.
		delete(opts.Headers, websiteRedirectHeader)
		if err := websiteRedirect(h, &opts); err != nil {
			return err
		}
	}
	if err := rq.copyTags(&src.Info, &opts); err != nil {
		return err
	}
	alg, err := copyChecksumAlgorithm(h, &src.Info)
	if err != nil {
		return err
	}
	data, fin, err := copyData(src, 0, src.Info.Size, alg)
	if err != nil {
		return err
	}
	defer data.Close()
	opts.Finalize = fin
	info, err := rq.s.eng.PutObject(rq.ctx, rq.bucket, rq.key, data, opts)
	if err != nil {
		return objectErr(err, rq.bucket, rq.key)
	}
	out := rq.w.Header()
	rq.setWriteVersionHeader(info.VersionID)
	rq.setExpiration(info)
	if src.Info.VersionID != engine.NullVersionID {
		out.Set("x-amz-copy-source-version-id", src.Info.VersionID)
	}
	res := s3xml.CopyObjectResult{ETag: quoteETag(info.ETag), LastModified: s3xml.FormatTime(info.ModTime)}
	res.SetChecksums(info.Checksums, info.ChecksumType)
	return rq.writeXML(http.StatusOK, res)
}
