package s3api_test

import (
	"crypto/md5"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/stretchr/testify/require"

	"github.com/wormstore/wormstore/engine"
)

// TestLifecycleConfigurationSDK: Put, Get and Delete with aws-sdk-go-v2,
// every filter shape and action coming back as it was put.
func TestLifecycleConfigurationSDK(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.mustCreateBucket("lc-bucket", true)
	b := aws.String("lc-bucket")

	_, err := e.s3.GetBucketLifecycleConfiguration(ctx(), &s3.GetBucketLifecycleConfigurationInput{Bucket: b})
	requireCode(t, err, "NoSuchLifecycleConfiguration", http.StatusNotFound)

	date := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	rules := []types.LifecycleRule{
		{ID: aws.String("restic-prune"), Status: types.ExpirationStatusEnabled, Filter: &types.LifecycleRuleFilter{Prefix: aws.String("data/")},
			NoncurrentVersionExpiration: &types.NoncurrentVersionExpiration{NoncurrentDays: aws.Int32(30), NewerNoncurrentVersions: aws.Int32(2)}},
		{ID: aws.String("markers"), Status: types.ExpirationStatusEnabled, Filter: &types.LifecycleRuleFilter{},
			Expiration:                     &types.LifecycleExpiration{ExpiredObjectDeleteMarker: aws.Bool(true)},
			AbortIncompleteMultipartUpload: &types.AbortIncompleteMultipartUpload{DaysAfterInitiation: aws.Int32(7)}},
		{ID: aws.String("tagged"), Status: types.ExpirationStatusDisabled,
			Filter:     &types.LifecycleRuleFilter{Tag: &types.Tag{Key: aws.String("class"), Value: aws.String("tmp")}},
			Expiration: &types.LifecycleExpiration{Days: aws.Int32(3)}},
		{ID: aws.String("and"), Status: types.ExpirationStatusEnabled,
			Filter: &types.LifecycleRuleFilter{And: &types.LifecycleRuleAndOperator{Prefix: aws.String("logs/"),
				Tags:                  []types.Tag{{Key: aws.String("a"), Value: aws.String("1")}, {Key: aws.String("b"), Value: aws.String("2")}},
				ObjectSizeGreaterThan: aws.Int64(10), ObjectSizeLessThan: aws.Int64(1 << 20)}},
			Expiration: &types.LifecycleExpiration{Date: &date}},
		{ID: aws.String("big"), Status: types.ExpirationStatusEnabled, Filter: &types.LifecycleRuleFilter{ObjectSizeGreaterThan: aws.Int64(1 << 30)},
			Expiration: &types.LifecycleExpiration{Days: aws.Int32(365)}},
		{ID: aws.String("legacy"), Status: types.ExpirationStatusEnabled, Prefix: aws.String("old/"),
			Expiration: &types.LifecycleExpiration{Days: aws.Int32(1)}},
	}
	put, err := e.s3.PutBucketLifecycleConfiguration(ctx(), &s3.PutBucketLifecycleConfigurationInput{Bucket: b,
		LifecycleConfiguration: &types.BucketLifecycleConfiguration{Rules: rules}})
	require.NoError(t, err)
	require.Equal(t, types.TransitionDefaultMinimumObjectSizeAllStorageClasses128k, put.TransitionDefaultMinimumObjectSize)

	got, err := e.s3.GetBucketLifecycleConfiguration(ctx(), &s3.GetBucketLifecycleConfigurationInput{Bucket: b})
	require.NoError(t, err)
	require.Len(t, got.Rules, len(rules))
	for i, want := range rules {
		g := got.Rules[i]
		require.Equal(t, aws.ToString(want.ID), aws.ToString(g.ID))
		require.Equal(t, want.Status, g.Status)
		require.Equal(t, aws.ToString(want.Prefix), aws.ToString(g.Prefix), aws.ToString(want.ID))
		require.Equal(t, want.Filter == nil, g.Filter == nil, aws.ToString(want.ID))
		if want.Filter != nil {
			require.Equal(t, aws.ToString(want.Filter.Prefix), aws.ToString(g.Filter.Prefix))
			require.Equal(t, want.Filter.Tag, g.Filter.Tag)
			require.Equal(t, aws.ToInt64(want.Filter.ObjectSizeGreaterThan), aws.ToInt64(g.Filter.ObjectSizeGreaterThan))
			if want.Filter.And != nil {
				require.NotNil(t, g.Filter.And)
				require.Equal(t, want.Filter.And.Tags, g.Filter.And.Tags)
				require.Equal(t, "logs/", aws.ToString(g.Filter.And.Prefix))
				require.Equal(t, int64(10), aws.ToInt64(g.Filter.And.ObjectSizeGreaterThan))
				require.Equal(t, int64(1<<20), aws.ToInt64(g.Filter.And.ObjectSizeLessThan))
			}
		}
		if want.Expiration != nil {
			require.Equal(t, aws.ToInt32(want.Expiration.Days), aws.ToInt32(g.Expiration.Days))
			require.Equal(t, aws.ToBool(want.Expiration.ExpiredObjectDeleteMarker), aws.ToBool(g.Expiration.ExpiredObjectDeleteMarker))
			if want.Expiration.Date != nil {
				require.True(t, want.Expiration.Date.Equal(*g.Expiration.Date))
			}
		}
		require.Equal(t, want.NoncurrentVersionExpiration, g.NoncurrentVersionExpiration)
		require.Equal(t, want.AbortIncompleteMultipartUpload, g.AbortIncompleteMultipartUpload)
	}

	// A rule without an ID gets one.
	_, err = e.s3.PutBucketLifecycleConfiguration(ctx(), &s3.PutBucketLifecycleConfigurationInput{Bucket: b,
		LifecycleConfiguration: &types.BucketLifecycleConfiguration{Rules: []types.LifecycleRule{
			{Status: types.ExpirationStatusEnabled, Filter: &types.LifecycleRuleFilter{}, Expiration: &types.LifecycleExpiration{Days: aws.Int32(1)}}}}})
	require.NoError(t, err)
	got, err = e.s3.GetBucketLifecycleConfiguration(ctx(), &s3.GetBucketLifecycleConfigurationInput{Bucket: b})
	require.NoError(t, err)
	require.Len(t, got.Rules, 1, "a put replaces the whole configuration")
	require.NotEmpty(t, aws.ToString(got.Rules[0].ID))

	_, err = e.s3.DeleteBucketLifecycle(ctx(), &s3.DeleteBucketLifecycleInput{Bucket: b})
	require.NoError(t, err)
	_, err = e.s3.GetBucketLifecycleConfiguration(ctx(), &s3.GetBucketLifecycleConfigurationInput{Bucket: b})
	requireCode(t, err, "NoSuchLifecycleConfiguration", http.StatusNotFound)
	_, err = e.s3.DeleteBucketLifecycle(ctx(), &s3.DeleteBucketLifecycleInput{Bucket: b})
	require.NoError(t, err, "deleting no configuration is 204, as on AWS")

	_, err = e.s3.GetBucketLifecycleConfiguration(ctx(), &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String("nope")})
	requireCode(t, err, "NoSuchBucket", http.StatusNotFound)
	_, err = e.s3.PutBucketLifecycleConfiguration(ctx(), &s3.PutBucketLifecycleConfigurationInput{Bucket: aws.String("nope"),
		LifecycleConfiguration: &types.BucketLifecycleConfiguration{Rules: rules[:1]}})
	requireCode(t, err, "NoSuchBucket", http.StatusNotFound)
}

// TestLifecycleValidationSDK: the errors an SDK user can provoke with
// well-formed requests, with AWS's codes.
func TestLifecycleValidationSDK(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.mustCreateBucket("lc-bucket", false)
	rule := func(mod func(*types.LifecycleRule)) types.LifecycleRule {
		r := types.LifecycleRule{ID: aws.String("r"), Status: types.ExpirationStatusEnabled, Filter: &types.LifecycleRuleFilter{Prefix: aws.String("")},
			Expiration: &types.LifecycleExpiration{Days: aws.Int32(1)}}
		mod(&r)
		return r
	}
	tests := []struct {
		name    string
		rules   []types.LifecycleRule
		code    string
		message string
	}{
		{"days zero", []types.LifecycleRule{rule(func(r *types.LifecycleRule) { r.Expiration.Days = aws.Int32(0) })},
			"InvalidArgument", "'Days' for Expiration action must be a positive integer"},
		{"date not midnight", []types.LifecycleRule{rule(func(r *types.LifecycleRule) {
			d := time.Date(2027, 1, 1, 12, 0, 0, 0, time.UTC)
			r.Expiration = &types.LifecycleExpiration{Date: &d}
		})}, "InvalidArgument", "'Date' must be at midnight GMT"},
		{"days and date", []types.LifecycleRule{rule(func(r *types.LifecycleRule) {
			d := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
			r.Expiration.Date = &d
		})}, "MalformedXML", ""},
		{"expired delete marker with days", []types.LifecycleRule{rule(func(r *types.LifecycleRule) {
			r.Expiration.ExpiredObjectDeleteMarker = aws.Bool(true)
		})}, "MalformedXML", ""},
		{"expired delete marker with tag", []types.LifecycleRule{rule(func(r *types.LifecycleRule) {
			r.Filter = &types.LifecycleRuleFilter{Tag: &types.Tag{Key: aws.String("k"), Value: aws.String("v")}}
			r.Expiration = &types.LifecycleExpiration{ExpiredObjectDeleteMarker: aws.Bool(true)}
		})}, "InvalidRequest", "ExpiredObjectDeleteMarker cannot be specified with Tags."},
		{"noncurrent days zero", []types.LifecycleRule{rule(func(r *types.LifecycleRule) {
			r.NoncurrentVersionExpiration = &types.NoncurrentVersionExpiration{NoncurrentDays: aws.Int32(0)}
		})}, "InvalidArgument", "'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive integer"},
		{"newer noncurrent zero", []types.LifecycleRule{rule(func(r *types.LifecycleRule) {
			r.NoncurrentVersionExpiration = &types.NoncurrentVersionExpiration{NoncurrentDays: aws.Int32(1), NewerNoncurrentVersions: aws.Int32(0)}
		})}, "InvalidArgument", "'NewerNoncurrentVersions' for NoncurrentVersionExpiration action must be a positive integer"},
		{"newer noncurrent over 100", []types.LifecycleRule{rule(func(r *types.LifecycleRule) {
			r.NoncurrentVersionExpiration = &types.NoncurrentVersionExpiration{NoncurrentDays: aws.Int32(1), NewerNoncurrentVersions: aws.Int32(101)}
		})}, "InvalidArgument", "'NewerNoncurrentVersions' for NoncurrentVersionExpiration action must not exceed 100"},
		{"abort days zero", []types.LifecycleRule{rule(func(r *types.LifecycleRule) {
			r.AbortIncompleteMultipartUpload = &types.AbortIncompleteMultipartUpload{DaysAfterInitiation: aws.Int32(0)}
		})}, "InvalidArgument", "'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be a positive integer"},
		{"abort with tag", []types.LifecycleRule{rule(func(r *types.LifecycleRule) {
			r.Filter = &types.LifecycleRuleFilter{Tag: &types.Tag{Key: aws.String("k"), Value: aws.String("v")}}
			r.AbortIncompleteMultipartUpload = &types.AbortIncompleteMultipartUpload{DaysAfterInitiation: aws.Int32(1)}
		})}, "InvalidRequest", "AbortIncompleteMultipartUpload cannot be specified with Tags."},
		{"no action", []types.LifecycleRule{rule(func(r *types.LifecycleRule) { r.Expiration = nil })},
			"InvalidRequest", "At least one action needs to be specified in a rule"},
		{"duplicate id", []types.LifecycleRule{rule(func(*types.LifecycleRule) {}), rule(func(*types.LifecycleRule) {})},
			"InvalidArgument", "Rule ID must be unique. Found same ID for more than one rule"},
		{"id too long", []types.LifecycleRule{rule(func(r *types.LifecycleRule) { r.ID = aws.String(strings.Repeat("x", 256)) })},
			"InvalidArgument", "ID length should not exceed allowed limit of 255"},
		{"filter and prefix", []types.LifecycleRule{rule(func(r *types.LifecycleRule) { r.Prefix = aws.String("p/") })}, "MalformedXML", ""},
		{"no filter, no prefix", []types.LifecycleRule{rule(func(r *types.LifecycleRule) { r.Filter = nil })}, "MalformedXML", ""},
		{"two filter conditions", []types.LifecycleRule{rule(func(r *types.LifecycleRule) {
			r.Filter = &types.LifecycleRuleFilter{Prefix: aws.String("a"), ObjectSizeLessThan: aws.Int64(5)}
		})}, "MalformedXML", ""},
		{"size bounds crossed", []types.LifecycleRule{rule(func(r *types.LifecycleRule) {
			r.Filter = &types.LifecycleRuleFilter{And: &types.LifecycleRuleAndOperator{ObjectSizeGreaterThan: aws.Int64(10), ObjectSizeLessThan: aws.Int64(10)}}
		})}, "InvalidArgument", "ObjectSizeGreaterThan (10) must be less than ObjectSizeLessThan (10)"},
		{"duplicate tag keys", []types.LifecycleRule{rule(func(r *types.LifecycleRule) {
			r.Filter = &types.LifecycleRuleFilter{And: &types.LifecycleRuleAndOperator{Tags: []types.Tag{
				{Key: aws.String("k"), Value: aws.String("1")}, {Key: aws.String("k"), Value: aws.String("2")}}}}
		})}, "InvalidRequest", "Duplicate Tag Keys are not allowed."},
		{"tag key too long", []types.LifecycleRule{rule(func(r *types.LifecycleRule) {
			r.Filter = &types.LifecycleRuleFilter{Tag: &types.Tag{Key: aws.String(strings.Repeat("k", 129)), Value: aws.String("v")}}
		})}, "InvalidTag", "The TagKey you have provided is too long, max 128"},
		{"transition refused", []types.LifecycleRule{rule(func(r *types.LifecycleRule) {
			r.Transitions = []types.Transition{{Days: aws.Int32(30), StorageClass: types.TransitionStorageClassGlacier}}
		})}, "InvalidStorageClass", ""},
		{"noncurrent transition refused", []types.LifecycleRule{rule(func(r *types.LifecycleRule) {
			r.NoncurrentVersionTransitions = []types.NoncurrentVersionTransition{{NoncurrentDays: aws.Int32(30), StorageClass: types.TransitionStorageClassGlacier}}
		})}, "InvalidStorageClass", ""},
	}
	var many []types.LifecycleRule
	for i := 0; i < 1001; i++ {
		many = append(many, rule(func(r *types.LifecycleRule) { r.ID = aws.String(fmt.Sprint("r", i)) }))
	}
	tests = append(tests, struct {
		name    string
		rules   []types.LifecycleRule
		code    string
		message string
	}{"1001 rules", many, "InvalidRequest", "Lifecycle configuration allows a maximum of 1000 rules"})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.s3.PutBucketLifecycleConfiguration(ctx(), &s3.PutBucketLifecycleConfigurationInput{Bucket: aws.String("lc-bucket"),
				LifecycleConfiguration: &types.BucketLifecycleConfiguration{Rules: tc.rules}})
			requireCode(t, err, tc.code, http.StatusBadRequest)
			if tc.message != "" {
				require.Contains(t, err.Error(), tc.message)
			}
			_, err = e.s3.GetBucketLifecycleConfiguration(ctx(), &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String("lc-bucket")})
			requireCode(t, err, "NoSuchLifecycleConfiguration", http.StatusNotFound)
		})
	}
	// 1000 rules are fine.
	_, err := e.s3.PutBucketLifecycleConfiguration(ctx(), &s3.PutBucketLifecycleConfigurationInput{Bucket: aws.String("lc-bucket"),
		LifecycleConfiguration: &types.BucketLifecycleConfiguration{Rules: many[:1000]}})
	require.NoError(t, err)
}

// TestLifecycleValidationRaw: what only a hand-made request can send:
// missing integrity header, broken XML, bad Status, empty bodies.
func TestLifecycleValidationRaw(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.mustCreateBucket("lc-bucket", false)
	put := func(body string, withMD5 bool) *rawResponse {
		hdr := http.Header{}
		if withMD5 {
			sum := md5.Sum([]byte(body))
			hdr.Set("Content-MD5", base64.StdEncoding.EncodeToString(sum[:]))
		}
		return e.do(http.MethodPut, "/lc-bucket?lifecycle", hdr, []byte(body))
	}
	good := `<LifecycleConfiguration><Rule><ID>r</ID><Filter><Prefix>a/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule></LifecycleConfiguration>`
	r := put(good, false)
	require.Equal(t, http.StatusBadRequest, r.status, "%s", r.body)
	require.Equal(t, "InvalidRequest", r.errorDoc(t).Code)
	require.Contains(t, r.errorDoc(t).Message, "Content-MD5")

	r = put(good, true)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	and2 := strings.Replace(good, "<Prefix>a/</Prefix>", "<And><Prefix>b/</Prefix><Tag><Key>k</Key><Value>v</Value></Tag></And>", 1)
	r = put(and2, true)
	require.Equal(t, http.StatusOK, r.status, "an And of a prefix and a tag: %s", r.body)
	r = put(good, true)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)

	for name, body := range map[string]string{
		"not xml":        `{"Rules":[]}`,
		"no rules":       `<LifecycleConfiguration></LifecycleConfiguration>`,
		"bad status":     strings.Replace(good, "Enabled", "enabled", 1),
		"no status":      strings.Replace(good, "<Status>Enabled</Status>", "", 1),
		"empty and":      strings.Replace(good, "<Prefix>a/</Prefix>", "<And></And>", 1),
		"and of one":     strings.Replace(good, "<Prefix>a/</Prefix>", "<And><Prefix>a/</Prefix></And>", 1),
		"days not int":   strings.Replace(good, "<Days>1</Days>", "<Days>x</Days>", 1),
		"empty exp":      strings.Replace(good, "<Days>1</Days>", "", 1),
		"wrong root":     strings.Replace(strings.Replace(good, "<LifecycleConfiguration>", "<Lifecycle>", 1), "</LifecycleConfiguration>", "</Lifecycle>", 1),
		"trailing data":  good + "<x/>",
		"noncur no days": strings.Replace(good, "<Expiration><Days>1</Days></Expiration>", "<NoncurrentVersionExpiration></NoncurrentVersionExpiration>", 1),
	} {
		r := put(body, true)
		require.Equal(t, http.StatusBadRequest, r.status, "%s: %s", name, r.body)
		require.Equal(t, "MalformedXML", r.errorDoc(t).Code, name)
	}
	r = put("", true)
	require.Equal(t, http.StatusBadRequest, r.status)
	require.Equal(t, "MissingRequestBodyError", r.errorDoc(t).Code)

	// A refused PUT left the good configuration in place.
	r = e.do(http.MethodGet, "/lc-bucket?lifecycle", nil, nil)
	require.Equal(t, http.StatusOK, r.status)
	require.Contains(t, string(r.body), "<Prefix>a/</Prefix>")
	require.Contains(t, string(r.body), `xmlns="http://s3.amazonaws.com/doc/2006-03-01/"`)

	r = e.do(http.MethodDelete, "/lc-bucket?lifecycle", nil, nil)
	require.Equal(t, http.StatusNoContent, r.status)
	r = e.do(http.MethodGet, "/lc-bucket?lifecycle", nil, nil)
	require.Equal(t, http.StatusNotFound, r.status)
	require.Equal(t, "NoSuchLifecycleConfiguration", r.errorDoc(t).Code)
	require.Contains(t, string(r.body), "<BucketName>lc-bucket</BucketName>")
}

// TestLifecycleIAMActions: Get needs s3:GetLifecycleConfiguration; Put and
// Delete need s3:PutLifecycleConfiguration (DeleteBucketLifecycle has no
// action of its own, as on AWS); refusals are 403 and audited.
func TestLifecycleIAMActions(t *testing.T) {
	e, ids := newIAMEnv(t)
	e.mustCreateBucket("lc-iam", false)
	cfg := &types.BucketLifecycleConfiguration{Rules: []types.LifecycleRule{{ID: aws.String("r"), Status: types.ExpirationStatusEnabled,
		Filter: &types.LifecycleRuleFilter{Prefix: aws.String("tmp/")}, Expiration: &types.LifecycleExpiration{Days: aws.Int32(1)}}}}
	_, err := e.s3.PutBucketLifecycleConfiguration(ctx(), &s3.PutBucketLifecycleConfigurationInput{Bucket: aws.String("lc-iam"), LifecycleConfiguration: cfg})
	require.NoError(t, err)

	reader, _ := newUser(t, e, ids, "reader", map[string]string{"r": `{"Version":"2012-10-17","Statement":[
	  {"Effect":"Allow","Action":"s3:GetLifecycleConfiguration","Resource":"arn:aws:s3:::lc-iam"}]}`})
	writer, _ := newUser(t, e, ids, "writer", map[string]string{"w": `{"Version":"2012-10-17","Statement":[
	  {"Effect":"Allow","Action":"s3:PutLifecycleConfiguration","Resource":"arn:aws:s3:::lc-iam"}]}`})

	_, err = reader.GetBucketLifecycleConfiguration(ctx(), &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String("lc-iam")})
	require.NoError(t, err)
	_, err = reader.PutBucketLifecycleConfiguration(ctx(), &s3.PutBucketLifecycleConfigurationInput{Bucket: aws.String("lc-iam"), LifecycleConfiguration: cfg})
	requireCode(t, err, "AccessDenied", http.StatusForbidden)
	_, err = reader.DeleteBucketLifecycle(ctx(), &s3.DeleteBucketLifecycleInput{Bucket: aws.String("lc-iam")})
	requireCode(t, err, "AccessDenied", http.StatusForbidden)

	_, err = writer.GetBucketLifecycleConfiguration(ctx(), &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String("lc-iam")})
	requireCode(t, err, "AccessDenied", http.StatusForbidden)
	_, err = writer.PutBucketLifecycleConfiguration(ctx(), &s3.PutBucketLifecycleConfigurationInput{Bucket: aws.String("lc-iam"), LifecycleConfiguration: cfg})
	require.NoError(t, err)
	_, err = writer.DeleteBucketLifecycle(ctx(), &s3.DeleteBucketLifecycleInput{Bucket: aws.String("lc-iam")})
	require.NoError(t, err)

	// The changes and the refusals are on record.
	var seen []string
	require.NoError(t, e.eng.AuditEntries(ctx(), 1, func(a engine.AuditEntry) error {
		if strings.Contains(a.Operation, "Lifecycle") {
			who := a.Principal // "<key> (<user>)"
			if i := strings.Index(who, " "); i >= 0 {
				who = who[i+1:]
			}
			seen = append(seen, a.Operation+"/"+a.Outcome+"/"+who)
		}
		return nil
	}))
	require.Equal(t, []string{
		"PutBucketLifecycleConfiguration/ok/(root)",
		"PutBucketLifecycleConfiguration/denied/(reader)",
		"DeleteBucketLifecycle/denied/(reader)",
		"GetBucketLifecycleConfiguration/denied/(writer)",
		"PutBucketLifecycleConfiguration/ok/(writer)",
		"DeleteBucketLifecycle/ok/(writer)",
	}, seen)
}

// TestExpirationHeader: PUT, GET and HEAD of a current version an
// Expiration rule selects answer x-amz-expiration with the expiry date
// (creation + Days, rounded up to midnight UTC) and the rule id, as AWS;
// other keys and noncurrent versions get none.
func TestExpirationHeader(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.mustCreateBucket("exp", false)
	b := aws.String("exp")
	_, err := e.s3.PutBucketVersioning(ctx(), &s3.PutBucketVersioningInput{Bucket: b,
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}})
	require.NoError(t, err)
	_, err = e.s3.PutBucketLifecycleConfiguration(ctx(), &s3.PutBucketLifecycleConfigurationInput{Bucket: b,
		LifecycleConfiguration: &types.BucketLifecycleConfiguration{Rules: []types.LifecycleRule{
			{ID: aws.String("tmp-3d"), Status: types.ExpirationStatusEnabled, Filter: &types.LifecycleRuleFilter{Prefix: aws.String("tmp/")},
				Expiration: &types.LifecycleExpiration{Days: aws.Int32(3)}},
		}}})
	require.NoError(t, err)

	put, err := e.s3.PutObject(ctx(), &s3.PutObjectInput{Bucket: b, Key: aws.String("tmp/a"), Body: strings.NewReader("a")})
	require.NoError(t, err)
	head, err := e.s3.HeadObject(ctx(), &s3.HeadObjectInput{Bucket: b, Key: aws.String("tmp/a")})
	require.NoError(t, err)
	d := head.LastModified.UTC().AddDate(0, 0, 3)
	want := fmt.Sprintf(`expiry-date="%s", rule-id="tmp-3d"`,
		time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, 1).Format(http.TimeFormat))
	require.Equal(t, want, aws.ToString(put.Expiration))
	require.Equal(t, want, aws.ToString(head.Expiration))
	get, err := e.s3.GetObject(ctx(), &s3.GetObjectInput{Bucket: b, Key: aws.String("tmp/a")})
	require.NoError(t, err)
	get.Body.Close()
	require.Equal(t, want, aws.ToString(get.Expiration))

	other, err := e.s3.PutObject(ctx(), &s3.PutObjectInput{Bucket: b, Key: aws.String("keep/a"), Body: strings.NewReader("a")})
	require.NoError(t, err)
	require.Nil(t, other.Expiration)

	_, err = e.s3.PutObject(ctx(), &s3.PutObjectInput{Bucket: b, Key: aws.String("tmp/a"), Body: strings.NewReader("b")})
	require.NoError(t, err)
	old, err := e.s3.HeadObject(ctx(), &s3.HeadObjectInput{Bucket: b, Key: aws.String("tmp/a"), VersionId: put.VersionId})
	require.NoError(t, err)
	require.Nil(t, old.Expiration, "a noncurrent version is not expired by an Expiration rule")
}
