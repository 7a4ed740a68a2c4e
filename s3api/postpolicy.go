package s3api

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/wormstore/wormstore/engine"
	"github.com/wormstore/wormstore/s3api/s3err"
	"github.com/wormstore/wormstore/s3api/s3xml"
	"github.com/wormstore/wormstore/s3api/sigv4"
)

// Browser-based POST uploads (PostObject): a multipart/form-data POST to
// the bucket whose fields carry the key, the object's metadata and a
// base64 policy document signed with SigV4, and whose last field is the
// file. The request flow mirrors a signed request's: the fields before the
// file are read (at most maxPostFields bytes), the policy signature
// authenticates the caller, the gate authorizes s3:PutObject on the key
// (lock fields as for PutObject), the policy's conditions are checked, and
// only then is the file streamed into the engine. Fields after the file
// are ignored, as by S3.

// maxPostFields is S3's limit on the form fields preceding the file.
const maxPostFields = 20 << 10

// postForm is the parsed part of a POST upload before the file.
type postForm struct {
	// fields maps lower-case field names to values, in form order in
	// names.
	fields map[string]string
	names  []string
	// file is the file field, positioned at its first byte.
	file     *multipart.Part
	filename string
}

// isPostObject reports whether rq is a browser POST upload: POST to a
// bucket (no key, no sub-resource) with a multipart/form-data body.
func (s *Server) isPostObject(rq *request) bool {
	if rq.r.Method != http.MethodPost || rq.bucket == "" || rq.key != "" {
		return false
	}
	for _, sub := range subResources() {
		if _, ok := rq.query[sub]; ok {
			return false
		}
	}
	mt, _, err := mime.ParseMediaType(rq.r.Header.Get("Content-Type"))
	return err == nil && mt == "multipart/form-data"
}

// readPostForm reads the form fields up to the file.
func readPostForm(r *http.Request) (*postForm, error) {
	_, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || params["boundary"] == "" {
		return nil, s3err.New(s3err.MalformedPOSTRequest, "")
	}
	var body io.Reader = http.NoBody
	if r.Body != nil {
		body = r.Body
	}
	// Everything before the file is read unauthenticated: cap it (fields,
	// part headers and boundaries), and lift the cap at the file.
	pre := &preFileLimit{r: body, left: maxPostPreFile}
	mr := multipart.NewReader(pre, params["boundary"])
	f := &postForm{fields: map[string]string{}}
	total := 0
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return nil, s3err.New(s3err.IncorrectNumberOfFilesInPostRequest, "")
		}
		if err != nil {
			return nil, postReadErr(err)
		}
		name := strings.ToLower(p.FormName())
		if name == "" {
			return nil, s3err.New(s3err.MalformedPOSTRequest, "")
		}
		if name == "file" {
			pre.lift()
			f.file, f.filename = p, p.FileName()
			return f, nil
		}
		v, err := io.ReadAll(io.LimitReader(p, int64(maxPostFields-total+1)))
		if err != nil {
			return nil, postReadErr(err)
		}
		total += len(name) + len(v)
		if total > maxPostFields {
			return nil, s3err.New(s3err.MaxPostPreDataLengthExceededError, "")
		}
		if _, dup := f.fields[name]; dup {
			return nil, s3err.Errorf(s3err.InvalidArgument, "POST requires exactly one value per form field; %s appears twice", name).
				With("ArgumentName", name)
		}
		f.fields[name] = string(v)
		f.names = append(f.names, name)
	}
}

// maxPostPreFile caps the bytes read before the file part: the fields'
// 20 KiB plus room for part headers and boundaries.
const maxPostPreFile = maxPostFields + 44<<10

// preFileLimit fails reads with MaxPostPreDataLengthExceededError once
// more than left bytes were read, until lift.
type preFileLimit struct {
	r      io.Reader
	left   int64
	lifted bool
}

func (l *preFileLimit) Read(p []byte) (int, error) {
	if l.lifted {
		return l.r.Read(p)
	}
	if l.left <= 0 {
		return 0, s3err.New(s3err.MaxPostPreDataLengthExceededError, "")
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	return n, err
}

// lift removes the cap (the multipart reader may have buffered past the
// file part's headers already; that is within the cap).
func (l *preFileLimit) lift() { l.lifted = true }

// postReadErr maps an error reading the form: transport errors as for any
// body, framing errors as MalformedPOSTRequest.
func postReadErr(err error) error {
	var se *s3err.Error
	if errors.As(err, &se) || errors.Is(err, io.ErrUnexpectedEOF) {
		return err
	}
	e := s3err.New(s3err.MalformedPOSTRequest, "")
	e.Err = err
	return e
}

// postPolicy is a decoded policy document.
type postPolicy struct {
	expiration time.Time
	conds      []postCondition
}

// postCondition is one condition: op "eq", "starts-with" or
// "content-length-range"; field is lower case without "$".
type postCondition struct {
	op, field, value string
	min, max         int64
	raw              string // as written, for error messages
}

func invalidPolicy(format string, args ...any) error {
	return s3err.Errorf(s3err.InvalidPolicyDocument, "Invalid Policy: "+format, args...)
}

// decodePostPolicy decodes and checks the base64 policy document.
func decodePostPolicy(b64 string) (*postPolicy, error) {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64))
	if err != nil {
		return nil, invalidPolicy("Invalid Base64 Encoding.")
	}
	var doc struct {
		Expiration *string           `json:"expiration"`
		Conditions []json.RawMessage `json:"conditions"`
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if err := d.Decode(&doc); err != nil {
		return nil, invalidPolicy("Invalid JSON.")
	}
	if doc.Expiration == nil {
		return nil, invalidPolicy("Policy missing expiration.")
	}
	exp, err := time.Parse(time.RFC3339Nano, *doc.Expiration)
	if err != nil {
		return nil, invalidPolicy("Invalid 'expiration' value: '%s'", *doc.Expiration)
	}
	if doc.Conditions == nil {
		return nil, invalidPolicy("Policy missing conditions.")
	}
	p := &postPolicy{expiration: exp}
	for _, c := range doc.Conditions {
		pc, err := decodeCondition(c)
		if err != nil {
			return nil, err
		}
		p.conds = append(p.conds, pc)
	}
	return p, nil
}

// decodeCondition decodes {"field": "value"} or [op, "$field", value] or
// ["content-length-range", min, max].
func decodeCondition(c json.RawMessage) (postCondition, error) {
	raw := string(c)
	bad := func() (postCondition, error) { return postCondition{}, invalidPolicy("Invalid Condition: %s", raw) }
	var obj map[string]any
	if json.Unmarshal(c, &obj) == nil {
		if len(obj) != 1 {
			return bad()
		}
		for k, v := range obj {
			s, ok := v.(string)
			if !ok {
				return bad()
			}
			return postCondition{op: "eq", field: strings.ToLower(strings.TrimPrefix(k, "$")), value: s, raw: raw}, nil
		}
	}
	var arr []json.RawMessage
	if json.Unmarshal(c, &arr) != nil || len(arr) != 3 {
		return bad()
	}
	var op string
	if json.Unmarshal(arr[0], &op) != nil {
		return bad()
	}
	switch op = strings.ToLower(op); op {
	case "eq", "starts-with":
		var field, value string
		if json.Unmarshal(arr[1], &field) != nil || json.Unmarshal(arr[2], &value) != nil || !strings.HasPrefix(field, "$") {
			return bad()
		}
		return postCondition{op: op, field: strings.ToLower(field[1:]), value: value, raw: raw}, nil
	case "content-length-range":
		lo, err1 := jsonInt(arr[1])
		hi, err2 := jsonInt(arr[2])
		if err1 != nil || err2 != nil || lo < 0 || hi < lo {
			return bad()
		}
		return postCondition{op: op, min: lo, max: hi, raw: raw}, nil
	}
	return bad()
}

// jsonInt reads an integer written as a JSON number or string.
func jsonInt(m json.RawMessage) (int64, error) {
	var s string
	if json.Unmarshal(m, &s) != nil {
		s = string(m)
	}
	return strconv.ParseInt(strings.TrimSpace(s), 10, 64)
}

// policyDenied is AWS's refusal of a form its policy does not allow.
func policyDenied(format string, args ...any) error {
	return s3err.Errorf(s3err.AccessDenied, "Invalid according to Policy: "+format, args...)
}

// check checks the form against the conditions. values are the fields as
// the policy sees them (key after ${filename}, bucket from the request).
// Every field but policy, x-amz-signature, file and x-ignore-* must be
// named by a condition. It returns the content-length-range, if any.
func (p *postPolicy) check(values map[string]string, names []string) (lo, hi int64, ranged bool, err error) {
	named := map[string]bool{}
	for _, c := range p.conds {
		if c.op == "content-length-range" {
			lo, hi, ranged = c.min, c.max, true
			continue
		}
		named[c.field] = true
		v := values[c.field]
		ok := false
		switch c.op {
		case "eq":
			ok = v == c.value
		case "starts-with":
			ok = strings.HasPrefix(v, c.value)
			if c.field == "content-type" && ok {
				// As S3: each of several comma-separated types must
				// start with the prefix.
				for t := range strings.SplitSeq(v, ",") {
					ok = ok && strings.HasPrefix(strings.TrimSpace(t), c.value)
				}
			}
		}
		if !ok {
			return 0, 0, false, policyDenied("Policy Condition failed: %s", c.raw)
		}
	}
	var extra []string
	for _, n := range names {
		switch {
		case n == "policy", n == "x-amz-signature", n == "file", strings.HasPrefix(n, "x-ignore-"):
		case !named[n]:
			extra = append(extra, n)
		}
	}
	if len(extra) > 0 {
		return 0, 0, false, policyDenied("Extra input fields: %s", strings.Join(extra, ", "))
	}
	return lo, hi, ranged, nil
}

// postHeaderFields are the form fields that mean what the header of the
// same name means on PutObject.
func postHeaderField(name string) bool {
	switch name {
	case "content-type", "cache-control", "content-disposition", "content-encoding", "content-language",
		"expires", "content-md5", "x-amz-storage-class", "x-amz-object-lock-mode",
		"x-amz-object-lock-retain-until-date", "x-amz-object-lock-legal-hold",
		"x-amz-website-redirect-location", "x-amz-checksum-algorithm", "x-amz-checksum-type":
		return true
	}
	return strings.HasPrefix(name, "x-amz-meta-") || strings.HasPrefix(name, "x-amz-checksum-") ||
		strings.HasPrefix(name, "x-amz-server-side-encryption")
}

// postTagging turns a POST form's tagging field (a Tagging document) into
// the x-amz-tagging header form, checked by AWS's tag rules.
func postTagging(doc string) (string, error) {
	list, err := s3xml.DecodeTagging([]byte(doc))
	if err != nil {
		return "", err
	}
	if _, err := checkTags(list, maxObjectTags, false); err != nil {
		return "", err
	}
	q := url.Values{}
	for _, t := range list {
		q.Set(t.Key, t.Value)
	}
	return q.Encode(), nil
}

// servePost serves a POST upload in place of serve's header-signed path.
func (s *Server) servePost(rq *request) error {
	// The original headers still speak for the request itself.
	if err := rq.checkExpectedOwner(); err != nil {
		return err
	}
	form, err := readPostForm(rq.r)
	if err != nil {
		return err
	}
	fv := form.fields
	if _, v2 := fv["awsaccesskeyid"]; v2 {
		return fmt.Errorf("%w: SigV2 POST policy", sigv4.ErrUnsupportedAuth)
	}
	if _, ok := fv["policy"]; !ok {
		if _, signed := fv["x-amz-signature"]; !signed {
			return sigv4.ErrMissingAuth // anonymous: refused like any anonymous request
		}
	}
	for _, name := range []string{"policy", "x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-signature"} {
		if _, ok := fv[name]; !ok {
			return s3err.Errorf(s3err.InvalidArgument, "Bucket POST must contain a field named '%s'.  If it is specified, please check the order of the fields.", name).
				With("ArgumentName", name).With("ArgumentValue", "")
		}
	}
	auth, err := s.verifier.VerifyPost(sigv4.PostForm{
		Algorithm: fv["x-amz-algorithm"], Credential: fv["x-amz-credential"], Date: fv["x-amz-date"],
		Signature: fv["x-amz-signature"], Policy: fv["policy"],
	})
	if err != nil {
		return err
	}
	rq.auth = auth
	if err := s.resolvePrincipal(rq); err != nil {
		return err
	}
	rq.op = "PostObject"
	key, ok := fv["key"]
	if !ok {
		return s3err.New(s3err.InvalidArgument, "Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields.").
			With("ArgumentName", "key").With("ArgumentValue", "")
	}
	key = strings.ReplaceAll(key, "${filename}", form.filename)
	if key == "" {
		return s3err.New(s3err.InvalidArgument, "User key must have a length greater than 0.").With("ArgumentName", "key").With("ArgumentValue", "")
	}
	if len(key) > maxKeyLength {
		return s3err.New(s3err.KeyTooLongError, "").With("Size", strconv.Itoa(len(key))).With("MaxSizeAllowed", strconv.Itoa(maxKeyLength))
	}
	rq.key = key

	// The fields that are headers on PutObject become this request's
	// headers, so the PutObject rules (authorization of lock fields,
	// metadata, checksums) apply unchanged.
	h := http.Header{}
	for _, n := range form.names {
		if postHeaderField(n) {
			h[http.CanonicalHeaderKey(n)] = []string{fv[n]}
		}
	}
	// As S3, the file part's own Content-Type is not the object's: only
	// the Content-Type field is (else binary/octet-stream).
	// acl is x-amz-acl; tagging is a Tagging document, carried on as
	// x-amz-tagging so PutObject's tag and ACL rules apply.
	if v, ok := fv["acl"]; ok {
		h.Set("X-Amz-Acl", v)
	}
	if v, ok := fv["tagging"]; ok {
		q, err := postTagging(v)
		if err != nil {
			return err
		}
		h.Set(taggingHeader, q)
	}
	r := *rq.r
	r.Header = h
	rq.r = &r
	if err := rq.authorize(); err != nil {
		return err
	}

	pol, err := decodePostPolicy(fv["policy"])
	if err != nil {
		return err
	}
	if !s.clock().Before(pol.expiration) {
		return policyDenied("Policy expired.")
	}
	values := map[string]string{}
	for k, v := range fv {
		values[k] = v
	}
	values["key"], values["bucket"] = key, rq.bucket
	lo, hi, ranged, err := pol.check(values, form.names)
	if err != nil {
		return err
	}
	return rq.postObject(form, lo, hi, ranged)
}

// postObject stores the form's file and answers as success_action_redirect
// or success_action_status ask.
func (rq *request) postObject(form *postForm, lo, hi int64, ranged bool) error {
	h := rq.r.Header
	if err := checkUnsupportedHeaders(h); err != nil {
		return err
	}
	opts := engine.PutOptions{Size: -1}
	if err := objectMetadata(h, &opts); err != nil {
		return err
	}
	if err := rq.requestTags(&opts); err != nil {
		return err
	}
	locked, err := lockOptions(h, &opts)
	if err != nil {
		return err
	}
	cr, err := sigv4.ParseChecksumHeaders(h, false)
	if err != nil {
		return err
	}
	if v := h.Get("x-amz-checksum-algorithm"); v != "" {
		a, ok := sigv4.ParseAlgorithm(v)
		if !ok {
			return s3err.New(s3err.InvalidRequest, unsupportedAlgorithmMessage)
		}
		if cr.Algorithm != "" && cr.Algorithm != a {
			return s3err.Errorf(s3err.InvalidRequest, "x-amz-checksum-algorithm %s does not match the %s field", a, cr.Algorithm.HeaderName())
		}
		cr.Default = a
	}
	if locked && cr.ContentMD5 == nil && cr.Algorithm == "" {
		// The policy signature does not cover the file, so an integrity
		// field is the only signal: AWS's rule for lock parameters.
		return s3err.New(s3err.InvalidRequest, "Content-MD5 OR x-amz-checksum- HTTP header is required for Put Object requests with Object Lock parameters")
	}
	max := rq.s.eng.MaxObjectSize()
	if ranged {
		max = min(max, hi)
	}
	sums := sigv4.NewChecksums(cr)
	body := &postFileReader{r: form.file, sums: sums, max: max}
	var res sigv4.Result
	opts.Finalize = func() (map[string]string, error) {
		r, err := sums.Verify()
		if err != nil {
			return nil, err
		}
		if ranged && r.Size < lo {
			return nil, s3err.New(s3err.EntityTooSmall, "").With("ProposedSize", strconv.FormatInt(r.Size, 10)).With("MinSizeAllowed", strconv.FormatInt(lo, 10))
		}
		res = r
		return map[string]string{string(r.Checksum.Algorithm): r.Checksum.Value}, nil
	}
	opts.MD5 = func() [16]byte { return res.MD5 }
	info, err := rq.s.eng.PutObject(rq.ctx, rq.bucket, rq.key, body, opts)
	if err != nil {
		return objectErr(err, rq.bucket, rq.key)
	}
	out := rq.w.Header()
	etag := quoteETag(info.ETag)
	out.Set("ETag", etag)
	loc := rq.objectURL()
	out.Set("Location", loc)
	setChecksumHeaders(out, info.Checksums, info.ChecksumType)
	rq.setWriteVersionHeader(info.VersionID)
	rq.setExpiration(info)

	fv := form.fields
	redirect, ok := fv["success_action_redirect"]
	if !ok {
		redirect = fv["redirect"]
	}
	if u, err := url.Parse(redirect); redirect != "" && err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
		q := u.Query()
		q.Set("bucket", rq.bucket)
		q.Set("key", rq.key)
		q.Set("etag", etag)
		u.RawQuery = q.Encode()
		out.Set("Location", u.String())
		return rq.writeEmpty(http.StatusSeeOther)
	}
	switch fv["success_action_status"] {
	case "200":
		return rq.writeEmpty(http.StatusOK)
	case "201":
		return rq.writeXML(http.StatusCreated, postResponse{Location: loc, Bucket: rq.bucket, Key: rq.key, ETag: etag})
	}
	return rq.writeEmpty(http.StatusNoContent)
}

// postNotForm answers a POST to a bucket that is not a form upload, as
// S3 does.
func (rq *request) postNotForm() error {
	return s3err.New(s3err.PreconditionFailed, "").With("Condition", "Bucket POST must be of the enclosure-type multipart/form-data")
}

// postResponse is the body of a POST upload answered 201.
type postResponse struct {
	XMLName  xml.Name `xml:"PostResponse"`
	Location string   `xml:"Location"`
	Bucket   string   `xml:"Bucket"`
	Key      string   `xml:"Key"`
	ETag     string   `xml:"ETag"`
}

// postFileReader reads the file field, feeding the checksums and failing
// with EntityTooLarge beyond max bytes (the content-length-range's maximum
// or the engine's object size limit), so nothing is stored.
type postFileReader struct {
	r    io.Reader
	sums *sigv4.Checksums
	n    int64
	max  int64
}

func (p *postFileReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.sums.Write(b[:n])
	p.n += int64(n)
	if p.n > p.max {
		return n, s3err.New(s3err.EntityTooLarge, "").With("ProposedSize", strconv.FormatInt(p.n, 10)).With("MaxSizeAllowed", strconv.FormatInt(p.max, 10))
	}
	if err != nil && err != io.EOF {
		err = postReadErr(err)
	}
	return n, err
}
