package s3api_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/stretchr/testify/require"
)

func tagSet(kv ...string) []types.Tag {
	var out []types.Tag
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, types.Tag{Key: aws.String(kv[i]), Value: aws.String(kv[i+1])})
	}
	return out
}

func tagMap(tags []types.Tag) map[string]string {
	m := map[string]string{}
	for _, t := range tags {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}

// TestObjectTagging drives object tagging through aws-sdk-go-v2: tags on
// PutObject, CopyObject (COPY and REPLACE) and multipart uploads, the
// tagging count on GET/HEAD, Put/Get/DeleteObjectTagging by version and on
// a version under COMPLIANCE retention, and a delete marker.
func TestObjectTagging(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.mustCreateBucket("tags", true)
	b := aws.String("tags")

	put, err := e.s3.PutObject(ctx(), &s3.PutObjectInput{Bucket: b, Key: aws.String("a"), Body: strings.NewReader("x"),
		Tagging: aws.String("project=alpha&class=secret%20stuff")})
	require.NoError(t, err)
	v1 := aws.ToString(put.VersionId)

	head, err := e.s3.HeadObject(ctx(), &s3.HeadObjectInput{Bucket: b, Key: aws.String("a")})
	require.NoError(t, err)
	require.Equal(t, int32(2), aws.ToInt32(head.TagCount))
	get, err := e.s3.GetObject(ctx(), &s3.GetObjectInput{Bucket: b, Key: aws.String("a")})
	require.NoError(t, err)
	get.Body.Close()
	require.Equal(t, int32(2), aws.ToInt32(get.TagCount))

	gt, err := e.s3.GetObjectTagging(ctx(), &s3.GetObjectTaggingInput{Bucket: b, Key: aws.String("a")})
	require.NoError(t, err)
	require.Equal(t, map[string]string{"project": "alpha", "class": "secret stuff"}, tagMap(gt.TagSet))
	require.Equal(t, v1, aws.ToString(gt.VersionId))

	// A second version; tag the first by id, under COMPLIANCE retention.
	until := time.Now().Add(24 * time.Hour)
	put2, err := e.s3.PutObject(ctx(), &s3.PutObjectInput{Bucket: b, Key: aws.String("a"), Body: strings.NewReader("y"),
		ObjectLockMode: types.ObjectLockModeCompliance, ObjectLockRetainUntilDate: &until})
	require.NoError(t, err)
	v2 := aws.ToString(put2.VersionId)
	seq := e.eng.AuditLastSeq()
	pt, err := e.s3.PutObjectTagging(ctx(), &s3.PutObjectTaggingInput{Bucket: b, Key: aws.String("a"), VersionId: &v2,
		Tagging: &types.Tagging{TagSet: tagSet("state", "locked")}})
	require.NoError(t, err, "tagging a locked version is allowed")
	require.Equal(t, v2, aws.ToString(pt.VersionId))
	var audited bool
	for _, a := range auditEntriesAfter(t, e.eng, seq) {
		if a.Operation == "PutObjectTagging" && a.Key == "a" && a.VersionID == v2 && a.Outcome == "ok" {
			audited = true
		}
	}
	require.True(t, audited, "the tag change is on record")
	gt, err = e.s3.GetObjectTagging(ctx(), &s3.GetObjectTaggingInput{Bucket: b, Key: aws.String("a"), VersionId: &v1})
	require.NoError(t, err)
	require.Len(t, gt.TagSet, 2, "version 1 keeps its tags")
	gt, err = e.s3.GetObjectTagging(ctx(), &s3.GetObjectTaggingInput{Bucket: b, Key: aws.String("a")})
	require.NoError(t, err)
	require.Equal(t, map[string]string{"state": "locked"}, tagMap(gt.TagSet))

	dt, err := e.s3.DeleteObjectTagging(ctx(), &s3.DeleteObjectTaggingInput{Bucket: b, Key: aws.String("a"), VersionId: &v1})
	require.NoError(t, err)
	require.Equal(t, v1, aws.ToString(dt.VersionId))
	gt, err = e.s3.GetObjectTagging(ctx(), &s3.GetObjectTaggingInput{Bucket: b, Key: aws.String("a"), VersionId: &v1})
	require.NoError(t, err)
	require.Empty(t, gt.TagSet)
	head, err = e.s3.HeadObject(ctx(), &s3.HeadObjectInput{Bucket: b, Key: aws.String("a"), VersionId: &v1})
	require.NoError(t, err)
	require.Nil(t, head.TagCount, "no x-amz-tagging-count without tags")

	// Copy: COPY keeps the source's tags, REPLACE takes x-amz-tagging.
	_, err = e.s3.CopyObject(ctx(), &s3.CopyObjectInput{Bucket: b, Key: aws.String("copy"), CopySource: aws.String("tags/a")})
	require.NoError(t, err)
	gt, err = e.s3.GetObjectTagging(ctx(), &s3.GetObjectTaggingInput{Bucket: b, Key: aws.String("copy")})
	require.NoError(t, err)
	require.Equal(t, map[string]string{"state": "locked"}, tagMap(gt.TagSet))
	_, err = e.s3.CopyObject(ctx(), &s3.CopyObjectInput{Bucket: b, Key: aws.String("copy2"), CopySource: aws.String("tags/a"),
		TaggingDirective: types.TaggingDirectiveReplace, Tagging: aws.String("n=1")})
	require.NoError(t, err)
	gt, err = e.s3.GetObjectTagging(ctx(), &s3.GetObjectTaggingInput{Bucket: b, Key: aws.String("copy2")})
	require.NoError(t, err)
	require.Equal(t, map[string]string{"n": "1"}, tagMap(gt.TagSet))

	// Multipart: tags of CreateMultipartUpload go to the version.
	cm, err := e.s3.CreateMultipartUpload(ctx(), &s3.CreateMultipartUploadInput{Bucket: b, Key: aws.String("mp"), Tagging: aws.String("mp=yes")})
	require.NoError(t, err)
	part, err := e.s3.UploadPart(ctx(), &s3.UploadPartInput{Bucket: b, Key: aws.String("mp"), UploadId: cm.UploadId,
		PartNumber: aws.Int32(1), Body: bytes.NewReader([]byte("part"))})
	require.NoError(t, err)
	_, err = e.s3.CompleteMultipartUpload(ctx(), &s3.CompleteMultipartUploadInput{Bucket: b, Key: aws.String("mp"), UploadId: cm.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: part.ETag, ChecksumCRC32: part.ChecksumCRC32}}}})
	require.NoError(t, err)
	gt, err = e.s3.GetObjectTagging(ctx(), &s3.GetObjectTaggingInput{Bucket: b, Key: aws.String("mp")})
	require.NoError(t, err)
	require.Equal(t, map[string]string{"mp": "yes"}, tagMap(gt.TagSet))

	// A delete marker has no tags.
	_, err = e.s3.DeleteObject(ctx(), &s3.DeleteObjectInput{Bucket: b, Key: aws.String("copy")})
	require.NoError(t, err)
	dm, err := e.s3.DeleteObject(ctx(), &s3.DeleteObjectInput{Bucket: b, Key: aws.String("copy2")})
	require.NoError(t, err)
	_, err = e.s3.GetObjectTagging(ctx(), &s3.GetObjectTaggingInput{Bucket: b, Key: aws.String("copy")})
	requireCode(t, err, "NoSuchKey", 404)
	_, err = e.s3.GetObjectTagging(ctx(), &s3.GetObjectTaggingInput{Bucket: b, Key: aws.String("copy2"), VersionId: dm.VersionId})
	requireCode(t, err, "MethodNotAllowed", 405)
	_, err = e.s3.PutObjectTagging(ctx(), &s3.PutObjectTaggingInput{Bucket: b, Key: aws.String("missing"),
		Tagging: &types.Tagging{TagSet: tagSet("a", "b")}})
	requireCode(t, err, "NoSuchKey", 404)
}

// TestTaggingLimits checks AWS's limits and error messages.
func TestTaggingLimits(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.mustCreateBucket("lim", false)
	e.mustPut("lim", "k", "x")
	b, k := aws.String("lim"), aws.String("k")
	many := func(n int) []types.Tag {
		var kv []string
		for i := range n {
			kv = append(kv, fmt.Sprintf("k%d", i), "v")
		}
		return tagSet(kv...)
	}
	tests := []struct {
		name string
		tags []types.Tag
		msg  string
	}{
		{"eleven tags", many(11), "Object tags cannot be greater than 10"},
		{"key too long", tagSet(strings.Repeat("k", 129), "v"), "The TagKey you have provided is too long, max 128"},
		{"value too long", tagSet("k", strings.Repeat("v", 257)), "The TagValue you have provided is too long, max 256"},
		{"bad key character", tagSet("a*b", "v"), "The TagKey you have provided is invalid"},
		{"bad value character", tagSet("k", "v#"), "The TagValue you have provided is invalid"},
		{"empty key", tagSet("", "v"), "The TagKey you have provided is invalid"},
		{"aws prefix", tagSet("aws:cost", "v"), "Your TagKey cannot be prefixed with aws:"},
		{"duplicate", tagSet("k", "1", "k", "2"), "Cannot provide multiple Tags with the same key"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.s3.PutObjectTagging(ctx(), &s3.PutObjectTaggingInput{Bucket: b, Key: k, Tagging: &types.Tagging{TagSet: tc.tags}})
			requireCode(t, err, "InvalidTag", 400)
			require.Contains(t, err.Error(), tc.msg)
		})
	}
	// Limits are in UTF-16 units: 128 two-unit characters are too many,
	// 64 are fine.
	_, err := e.s3.PutObjectTagging(ctx(), &s3.PutObjectTaggingInput{Bucket: b, Key: k, Tagging: &types.Tagging{TagSet: tagSet(strings.Repeat("𝄞", 65), "v")}})
	requireCode(t, err, "InvalidTag", 400)
	_, err = e.s3.PutObjectTagging(ctx(), &s3.PutObjectTaggingInput{Bucket: b, Key: k, Tagging: &types.Tagging{TagSet: append(many(9), tagSet(strings.Repeat("é", 128), "ünïcode välue with space+-=._:/@")...)}})
	require.NoError(t, err, "10 tags, Unicode letters and the allowed punctuation")

	// x-amz-tagging on PutObject: the same limits, plus its encoding.
	_, err = e.s3.PutObject(ctx(), &s3.PutObjectInput{Bucket: b, Key: k, Body: strings.NewReader("x"), Tagging: aws.String("aws:x=1")})
	requireCode(t, err, "InvalidTag", 400)
	_, err = e.s3.PutObject(ctx(), &s3.PutObjectInput{Bucket: b, Key: k, Body: strings.NewReader("x"), Tagging: aws.String("a=1&a=2")})
	requireCode(t, err, "InvalidArgument", 400)

	// Malformed documents.
	for _, body := range []string{"<Tagging><TagSet><Tag><Key>k</Key></Tag></TagSet></Tagging>", "<Tagging></Tagging>", "<Tagging><TagSet>"} {
		r := e.do("PUT", "/lim/k?tagging", md5Header(body), []byte(body))
		require.Equal(t, 400, r.status, "%s", r.body)
		require.Equal(t, "MalformedXML", r.errorDoc(t).Code)
	}
}

// TestBucketTagging checks Put/Get/DeleteBucketTagging.
func TestBucketTagging(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.mustCreateBucket("btag", false)
	b := aws.String("btag")
	_, err := e.s3.GetBucketTagging(ctx(), &s3.GetBucketTaggingInput{Bucket: b})
	requireCode(t, err, "NoSuchTagSet", 404)
	_, err = e.s3.PutBucketTagging(ctx(), &s3.PutBucketTaggingInput{Bucket: b, Tagging: &types.Tagging{TagSet: tagSet("team", "backup", "cost", "42")}})
	require.NoError(t, err)
	got, err := e.s3.GetBucketTagging(ctx(), &s3.GetBucketTaggingInput{Bucket: b})
	require.NoError(t, err)
	require.Equal(t, map[string]string{"team": "backup", "cost": "42"}, tagMap(got.TagSet))

	var kv []string
	for i := range 51 {
		kv = append(kv, fmt.Sprintf("k%d", i), "v")
	}
	_, err = e.s3.PutBucketTagging(ctx(), &s3.PutBucketTaggingInput{Bucket: b, Tagging: &types.Tagging{TagSet: tagSet(kv...)}})
	requireCode(t, err, "InvalidTag", 400)
	_, err = e.s3.PutBucketTagging(ctx(), &s3.PutBucketTaggingInput{Bucket: b, Tagging: &types.Tagging{TagSet: tagSet(kv[:100]...)}})
	require.NoError(t, err, "50 bucket tags")

	_, err = e.s3.DeleteBucketTagging(ctx(), &s3.DeleteBucketTaggingInput{Bucket: b})
	require.NoError(t, err)
	_, err = e.s3.GetBucketTagging(ctx(), &s3.GetBucketTaggingInput{Bucket: b})
	requireCode(t, err, "NoSuchTagSet", 404)
	_, err = e.s3.GetBucketTagging(ctx(), &s3.GetBucketTaggingInput{Bucket: aws.String("nobucket")})
	requireCode(t, err, "NoSuchBucket", 404)
}

// TestTagConditionKeys checks s3:ExistingObjectTag/<k>,
// s3:RequestObjectTag/<k> and s3:RequestObjectTagKeys in identity
// policies, and that PutObject with tags also needs s3:PutObjectTagging.
func TestTagConditionKeys(t *testing.T) {
	e, ids := newIAMEnv(t)
	e.mustCreateBucket("cond", false)
	b := aws.String("cond")
	_, err := e.s3.PutObject(ctx(), &s3.PutObjectInput{Bucket: b, Key: aws.String("public"), Body: strings.NewReader("p"), Tagging: aws.String("class=public")})
	require.NoError(t, err)
	_, err = e.s3.PutObject(ctx(), &s3.PutObjectInput{Bucket: b, Key: aws.String("secret"), Body: strings.NewReader("s"), Tagging: aws.String("class=secret")})
	require.NoError(t, err)

	reader, _ := newUser(t, e, ids, "reader", map[string]string{"p": `{"Version":"2012-10-17","Statement":[
	  {"Effect":"Allow","Action":["s3:GetObject","s3:GetObjectTagging"],"Resource":"arn:aws:s3:::cond/*",
	   "Condition":{"StringEquals":{"s3:ExistingObjectTag/class":"public"}}}]}`})
	_, err = reader.GetObject(ctx(), &s3.GetObjectInput{Bucket: b, Key: aws.String("public")})
	require.NoError(t, err)
	_, err = reader.GetObject(ctx(), &s3.GetObjectInput{Bucket: b, Key: aws.String("secret")})
	requireCode(t, err, "AccessDenied", 403)
	_, err = reader.GetObjectTagging(ctx(), &s3.GetObjectTaggingInput{Bucket: b, Key: aws.String("secret")})
	requireCode(t, err, "AccessDenied", 403)

	writer, _ := newUser(t, e, ids, "writer", map[string]string{"p": `{"Version":"2012-10-17","Statement":[
	  {"Effect":"Allow","Action":["s3:PutObject","s3:PutObjectTagging"],"Resource":"arn:aws:s3:::cond/*",
	   "Condition":{"StringEquals":{"s3:RequestObjectTag/project":"alpha"},
	                "ForAllValues:StringEquals":{"s3:RequestObjectTagKeys":["project","owner"]}}}]}`})
	_, err = writer.PutObject(ctx(), &s3.PutObjectInput{Bucket: b, Key: aws.String("w1"), Body: strings.NewReader("1"), Tagging: aws.String("project=alpha&owner=me")})
	require.NoError(t, err)
	_, err = writer.PutObject(ctx(), &s3.PutObjectInput{Bucket: b, Key: aws.String("w2"), Body: strings.NewReader("1"), Tagging: aws.String("project=beta")})
	requireCode(t, err, "AccessDenied", 403)
	_, err = writer.PutObject(ctx(), &s3.PutObjectInput{Bucket: b, Key: aws.String("w3"), Body: strings.NewReader("1"), Tagging: aws.String("project=alpha&other=x")})
	requireCode(t, err, "AccessDenied", 403)
	_, err = writer.PutObject(ctx(), &s3.PutObjectInput{Bucket: b, Key: aws.String("w4"), Body: strings.NewReader("1")})
	requireCode(t, err, "AccessDenied", 403)
	_, err = writer.PutObjectTagging(ctx(), &s3.PutObjectTaggingInput{Bucket: b, Key: aws.String("w1"), Tagging: &types.Tagging{TagSet: tagSet("project", "alpha")}})
	require.NoError(t, err)
	_, err = writer.PutObjectTagging(ctx(), &s3.PutObjectTaggingInput{Bucket: b, Key: aws.String("w1"), Tagging: &types.Tagging{TagSet: tagSet("project", "gamma")}})
	requireCode(t, err, "AccessDenied", 403)

	// PutObject with tags needs s3:PutObjectTagging as well.
	plain, _ := newUser(t, e, ids, "plain", map[string]string{"p": `{"Version":"2012-10-17","Statement":[
	  {"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::cond/*"}]}`})
	_, err = plain.PutObject(ctx(), &s3.PutObjectInput{Bucket: b, Key: aws.String("p1"), Body: strings.NewReader("1")})
	require.NoError(t, err)
	_, err = plain.PutObject(ctx(), &s3.PutObjectInput{Bucket: b, Key: aws.String("p2"), Body: strings.NewReader("1"), Tagging: aws.String("a=b")})
	requireCode(t, err, "AccessDenied", 403)

	// Copying a tagged source keeps its tags, which needs
	// s3:GetObjectTagging on the source; REPLACE does not.
	copier, _ := newUser(t, e, ids, "copier", map[string]string{"p": `{"Version":"2012-10-17","Statement":[
	  {"Effect":"Allow","Action":["s3:PutObject","s3:GetObject"],"Resource":"arn:aws:s3:::cond/*"}]}`})
	_, err = copier.CopyObject(ctx(), &s3.CopyObjectInput{Bucket: b, Key: aws.String("c1"), CopySource: aws.String("cond/public")})
	requireCode(t, err, "AccessDenied", 403)
	_, err = copier.CopyObject(ctx(), &s3.CopyObjectInput{Bucket: b, Key: aws.String("c2"), CopySource: aws.String("cond/p1")})
	require.NoError(t, err, "an untagged source needs no s3:GetObjectTagging")
	_, err = copier.CopyObject(ctx(), &s3.CopyObjectInput{Bucket: b, Key: aws.String("c3"), CopySource: aws.String("cond/public"),
		TaggingDirective: types.TaggingDirectiveReplace})
	require.NoError(t, err)

	// A bucket policy sees the same keys: deny reading secret objects to
	// everyone but root, even to a user whose own policy allows all.
	all, _ := newUser(t, e, ids, "all", map[string]string{"p": `{"Version":"2012-10-17","Statement":[
	  {"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`})
	_, err = all.GetObject(ctx(), &s3.GetObjectInput{Bucket: b, Key: aws.String("secret")})
	require.NoError(t, err)
	_, err = e.s3.PutBucketPolicy(ctx(), &s3.PutBucketPolicyInput{Bucket: b, Policy: aws.String(`{"Version":"2012-10-17","Statement":[
	  {"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::cond/*",
	   "Condition":{"StringEquals":{"s3:ExistingObjectTag/class":"secret"}}}]}`)})
	require.NoError(t, err)
	_, err = all.GetObject(ctx(), &s3.GetObjectInput{Bucket: b, Key: aws.String("secret")})
	requireCode(t, err, "AccessDenied", 403)
	_, err = all.GetObject(ctx(), &s3.GetObjectInput{Bucket: b, Key: aws.String("public")})
	require.NoError(t, err)
	_, err = e.s3.DeleteBucketPolicy(ctx(), &s3.DeleteBucketPolicyInput{Bucket: b})
	require.NoError(t, err)

	// Versioned tagging uses s3:PutObjectVersionTagging.
	vw, _ := newUser(t, e, ids, "vw", map[string]string{"p": `{"Version":"2012-10-17","Statement":[
	  {"Effect":"Allow","Action":["s3:PutObjectTagging","s3:GetObjectVersionTagging"],"Resource":"arn:aws:s3:::cond/*"}]}`})
	_, err = vw.PutObjectTagging(ctx(), &s3.PutObjectTaggingInput{Bucket: b, Key: aws.String("p1"), VersionId: aws.String("null"), Tagging: &types.Tagging{TagSet: tagSet("a", "b")}})
	requireCode(t, err, "AccessDenied", 403)
	_, err = vw.GetObjectTagging(ctx(), &s3.GetObjectTaggingInput{Bucket: b, Key: aws.String("p1"), VersionId: aws.String("null")})
	require.NoError(t, err)
}
