package s3api

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/wormstore/wormstore/engine"
	"github.com/wormstore/wormstore/s3api/s3err"
	"github.com/wormstore/wormstore/s3api/s3xml"
	"github.com/wormstore/wormstore/s3api/sigv4"
)

// uploadErr adds UploadId to NoSuchUpload, as AWS does.
func uploadErr(err error, bucket, key, id string) error {
	if errors.Is(err, engine.ErrNoSuchUpload) {
		return s3err.FromError(err).With("UploadId", id)
	}
	return objectErr(err, bucket, key)
}

// multipartChecksum reads x-amz-checksum-algorithm and x-amz-checksum-type
// of CreateMultipartUpload, with S3's defaults and combinations: CRC32 and
// CRC32C may be COMPOSITE (default) or FULL_OBJECT, SHA1 and SHA256 only
// COMPOSITE, CRC64NVME only FULL_OBJECT.
func multipartChecksum(h http.Header) (alg, typ string, err error) {
	av, tv := h.Get("x-amz-checksum-algorithm"), strings.ToUpper(h.Get("x-amz-checksum-type"))
	if av == "" {
		if tv != "" {
			return "", "", s3err.New(s3err.InvalidRequest, "The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.")
		}
		return "", "", nil
	}
	a, ok := sigv4.ParseAlgorithm(av)
	if !ok {
		return "", "", s3err.New(s3err.InvalidRequest, unsupportedAlgorithmMessage)
	}
	if a == sigv4.MD5 {
		// An MD5 of the whole object cannot be derived from the
		// parts', and an MD5 of MD5s is what the ETag already is.
		return "", "", s3err.New(s3err.InvalidRequest, "The md5 checksum algorithm is supported for single-part uploads only.")
	}
	_, _, isCRC := crcParams(a)
	switch {
	case tv == "" && a == sigv4.CRC64NVME:
		tv = checksumFullObject
	case tv == "":
		tv = checksumComposite
	case tv == checksumFullObject && !isCRC, tv == checksumComposite && a == sigv4.CRC64NVME:
		return "", "", s3err.Errorf(s3err.InvalidRequest, "The %s checksum type cannot be used with the %s checksum algorithm.", strings.ToLower(tv), strings.ToLower(string(a)))
	case tv != checksumFullObject && tv != checksumComposite:
		return "", "", s3err.New(s3err.InvalidRequest, "Value for x-amz-checksum-type header is invalid.")
	}
	return string(a), tv, nil
}

func (rq *request) createMultipartUpload() error {
	h := rq.r.Header
	if err := checkUnsupportedHeaders(h); err != nil {
		return err
	}
	var opts engine.PutOptions
	if err := objectMetadata(h, &opts); err != nil {
		return err
	}
	if err := rq.requestTags(&opts); err != nil {
		return err
	}
	if _, err := lockOptions(h, &opts); err != nil {
		return err
	}
	alg, typ, err := multipartChecksum(h)
	if err != nil {
		return err
	}
	opts.ChecksumAlgorithm, opts.ChecksumType = alg, typ
	id, err := rq.s.eng.CreateMultipartUpload(rq.ctx, rq.bucket, rq.key, opts)
	if err != nil {
		return objectErr(err, rq.bucket, rq.key)
	}
	if alg != "" {
		rq.w.Header().Set("x-amz-checksum-algorithm", alg)
		rq.w.Header().Set("x-amz-checksum-type", typ)
	}
	return rq.writeXML(http.StatusOK, s3xml.InitiateMultipartUploadResult{Bucket: rq.bucket, Key: rq.key, UploadID: id})
}

// partNumber parses the partNumber query parameter (1..10000).
func (rq *request) partNumber() (int, error) {
	v := rq.query.Get("partNumber")
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > engine.MaxParts {
		return 0, s3err.New(s3err.InvalidArgument, "Part number must be an integer between 1 and 10000, inclusive").
			With("ArgumentName", "partNumber").With("ArgumentValue", v)
	}
	return n, nil
}

// uploadPart is UploadPart, or UploadPartCopy with x-amz-copy-source.
func (rq *request) uploadPart() error {
	if rq.r.Header.Get("x-amz-copy-source") != "" {
		rq.op = "UploadPartCopy"
		return rq.uploadPartCopy()
	}
	num, err := rq.partNumber()
	if err != nil {
		return err
	}
	id := rq.query.Get("uploadId")
	u, err := rq.s.eng.Upload(rq.ctx, rq.bucket, rq.key, id)
	if err != nil {
		return uploadErr(err, rq.bucket, rq.key, id)
	}
	alg := sigv4.Algorithm(u.Opts.ChecksumAlgorithm)
	cr, err := rq.auth.ChecksumRequest()
	if err != nil {
		return err
	}
	if alg != "" && cr.Algorithm != "" && cr.Algorithm != alg {
		return s3err.Errorf(s3err.InvalidRequest, "Checksum Type mismatch occurred, expected checksum Type: %s, actual checksum Type: %s",
			strings.ToLower(string(alg)), strings.ToLower(string(cr.Algorithm)))
	}
	body, err := rq.auth.BodyWithDefault(rq.r.Body, alg)
	if err != nil {
		return err
	}
	pi, err := rq.s.eng.UploadPart(rq.ctx, rq.bucket, rq.key, id, num, body, engine.PartOptions{Size: rq.bodySize(), Finalize: finalizer(body), MD5: bodyMD5(body)})
	if err != nil {
		return uploadErr(err, rq.bucket, rq.key, id)
	}
	out := rq.w.Header()
	out.Set("ETag", quoteETag(pi.ETag))
	setChecksumHeaders(out, pi.Checksums, "")
	return rq.writeEmpty(http.StatusOK)
}

// parseCopyRange parses x-amz-copy-source-range ("bytes=first-last", both
// required) against a source of size bytes.
func parseCopyRange(v string, size int64) (off, n int64, err error) {
	bad := s3err.Errorf(s3err.InvalidArgument, "Range specified is not valid for source object of size: %d", size).
		With("ArgumentName", "x-amz-copy-source-range").With("ArgumentValue", v)
	spec, ok := strings.CutPrefix(v, "bytes=")
	if !ok {
		return 0, 0, s3err.New(s3err.InvalidArgument, "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy").
			With("ArgumentName", "x-amz-copy-source-range").With("ArgumentValue", v)
	}
	a, b, ok := strings.Cut(spec, "-")
	first, err1 := strconv.ParseInt(a, 10, 64)
	last, err2 := strconv.ParseInt(b, 10, 64)
	if !ok || err1 != nil || err2 != nil || first < 0 || last < first || last >= size {
		return 0, 0, bad
	}
	return first, last - first + 1, nil
}

func (rq *request) uploadPartCopy() error {
	num, err := rq.partNumber()
	if err != nil {
		return err
	}
	id := rq.query.Get("uploadId")
	u, err := rq.s.eng.Upload(rq.ctx, rq.bucket, rq.key, id)
	if err != nil {
		return uploadErr(err, rq.bucket, rq.key, id)
	}
	src, _, err := rq.openCopySource()
	if err != nil {
		return err
	}
	off, n := int64(0), src.Info.Size
	if v := rq.r.Header.Get("x-amz-copy-source-range"); v != "" {
		if off, n, err = parseCopyRange(v, src.Info.Size); err != nil {
			return err
		}
	}
	alg := sigv4.Algorithm(u.Opts.ChecksumAlgorithm)
	if alg == "" {
		alg = sigv4.CRC64NVME
	}
	data, fin, err := copyData(src, off, n, alg)
	if err != nil {
		return err
	}
	defer data.Close()
	pi, err := rq.s.eng.UploadPart(rq.ctx, rq.bucket, rq.key, id, num, data, engine.PartOptions{Size: n, Finalize: fin})
	if err != nil {
		return uploadErr(err, rq.bucket, rq.key, id)
	}
	if src.Info.VersionID != engine.NullVersionID {
		rq.w.Header().Set("x-amz-copy-source-version-id", src.Info.VersionID)
	}
	res := s3xml.CopyPartResult{ETag: quoteETag(pi.ETag), LastModified: s3xml.FormatTime(pi.ModTime)}
	if u.Opts.ChecksumAlgorithm != "" {
		res.SetChecksums(pi.Checksums, "")
	}
	return rq.writeXML(http.StatusOK, res)
}

// allParts returns every uploaded part of an upload by number.
func (rq *request) allParts(id string) (map[int]engine.PartInfo, error) {
	out := map[int]engine.PartInfo{}
	marker := 0
	for {
		parts, more, err := rq.s.eng.ListParts(rq.ctx, rq.bucket, rq.key, id, marker, engine.MaxListKeys)
		if err != nil {
			return nil, err
		}
		for _, p := range parts {
			out[p.Number] = p
			marker = p.Number
		}
		if !more || len(parts) == 0 {
			return out, nil
		}
	}
}

// completeChecksum computes the checksum of a completed multipart object
// from its parts' stored checksums: the upload's algorithm and type, or,
// for an upload created without one, the algorithm all parts share
// (FULL_OBJECT for the CRCs). It checks the checksums listed in the
// request against the stored ones (InvalidPart). A part that does not exist
// yields no checksum; the engine then fails with InvalidPart.
func completeChecksum(u *engine.UploadInfo, parts []s3xml.CompletePart, stored map[int]engine.PartInfo) (map[string]string, string, error) {
	for _, p := range parts {
		sp, ok := stored[p.PartNumber]
		if !ok {
			return nil, "", nil
		}
		for alg, v := range p.Checksums() {
			if sp.Checksums[alg] != v {
				return nil, "", s3err.Errorf(s3err.InvalidPart, "The %s checksum of part %d does not match the uploaded part.", strings.ToLower(alg), p.PartNumber)
			}
		}
	}
	alg, typ := sigv4.Algorithm(u.Opts.ChecksumAlgorithm), u.Opts.ChecksumType
	if alg == "" {
		for i, p := range parts {
			var a sigv4.Algorithm
			for name := range stored[p.PartNumber].Checksums {
				a = sigv4.Algorithm(name)
			}
			if a == "" || a == sigv4.MD5 || (i > 0 && a != alg) {
				// No shared algorithm, or MD5 (whose whole-object
				// value parts cannot give): no object checksum.
				return nil, "", nil
			}
			alg = a
		}
		typ = checksumComposite
		if _, _, ok := crcParams(alg); ok {
			typ = checksumFullObject
		}
	}
	sums := make([]partSum, len(parts))
	for i, p := range parts {
		sp := stored[p.PartNumber]
		v, ok := sp.Checksums[string(alg)]
		if !ok {
			return nil, "", nil
		}
		sums[i] = partSum{value: v, size: sp.Size}
	}
	var (
		v   string
		err error
	)
	if typ == checksumFullObject {
		v, err = fullObjectChecksum(alg, sums)
	} else {
		v, err = compositeChecksum(alg, sums)
	}
	if err != nil {
		return nil, "", err
	}
	return map[string]string{string(alg): v}, typ, nil
}

// checkCompleteHeaders checks the object-level headers of
// CompleteMultipartUpload against what the parts yield: x-amz-checksum-type
// must be the upload's; an x-amz-checksum-<alg> value must equal the
// computed checksum (a COMPOSITE one with or without its "-N" suffix, as
// AWS accepts both), else BadDigest; x-amz-mp-object-size must equal the
// sum of the listed parts' sizes, else InvalidRequest.
func checkCompleteHeaders(h http.Header, u *engine.UploadInfo, parts []s3xml.CompletePart, stored map[int]engine.PartInfo, sums map[string]string, typ string) error {
	if tv := h.Get("x-amz-checksum-type"); tv != "" {
		tv = strings.ToUpper(tv)
		if tv != checksumComposite && tv != checksumFullObject {
			return s3err.New(s3err.InvalidRequest, "Value for x-amz-checksum-type header is invalid.")
		}
		want := u.Opts.ChecksumType
		if want == "" {
			want = typ
		}
		if tv != want {
			return s3err.Errorf(s3err.InvalidRequest, "The upload was created using the %s checksum mode. The complete request must use the same checksum mode.", strings.ToLower(want))
		}
	}
	for k, vs := range h {
		name, ok := strings.CutPrefix(strings.ToLower(k), "x-amz-checksum-")
		if !ok || name == "type" || name == "mode" || name == "algorithm" {
			continue
		}
		a, known := sigv4.ParseAlgorithm(name)
		if !known {
			return s3err.Errorf(s3err.InvalidRequest, "Unsupported checksum header %s.", strings.ToLower(k))
		}
		if len(vs) != 1 {
			return s3err.New(s3err.InvalidRequest, "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
		}
		want := strings.TrimSpace(vs[0])
		got, ok := sums[string(a)]
		if !ok {
			return s3err.Errorf(s3err.InvalidRequest, "The upload was created using the %s checksum algorithm; x-amz-checksum-%s does not apply.",
				strings.ToLower(u.Opts.ChecksumAlgorithm), strings.ToLower(string(a)))
		}
		base, _, composite := strings.Cut(got, "-")
		if want != got && !(composite && want == base) {
			return s3err.Errorf(s3err.BadDigest, "The %s you specified for the object did not match the calculated checksum.", strings.ToLower(string(a)))
		}
	}
	if v := h.Get("x-amz-mp-object-size"); v != "" {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || n < 0 {
			return s3err.New(s3err.InvalidArgument, "The x-amz-mp-object-size header must be a non-negative integer.").
				With("ArgumentName", "x-amz-mp-object-size").With("ArgumentValue", v)
		}
		var total int64
		for _, p := range parts {
			sp, ok := stored[p.PartNumber]
			if !ok {
				return nil // the engine answers InvalidPart
			}
			total += sp.Size
		}
		if total != n {
			return s3err.Errorf(s3err.InvalidRequest, "The provided 'x-amz-mp-object-size' header value %d does not match what was computed: %d", n, total)
		}
	}
	return nil
}

func (rq *request) completeMultipartUpload() error {
	id := rq.query.Get("uploadId")
	data, err := rq.readXMLBodyNoChecksum()
	if err != nil {
		return err
	}
	c, err := s3xml.DecodeCompleteMultipartUpload(data)
	if err != nil {
		return err
	}
	parts := make([]engine.CompletePart, len(c.Parts))
	for i, p := range c.Parts {
		parts[i] = engine.CompletePart{Number: p.PartNumber, ETag: p.ETag}
	}
	u, err := rq.s.eng.Upload(rq.ctx, rq.bucket, rq.key, id)
	if errors.Is(err, engine.ErrNoSuchUpload) {
		// As AWS: completing an upload that already completed (with the
		// same parts) answers the same result again; nothing is written.
		info, cerr := rq.s.eng.CompletedUpload(rq.ctx, rq.bucket, rq.key, id, parts)
		if cerr == nil {
			return rq.completeResult(info)
		}
	}
	if err != nil {
		return uploadErr(err, rq.bucket, rq.key, id)
	}
	stored, err := rq.allParts(id)
	if err != nil {
		return uploadErr(err, rq.bucket, rq.key, id)
	}
	sums, typ, err := completeChecksum(u, c.Parts, stored)
	if err != nil {
		return err
	}
	h := rq.r.Header
	if err := checkCompleteHeaders(h, u, c.Parts, stored, sums, typ); err != nil {
		return err
	}
	info, err := rq.s.eng.CompleteMultipartUpload(rq.ctx, rq.bucket, rq.key, id, parts, engine.CompleteOptions{
		Checksums: sums, ChecksumType: typ, IfNoneMatch: h.Get("If-None-Match"), IfMatch: h.Get("If-Match"),
	})
	if err != nil {
		return uploadErr(err, rq.bucket, rq.key, id)
	}
	return rq.completeResult(info)
}

// completeResult answers CompleteMultipartUpload with the version made.
func (rq *request) completeResult(info *engine.ObjectInfo) error {
	rq.setWriteVersionHeader(info.VersionID)
	rq.setExpiration(info)
	res := s3xml.CompleteMultipartUploadResult{
		Location: rq.objectURL(), Bucket: rq.bucket, Key: rq.key, ETag: quoteETag(info.ETag),
	}
	res.SetChecksums(info.Checksums, info.ChecksumType)
	return rq.writeXML(http.StatusOK, res)
}

func (rq *request) abortMultipartUpload() error {
	id := rq.query.Get("uploadId")
	if err := rq.s.eng.AbortMultipartUpload(rq.ctx, rq.bucket, rq.key, id); err != nil {
		return uploadErr(err, rq.bucket, rq.key, id)
	}
	return rq.writeEmpty(http.StatusNoContent)
}

func (rq *request) listParts() error {
	id := rq.query.Get("uploadId")
	marker := 0
	if v := rq.query.Get("part-number-marker"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > engine.MaxParts {
			return s3err.New(s3err.InvalidArgument, "Provided part-number-marker not an integer or within integer range").
				With("ArgumentName", "part-number-marker").With("ArgumentValue", v)
		}
		marker = n
	}
	max, err := rq.maxKeys("max-parts")
	if err != nil {
		return err
	}
	u, err := rq.s.eng.Upload(rq.ctx, rq.bucket, rq.key, id)
	if err != nil {
		return uploadErr(err, rq.bucket, rq.key, id)
	}
	var parts []engine.PartInfo
	truncated := false
	if max > 0 {
		if parts, truncated, err = rq.s.eng.ListParts(rq.ctx, rq.bucket, rq.key, id, marker, max); err != nil {
			return uploadErr(err, rq.bucket, rq.key, id)
		}
	}
	owner := rq.owner()
	res := s3xml.ListPartsResult{
		Bucket: rq.bucket, Key: rq.key, UploadID: id, Initiator: owner, Owner: owner, StorageClass: "STANDARD",
		PartNumberMarker: marker, MaxParts: max, IsTruncated: truncated,
		ChecksumAlgorithm: u.Opts.ChecksumAlgorithm, ChecksumType: u.Opts.ChecksumType,
	}
	for _, p := range parts {
		e := s3xml.PartEntry{PartNumber: p.Number, LastModified: s3xml.FormatTime(p.ModTime), ETag: quoteETag(p.ETag), Size: p.Size}
		if u.Opts.ChecksumAlgorithm != "" {
			e.SetChecksums(p.Checksums, "")
		}
		res.Parts = append(res.Parts, e)
		res.NextPartNumberMarker = p.Number
	}
	return rq.writeXML(http.StatusOK, res)
}

func (rq *request) listMultipartUploads() error {
	enc, err := rq.keyEncoder()
	if err != nil {
		return err
	}
	max, err := rq.maxKeys("max-uploads")
	if err != nil {
		return err
	}
	q := rq.query
	opts := engine.UploadListOptions{
		Prefix: q.Get("prefix"), Delimiter: q.Get("delimiter"), KeyMarker: q.Get("key-marker"),
		UploadIDMarker: q.Get("upload-id-marker"), MaxUploads: max,
	}
	var res *engine.UploadListResult
	if max == 0 {
		if _, err := rq.s.eng.Bucket(rq.ctx, rq.bucket); err != nil {
			return bucketErr(err, rq.bucket)
		}
		res = &engine.UploadListResult{}
	} else if res, err = rq.s.eng.ListMultipartUploads(rq.ctx, rq.bucket, opts); err != nil {
		return bucketErr(err, rq.bucket)
	}
	owner := rq.owner()
	out := s3xml.ListMultipartUploadsResult{
		Bucket: rq.bucket, KeyMarker: enc.enc(opts.KeyMarker), UploadIDMarker: opts.UploadIDMarker,
		Prefix: enc.enc(opts.Prefix), Delimiter: enc.enc(opts.Delimiter), MaxUploads: max,
		IsTruncated: res.IsTruncated, EncodingType: enc.name(), CommonPrefixes: commonPrefixes(enc, res.CommonPrefixes),
	}
	if res.IsTruncated {
		out.NextKeyMarker, out.NextUploadIDMarker = enc.enc(res.NextKeyMarker), res.NextUploadIDMarker
	}
	for _, up := range res.Uploads {
		out.Uploads = append(out.Uploads, s3xml.UploadEntry{
			Key: enc.enc(up.Key), UploadID: up.UploadID, Initiator: owner, Owner: owner, StorageClass: "STANDARD",
			Initiated: s3xml.FormatTime(up.Initiated), ChecksumAlgorithm: up.Opts.ChecksumAlgorithm, ChecksumType: up.Opts.ChecksumType,
		})
	}
	return rq.writeXML(http.StatusOK, out)
}
