package s3api_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/minio/minio-go/v7"
	miniocreds "github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/stretchr/testify/require"

	"github.com/wormstore/wormstore/engine"
)

// postField is one form field, in order.
type postField struct{ name, value string }

// postPolicyForm returns the signed fields of a POST upload for policy
// conditions conds (the x-amz-algorithm/-credential/-date conditions are
// added), expiring at exp, signed with key/secret, and the extra fields.
func postPolicyForm(t *testing.T, key, secret string, exp time.Time, conds []any, extra ...postField) []postField {
	t.Helper()
	now := time.Now().UTC()
	day := now.Format("20060102")
	cred := key + "/" + day + "/" + testRegion + "/s3/aws4_request"
	date := now.Format("20060102T150405Z")
	conds = append(conds, map[string]string{"x-amz-algorithm": "AWS4-HMAC-SHA256"},
		map[string]string{"x-amz-credential": cred}, map[string]string{"x-amz-date": date})
	doc, err := json.Marshal(map[string]any{"expiration": exp.UTC().Format("2006-01-02T15:04:05.000Z"), "conditions": conds})
	require.NoError(t, err)
	b64 := base64.StdEncoding.EncodeToString(doc)
	k := hmacSHA(hmacSHA(hmacSHA(hmacSHA([]byte("AWS4"+secret), day), testRegion), "s3"), "aws4_request")
	m := hmac.New(sha256.New, k)
	m.Write([]byte(b64))
	fields := append([]postField{}, extra...)
	return append(fields, postField{"x-amz-algorithm", "AWS4-HMAC-SHA256"}, postField{"x-amz-credential", cred},
		postField{"x-amz-date", date}, postField{"policy", b64}, postField{"x-amz-signature", hex.EncodeToString(m.Sum(nil))})
}

// postUpload sends a multipart/form-data POST of fields, then the file,
// then the after fields, to url.
func (e *testEnv) postUpload(target string, fields []postField, filename string, file []byte, after ...postField) *rawResponse {
	e.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, f := range fields {
		require.NoError(e.t, mw.WriteField(f.name, f.value))
	}
	if file != nil {
		fw, err := mw.CreateFormFile("file", filename)
		require.NoError(e.t, err)
		fw.Write(file)
	}
	for _, f := range after {
		require.NoError(e.t, mw.WriteField(f.name, f.value))
	}
	require.NoError(e.t, mw.Close())
	req, err := http.NewRequest(http.MethodPost, target, &body)
	require.NoError(e.t, err)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	// Like a browser: no redirects followed.
	cl := *e.srv.Client()
	cl.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := cl.Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(e.t, err)
	return &rawResponse{status: resp.StatusCode, header: resp.Header, body: b}
}

// TestPostObject uploads through browser-style forms with a signed policy:
// success answers (204, 201 document, 200, 303 redirect), ${filename},
// metadata, checksums and lock fields, and AWS's refusals (policy
// conditions, extra fields, expiry, size range, signature, malformed
// policy), none of which stores anything.
func TestPostObject(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.mustCreateBucket("forms", false)
	e.mustCreateBucket("locked", true)
	url := e.srv.URL + "/forms"
	exp := time.Now().Add(time.Hour)
	base := []any{map[string]string{"bucket": "forms"}, []any{"starts-with", "$key", "uploads/"}}

	// Default: 204 with ETag, Location; metadata and Content-Type stored.
	fields := postPolicyForm(t, testAccessKey, testSecret, exp,
		append(base, []any{"starts-with", "$Content-Type", "text/"}, []any{"eq", "$x-amz-meta-colour", "blue"},
			[]any{"content-length-range", 1, 100}),
		postField{"key", "uploads/${filename}"}, postField{"Content-Type", "text/plain"}, postField{"x-amz-meta-colour", "blue"})
	r := e.postUpload(url, fields, "notes.txt", []byte("hello form"))
	require.Equal(t, http.StatusNoContent, r.status, "%s", r.body)
	require.NotEmpty(t, r.header.Get("ETag"))
	require.Equal(t, e.srv.URL+"/forms/uploads/notes.txt", r.header.Get("Location"))
	require.Equal(t, "hello form", e.mustGet("forms", "uploads/notes.txt"))
	head, err := e.s3.HeadObject(ctx(), &s3.HeadObjectInput{Bucket: aws.String("forms"), Key: aws.String("uploads/notes.txt")})
	require.NoError(t, err)
	require.Equal(t, "text/plain", aws.ToString(head.ContentType))
	require.Equal(t, "blue", head.Metadata["colour"])
	require.Equal(t, r.header.Get("ETag"), aws.ToString(head.ETag))

	// 201 answers a PostResponse document.
	fields = postPolicyForm(t, testAccessKey, testSecret, exp, append(base, map[string]string{"success_action_status": "201"}),
		postField{"key", "uploads/201"}, postField{"success_action_status", "201"})
	r = e.postUpload(url, fields, "x", []byte("created"))
	require.Equal(t, http.StatusCreated, r.status, "%s", r.body)
	var pr struct {
		Location, Bucket, Key, ETag string
	}
	require.NoError(t, xmlUnmarshal(r.body, &pr))
	require.Equal(t, "forms", pr.Bucket)
	require.Equal(t, "uploads/201", pr.Key)
	require.Equal(t, e.srv.URL+"/forms/uploads/201", pr.Location)
	require.Equal(t, r.header.Get("ETag"), pr.ETag)

	// 303 to success_action_redirect with bucket, key and etag.
	fields = postPolicyForm(t, testAccessKey, testSecret, exp,
		append(base, []any{"starts-with", "$success_action_redirect", "https://app.example/"}),
		postField{"key", "uploads/redir"}, postField{"success_action_redirect", "https://app.example/done?x=1"})
	r = e.postUpload(url, fields, "x", []byte("redirected"))
	require.Equal(t, http.StatusSeeOther, r.status, "%s", r.body)
	loc, err := neturlParse(r.header.Get("Location"))
	require.NoError(t, err)
	require.Equal(t, "app.example", loc.Host)
	require.Equal(t, "forms", loc.Query().Get("bucket"))
	require.Equal(t, "uploads/redir", loc.Query().Get("key"))
	require.Equal(t, "1", loc.Query().Get("x"))
	require.NotEmpty(t, loc.Query().Get("etag"))

	// Fields after the file are ignored (not even checked against the policy).
	fields = postPolicyForm(t, testAccessKey, testSecret, exp, base, postField{"key", "uploads/after"})
	r = e.postUpload(url, fields, "x", []byte("after"), postField{"x-amz-meta-late", "ignored"})
	require.Equal(t, http.StatusNoContent, r.status, "%s", r.body)

	// A verified checksum field, stored and returned.
	sum := sha256.Sum256([]byte("checked"))
	b64 := base64.StdEncoding.EncodeToString(sum[:])
	fields = postPolicyForm(t, testAccessKey, testSecret, exp, append(base, map[string]string{"x-amz-checksum-sha256": b64}),
		postField{"key", "uploads/sum"}, postField{"x-amz-checksum-sha256", b64})
	r = e.postUpload(url, fields, "x", []byte("checked"))
	require.Equal(t, http.StatusNoContent, r.status, "%s", r.body)
	require.Equal(t, b64, r.header.Get("x-amz-checksum-sha256"))
	r = e.postUpload(url, fields, "x", []byte("tampered"))
	require.Equal(t, 400, r.status)
	require.Equal(t, "BadDigest", r.errorDoc(t).Code)

	// Refusals, each storing nothing.
	refuse := func(name string, fields []postField, file []byte, status int, code, msg string) {
		t.Helper()
		r := e.postUpload(url, fields, "f", file)
		require.Equal(t, status, r.status, "%s: %s", name, r.body)
		d := r.errorDoc(t)
		require.Equal(t, code, d.Code, name)
		require.Contains(t, d.Message, msg, name)
	}
	refuse("condition", postPolicyForm(t, testAccessKey, testSecret, exp, base, postField{"key", "elsewhere/k"}),
		[]byte("x"), 403, "AccessDenied", `Invalid according to Policy: Policy Condition failed: ["starts-with","$key","uploads/"]`)
	refuse("extra field", postPolicyForm(t, testAccessKey, testSecret, exp, base, postField{"key", "uploads/k"}, postField{"x-amz-meta-sneaky", "1"}),
		[]byte("x"), 403, "AccessDenied", "Invalid according to Policy: Extra input fields: x-amz-meta-sneaky")
	refuse("expired", postPolicyForm(t, testAccessKey, testSecret, time.Now().Add(-time.Minute), base, postField{"key", "uploads/k"}),
		[]byte("x"), 403, "AccessDenied", "Invalid according to Policy: Policy expired.")
	sized := append(base, []any{"content-length-range", 5, 10})
	refuse("too large", postPolicyForm(t, testAccessKey, testSecret, exp, sized, postField{"key", "uploads/k"}),
		[]byte("eleven bytes"), 400, "EntityTooLarge", "")
	refuse("too small", postPolicyForm(t, testAccessKey, testSecret, exp, sized, postField{"key", "uploads/k"}),
		[]byte("tiny"), 400, "EntityTooSmall", "")
	refuse("bad secret", postPolicyForm(t, testAccessKey, "not the secret", exp, base, postField{"key", "uploads/k"}),
		[]byte("x"), 403, "SignatureDoesNotMatch", "")
	refuse("unknown key", postPolicyForm(t, "AKIAUNKNOWN", testSecret, exp, base, postField{"key", "uploads/k"}),
		[]byte("x"), 403, "InvalidAccessKeyId", "")
	refuse("anonymous", []postField{{"key", "uploads/k"}}, []byte("x"), 403, "AccessDenied", "")
	refuse("no file", postPolicyForm(t, testAccessKey, testSecret, exp, base, postField{"key", "uploads/k"}),
		nil, 400, "IncorrectNumberOfFilesInPostRequest", "")
	refuse("no key", postPolicyForm(t, testAccessKey, testSecret, exp, base), []byte("x"), 400, "InvalidArgument", "key")
	bad := postPolicyForm(t, testAccessKey, testSecret, exp, base, postField{"key", "uploads/k"})
	for i := range bad {
		if bad[i].name == "policy" {
			bad[i].value = "not base64!"
		}
	}
	refuse("bad policy", bad, []byte("x"), 403, "SignatureDoesNotMatch", "")
	refuse("lock without checksum", postPolicyForm(t, testAccessKey, testSecret, exp,
		[]any{map[string]string{"bucket": "forms"}, []any{"starts-with", "$key", ""}, []any{"starts-with", "$x-amz-object-lock-legal-hold", ""}},
		postField{"key", "uploads/k"}, postField{"x-amz-object-lock-legal-hold", "ON"}), []byte("x"), 400, "InvalidRequest", "Content-MD5")
	_, err = e.s3.HeadObject(ctx(), &s3.HeadObjectInput{Bucket: aws.String("forms"), Key: aws.String("uploads/k")})
	requireCode(t, err, "NotFound", http.StatusNotFound)

	// A policy that does not decode (signed as is) is InvalidPolicyDocument.
	fields = signRawPolicy(t, "bm90IGpzb24=", postField{"key", "uploads/k"}) // "not json"
	r = e.postUpload(url, fields, "f", []byte("x"))
	require.Equal(t, 400, r.status, "%s", r.body)
	require.Equal(t, "InvalidPolicyDocument", r.errorDoc(t).Code)

	// Lock fields with a checksum: the version is held.
	md5sum := base64.StdEncoding.EncodeToString(md5Of([]byte("held")))
	lurl := e.srv.URL + "/locked"
	until := time.Now().Add(time.Hour).UTC().Truncate(time.Second).Format(time.RFC3339)
	fields = postPolicyForm(t, testAccessKey, testSecret, exp,
		[]any{map[string]string{"bucket": "locked"}, map[string]string{"key": "held"}, map[string]string{"x-amz-object-lock-mode": "GOVERNANCE"},
			map[string]string{"x-amz-object-lock-retain-until-date": until}, map[string]string{"x-amz-object-lock-legal-hold": "ON"},
			map[string]string{"content-md5": md5sum}},
		postField{"key", "held"}, postField{"x-amz-object-lock-mode", "GOVERNANCE"}, postField{"x-amz-object-lock-retain-until-date", until},
		postField{"x-amz-object-lock-legal-hold", "ON"}, postField{"Content-MD5", md5sum})
	r = e.postUpload(lurl, fields, "f", []byte("held"))
	require.Equal(t, http.StatusNoContent, r.status, "%s", r.body)
	vid := r.header.Get("x-amz-version-id")
	require.NotEmpty(t, vid)
	head, err = e.s3.HeadObject(ctx(), &s3.HeadObjectInput{Bucket: aws.String("locked"), Key: aws.String("held")})
	require.NoError(t, err)
	require.Equal(t, "GOVERNANCE", string(head.ObjectLockMode))
	require.Equal(t, "ON", string(head.ObjectLockLegalHoldStatus))
	_, err = e.s3.DeleteObject(ctx(), &s3.DeleteObjectInput{Bucket: aws.String("locked"), Key: aws.String("held"), VersionId: aws.String(vid)})
	requireCode(t, err, "AccessDenied", http.StatusForbidden)

	// A POST to a bucket that is not a form.
	r = e.do("POST", "/forms", http.Header{"Content-Type": {"text/plain"}}, []byte("x"))
	require.Equal(t, http.StatusPreconditionFailed, r.status, "%s", r.body)
}

// signRawPolicy signs an arbitrary base64 policy as the test key.
func signRawPolicy(t *testing.T, b64 string, extra ...postField) []postField {
	now := time.Now().UTC()
	day := now.Format("20060102")
	cred := testAccessKey + "/" + day + "/" + testRegion + "/s3/aws4_request"
	k := hmacSHA(hmacSHA(hmacSHA(hmacSHA([]byte("AWS4"+testSecret), day), testRegion), "s3"), "aws4_request")
	m := hmac.New(sha256.New, k)
	m.Write([]byte(b64))
	return append(extra, postField{"x-amz-algorithm", "AWS4-HMAC-SHA256"}, postField{"x-amz-credential", cred},
		postField{"x-amz-date", now.Format("20060102T150405Z")}, postField{"policy", b64}, postField{"x-amz-signature", hex.EncodeToString(m.Sum(nil))})
}

// TestPostObjectMinio uses minio-go's PresignedPostPolicy and posts its
// form as a browser would.
func TestPostObjectMinio(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.mustCreateBucket("mforms", false)
	mc, err := minio.New(strings.TrimPrefix(e.srv.URL, "http://"), &minio.Options{
		Creds: miniocreds.NewStaticV4(testAccessKey, testSecret, ""), Region: testRegion, Transport: e.srv.Client().Transport, MaxRetries: 1,
	})
	require.NoError(t, err)
	p := minio.NewPostPolicy()
	require.NoError(t, p.SetBucket("mforms"))
	require.NoError(t, p.SetKey("from/minio.bin"))
	require.NoError(t, p.SetExpires(time.Now().Add(10*time.Minute)))
	require.NoError(t, p.SetContentType("application/octet-stream"))
	require.NoError(t, p.SetContentLengthRange(1, 1<<20))
	require.NoError(t, p.SetUserMetadata("origin", "minio"))
	data := bytes.Repeat([]byte("m"), 5000)
	require.NoError(t, p.SetChecksum(minio.NewChecksum(minio.ChecksumSHA256, sha256Sum(data))))
	u, form, err := mc.PresignedPostPolicy(context.Background(), p)
	require.NoError(t, err)
	var fields []postField
	for k, v := range form {
		fields = append(fields, postField{k, v})
	}
	r := e.postUpload(u.String(), fields, "minio.bin", data)
	require.Equal(t, http.StatusNoContent, r.status, "%s", r.body)
	obj, err := mc.StatObject(context.Background(), "mforms", "from/minio.bin", minio.StatObjectOptions{})
	require.NoError(t, err)
	require.Equal(t, int64(len(data)), obj.Size)
	require.Equal(t, "minio", obj.UserMetadata["Origin"])

	// Too large for the policy's range: refused, nothing stored.
	p = minio.NewPostPolicy()
	require.NoError(t, p.SetBucket("mforms"))
	require.NoError(t, p.SetKey("from/big.bin"))
	require.NoError(t, p.SetExpires(time.Now().Add(10*time.Minute)))
	require.NoError(t, p.SetContentLengthRange(1, 10))
	u, form, err = mc.PresignedPostPolicy(context.Background(), p)
	require.NoError(t, err)
	fields = fields[:0]
	for k, v := range form {
		fields = append(fields, postField{k, v})
	}
	r = e.postUpload(u.String(), fields, "big.bin", data)
	require.Equal(t, 400, r.status, "%s", r.body)
	require.Equal(t, "EntityTooLarge", r.errorDoc(t).Code)
	_, err = mc.StatObject(context.Background(), "mforms", "from/big.bin", minio.StatObjectOptions{})
	require.Error(t, err)
}

// TestPostObjectAuthorization: the form's credential is the caller; a user
// without s3:PutObject on the key is refused (403) and the refusal audited.
func TestPostObjectAuthorization(t *testing.T) {
	e, ids := newIAMEnv(t)
	e.mustCreateBucket("authz", false)
	_, cred := newUser(t, e, ids, "poster", map[string]string{"put": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::authz/allowed/*"}]}`})
	exp := time.Now().Add(time.Hour)
	conds := []any{map[string]string{"bucket": "authz"}, []any{"starts-with", "$key", ""}}
	r := e.postUpload(e.srv.URL+"/authz", postPolicyForm(t, cred.AccessKey, cred.SecretKey, exp, conds, postField{"key", "allowed/k"}), "f", []byte("ok"))
	require.Equal(t, http.StatusNoContent, r.status, "%s", r.body)
	r = e.postUpload(e.srv.URL+"/authz", postPolicyForm(t, cred.AccessKey, cred.SecretKey, exp, conds, postField{"key", "denied/k"}), "f", []byte("no"))
	require.Equal(t, http.StatusForbidden, r.status, "%s", r.body)
	require.Equal(t, "AccessDenied", r.errorDoc(t).Code)
	var ops []string
	require.NoError(t, e.eng.AuditEntries(ctx(), 0, func(a engine.AuditEntry) error {
		if a.Operation == "PostObject" {
			ops = append(ops, fmt.Sprintf("%s %s", a.Outcome, a.Key))
		}
		return nil
	}))
	require.Contains(t, ops, string(engine.AuditOK)+" allowed/k")
	require.Contains(t, ops, string(engine.AuditDenied)+" denied/k")
	require.Equal(t, "ok", e.mustGet("authz", "allowed/k"))
}

func neturlParse(s string) (*url.URL, error) { return url.Parse(s) }

func md5Of(b []byte) []byte {
	s := md5.Sum(b)
	return s[:]
}

func sha256Sum(b []byte) []byte {
	s := sha256.Sum256(b)
	return s[:]
}

// TestPostObjectPreFileCap: what precedes the file is read before
// authentication and is capped (fields and part headers alike).
func TestPostObjectPreFileCap(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.mustCreateBucket("capped", false)
	url := e.srv.URL + "/capped"
	r := e.postUpload(url, []postField{{"key", "k"}, {"x-amz-meta-big", strings.Repeat("v", 21<<10)}}, "f", []byte("x"))
	require.Equal(t, 400, r.status, "%s", r.body)
	require.Equal(t, "MaxPostPreDataLengthExceededError", r.errorDoc(t).Code)
	var many []postField
	for i := range 3000 {
		many = append(many, postField{fmt.Sprintf("x-ignore-%d", i), ""})
	}
	r = e.postUpload(url, many, "f", []byte("x"))
	require.Equal(t, 400, r.status, "%s", r.body)
	require.Equal(t, "MaxPostPreDataLengthExceededError", r.errorDoc(t).Code)
}

// TestPostObjectBoto3: the form AWS's own SDK generates
// (boto3 generate_presigned_post, SigV4) uploads as a browser would post it.
func TestPostObjectBoto3(t *testing.T) {
	if exec.Command("python3", "-c", "import boto3").Run() != nil {
		t.Skip("python3 with boto3 not installed")
	}
	e := newEnv(t, envOptions{})
	e.mustCreateBucket("boto", false)
	script := `
import boto3, json, sys
from botocore.config import Config
s3 = boto3.client("s3", endpoint_url=sys.argv[1], region_name="us-east-1", aws_access_key_id=sys.argv[2],
                  aws_secret_access_key=sys.argv[3], config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))
p = s3.generate_presigned_post("boto", "up/${filename}", Fields={"x-amz-meta-tool": "boto3", "success_action_status": "201"},
    Conditions=[["starts-with", "$key", "up/"], {"x-amz-meta-tool": "boto3"}, {"success_action_status": "201"},
                ["content-length-range", 1, 1000]], ExpiresIn=600)
print(json.dumps(p))
`
	cmd := exec.Command("python3", "-c", script, e.srv.URL, testAccessKey, testSecret)
	cmd.Env = append(os.Environ(), "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	out, err := cmd.Output()
	require.NoError(t, err)
	var p struct {
		URL    string            `json:"url"`
		Fields map[string]string `json:"fields"`
	}
	require.NoError(t, json.Unmarshal(out, &p))
	var fields []postField
	for k, v := range p.Fields {
		fields = append(fields, postField{k, v})
	}
	r := e.postUpload(p.URL, fields, "boto.txt", []byte("from boto3"))
	require.Equal(t, http.StatusCreated, r.status, "%s", r.body)
	require.Contains(t, string(r.body), "<Key>up/boto.txt</Key>")
	require.Equal(t, "from boto3", e.mustGet("boto", "up/boto.txt"))
	r = e.postUpload(p.URL, fields, "big.txt", bytes.Repeat([]byte("x"), 1001))
	require.Equal(t, 400, r.status, "%s", r.body)
	require.Equal(t, "EntityTooLarge", r.errorDoc(t).Code)
}

// TestPostObjectContentType: only the Content-Type field sets the object's
// type; the file part's header does not (S3 stores binary/octet-stream).
func TestPostObjectContentType(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.mustCreateBucket("ctype", false)
	fields := postPolicyForm(t, testAccessKey, testSecret, time.Now().Add(time.Hour),
		[]any{map[string]string{"bucket": "ctype"}, map[string]string{"key": "k"}}, postField{"key", "k"})
	r := e.postUpload(e.srv.URL+"/ctype", fields, "photo.jpg", []byte("not really a jpeg")) // CreateFormFile: application/octet-stream part
	require.Equal(t, http.StatusNoContent, r.status, "%s", r.body)
	head, err := e.s3.HeadObject(ctx(), &s3.HeadObjectInput{Bucket: aws.String("ctype"), Key: aws.String("k")})
	require.NoError(t, err)
	require.Equal(t, "binary/octet-stream", aws.ToString(head.ContentType))
}

// TestPostObjectTaggingAndACL: the form's tagging field (a Tagging
// document) tags the new object under AWS's tag rules, and its acl field
// follows BucketOwnerEnforced like x-amz-acl: private is accepted, a
// public ACL refused with nothing stored.
func TestPostObjectTaggingAndACL(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.mustCreateBucket("forms", false)
	url := e.srv.URL + "/forms"
	exp := time.Now().Add(time.Hour)
	tagging := `<Tagging><TagSet><Tag><Key>project</Key><Value>apollo 11</Value></Tag><Tag><Key>tier</Key><Value>cold</Value></Tag></TagSet></Tagging>`
	conds := []any{map[string]string{"bucket": "forms"}, []any{"starts-with", "$key", ""},
		[]any{"starts-with", "$tagging", ""}, []any{"starts-with", "$acl", ""}}

	fields := postPolicyForm(t, testAccessKey, testSecret, exp, conds,
		postField{"key", "tagged"}, postField{"tagging", tagging}, postField{"acl", "private"})
	r := e.postUpload(url, fields, "x", []byte("tagged by form"))
	require.Equal(t, http.StatusNoContent, r.status, "%s", r.body)
	got, err := e.s3.GetObjectTagging(ctx(), &s3.GetObjectTaggingInput{Bucket: aws.String("forms"), Key: aws.String("tagged")})
	require.NoError(t, err)
	tags := map[string]string{}
	for _, tg := range got.TagSet {
		tags[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
	}
	require.Equal(t, map[string]string{"project": "apollo 11", "tier": "cold"}, tags)

	fields = postPolicyForm(t, testAccessKey, testSecret, exp, conds,
		postField{"key", "public"}, postField{"acl", "public-read"})
	r = e.postUpload(url, fields, "x", []byte("public"))
	require.Equal(t, http.StatusBadRequest, r.status, "%s", r.body)
	require.Contains(t, string(r.body), "AccessControlListNotSupported")

	fields = postPolicyForm(t, testAccessKey, testSecret, exp, conds,
		postField{"key", "badtag"}, postField{"tagging", `<Tagging><TagSet><Tag><Key>aws:x</Key><Value>v</Value></Tag></TagSet></Tagging>`})
	r = e.postUpload(url, fields, "x", []byte("bad tag"))
	require.Equal(t, http.StatusBadRequest, r.status, "%s", r.body)
	require.Contains(t, string(r.body), "InvalidTag")

	for _, k := range []string{"public", "badtag"} {
		_, err := e.s3.HeadObject(ctx(), &s3.HeadObjectInput{Bucket: aws.String("forms"), Key: aws.String(k)})
		require.Error(t, err, "a refused form stores nothing (%s)", k)
	}
}
