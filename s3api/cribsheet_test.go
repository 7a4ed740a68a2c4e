package s3api_test

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/stretchr/testify/require"
)

// crc32b64 is the x-amz-checksum-crc32 value of s.
func crc32b64(s string) string {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], crc32.ChecksumIEEE([]byte(s)))
	return base64.StdEncoding.EncodeToString(b[:])
}

// md5Header returns a Content-MD5 header for body.
func md5Header(body string) http.Header {
	sum := md5.Sum([]byte(body))
	return http.Header{"Content-Md5": {base64.StdEncoding.EncodeToString(sum[:])}}
}

// TestCribSheet asserts the HTTP status and S3 code of every situation in
// the Object Lock crib sheet of S3-NOTES.md, plus the neighbouring cases
// clients hit, with raw signed requests.
func TestCribSheet(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.s3
	e.mustCreateBucket("plain", false)
	e.mustPut("plain", "obj", "data")
	e.mustCreateBucket("versioned", false)
	_, err := c.PutBucketVersioning(ctx(), &s3.PutBucketVersioningInput{Bucket: aws.String("versioned"),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}})
	require.NoError(t, err)
	e.mustCreateBucket("locked", true)
	until := time.Now().Add(24 * time.Hour).UTC().Truncate(time.Second)
	put, err := c.PutObject(ctx(), &s3.PutObjectInput{Bucket: aws.String("locked"), Key: aws.String("comp"), Body: strings.NewReader("c"),
		ObjectLockMode: types.ObjectLockModeCompliance, ObjectLockRetainUntilDate: &until})
	require.NoError(t, err)
	comp := aws.ToString(put.VersionId)
	put, err = c.PutObject(ctx(), &s3.PutObjectInput{Bucket: aws.String("locked"), Key: aws.String("gov"), Body: strings.NewReader("g"),
		ObjectLockMode: types.ObjectLockModeGovernance, ObjectLockRetainUntilDate: &until})
	require.NoError(t, err)
	gov := aws.ToString(put.VersionId)
	free := e.mustPut("locked", "free", "f")
	del, err := c.DeleteObject(ctx(), &s3.DeleteObjectInput{Bucket: aws.String("locked"), Key: aws.String("gone")})
	require.NoError(t, err)
	_ = del

	iso := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	retention := func(mode string, t time.Time) string {
		return fmt.Sprintf("<Retention><Mode>%s</Mode><RetainUntilDate>%s</RetainUntilDate></Retention>", mode, iso(t))
	}
	const holdOn = "<LegalHold><Status>ON</Status></LegalHold>"
	lockCfg := func(rule string) string {
		return `<ObjectLockConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><ObjectLockEnabled>Enabled</ObjectLockEnabled>` + rule + `</ObjectLockConfiguration>`
	}
	past := time.Now().Add(-time.Hour)
	later := until.Add(24 * time.Hour)
	earlier := until.Add(-time.Hour)

	tests := []struct {
		name       string
		method     string
		path       string
		hdr        http.Header
		body       string
		noMD5      bool
		wantStatus int
		wantCode   string
	}{
		// Lock calls on a bucket without Object Lock.
		{name: "PutObjectRetention without lock", method: "PUT", path: "/plain/obj?retention", body: retention("GOVERNANCE", later), wantStatus: 400, wantCode: "InvalidRequest"},
		{name: "GetObjectRetention without lock", method: "GET", path: "/plain/obj?retention", wantStatus: 400, wantCode: "InvalidRequest"},
		{name: "PutObjectLegalHold without lock", method: "PUT", path: "/plain/obj?legal-hold", body: holdOn, wantStatus: 400, wantCode: "InvalidRequest"},
		{name: "GetObjectLegalHold without lock", method: "GET", path: "/plain/obj?legal-hold", wantStatus: 400, wantCode: "InvalidRequest"},
		{name: "PutObject lock headers without lock", method: "PUT", path: "/plain/new", body: "x",
			hdr: http.Header{"X-Amz-Object-Lock-Mode": {"GOVERNANCE"}, "X-Amz-Object-Lock-Retain-Until-Date": {iso(later)}}, wantStatus: 400, wantCode: "InvalidRequest"},
		{name: "GetObjectLockConfiguration without lock", method: "GET", path: "/plain?object-lock", wantStatus: 404, wantCode: "ObjectLockConfigurationNotFoundError"},

		// Nothing set.
		{name: "GetObjectRetention none set", method: "GET", path: "/locked/free?retention", wantStatus: 404, wantCode: "NoSuchObjectLockConfiguration"},
		{name: "GetObjectLegalHold none set", method: "GET", path: "/locked/free?legal-hold", wantStatus: 404, wantCode: "NoSuchObjectLockConfiguration"},

		// Bad retention.
		{name: "retain-until in the past", method: "PUT", path: "/locked/free?retention&versionId=" + free, body: retention("GOVERNANCE", past), wantStatus: 400, wantCode: "InvalidArgument"},
		{name: "malformed mode", method: "PUT", path: "/locked/free?retention", body: retention("FOREVER", later), wantStatus: 400, wantCode: "MalformedXML"},
		{name: "mode without date", method: "PUT", path: "/locked/free?retention", body: "<Retention><Mode>GOVERNANCE</Mode></Retention>", wantStatus: 400, wantCode: "MalformedXML"},
		{name: "not XML", method: "PUT", path: "/locked/free?retention", body: "<Retention>", wantStatus: 400, wantCode: "MalformedXML"},
		{name: "bad legal hold status", method: "PUT", path: "/locked/free?legal-hold", body: "<LegalHold><Status>MAYBE</Status></LegalHold>", wantStatus: 400, wantCode: "MalformedXML"},
		{name: "PutObject retain-until in the past", method: "PUT", path: "/locked/new", body: "x",
			hdr: http.Header{"X-Amz-Object-Lock-Mode": {"GOVERNANCE"}, "X-Amz-Object-Lock-Retain-Until-Date": {iso(past)}}, wantStatus: 400, wantCode: "InvalidArgument"},
		{name: "PutObject bad lock mode", method: "PUT", path: "/locked/new", body: "x",
			hdr: http.Header{"X-Amz-Object-Lock-Mode": {"FOREVER"}, "X-Amz-Object-Lock-Retain-Until-Date": {iso(later)}}, wantStatus: 400, wantCode: "InvalidArgument"},
		{name: "PutObject mode without date", method: "PUT", path: "/locked/new", body: "x",
			hdr: http.Header{"X-Amz-Object-Lock-Mode": {"GOVERNANCE"}}, wantStatus: 400, wantCode: "InvalidArgument"},

		// Weakening protection.
		{name: "shorten COMPLIANCE", method: "PUT", path: "/locked/comp?retention&versionId=" + comp, body: retention("COMPLIANCE", earlier), wantStatus: 403, wantCode: "AccessDenied"},
		{name: "shorten COMPLIANCE with bypass", method: "PUT", path: "/locked/comp?retention&versionId=" + comp, body: retention("COMPLIANCE", earlier),
			hdr: http.Header{"X-Amz-Bypass-Governance-Retention": {"true"}}, wantStatus: 403, wantCode: "AccessDenied"},
		{name: "COMPLIANCE to GOVERNANCE", method: "PUT", path: "/locked/comp?retention&versionId=" + comp, body: retention("GOVERNANCE", later), wantStatus: 403, wantCode: "AccessDenied"},
		{name: "remove COMPLIANCE", method: "PUT", path: "/locked/comp?retention&versionId=" + comp, body: "<Retention/>", wantStatus: 403, wantCode: "AccessDenied"},
		{name: "delete COMPLIANCE version", method: "DELETE", path: "/locked/comp?versionId=" + comp, wantStatus: 403, wantCode: "AccessDenied"},
		{name: "delete COMPLIANCE version with bypass", method: "DELETE", path: "/locked/comp?versionId=" + comp,
			hdr: http.Header{"X-Amz-Bypass-Governance-Retention": {"true"}}, wantStatus: 403, wantCode: "AccessDenied"},
		{name: "shorten GOVERNANCE without bypass", method: "PUT", path: "/locked/gov?retention&versionId=" + gov, body: retention("GOVERNANCE", earlier), wantStatus: 403, wantCode: "AccessDenied"},
		{name: "delete GOVERNANCE version without bypass", method: "DELETE", path: "/locked/gov?versionId=" + gov, wantStatus: 403, wantCode: "AccessDenied"},
		{name: "GOVERNANCE to COMPLIANCE without bypass", method: "PUT", path: "/locked/gov?retention&versionId=" + gov, body: retention("COMPLIANCE", later), wantStatus: 403, wantCode: "AccessDenied"},
		{name: "extend COMPLIANCE", method: "PUT", path: "/locked/comp?retention&versionId=" + comp, body: retention("COMPLIANCE", later), wantStatus: 200},

		// Bucket state.
		{name: "suspend versioning on lock bucket", method: "PUT", path: "/locked?versioning",
			body: "<VersioningConfiguration><Status>Suspended</Status></VersioningConfiguration>", wantStatus: 409, wantCode: "InvalidBucketState"},
		{name: "lock config on unversioned bucket", method: "PUT", path: "/plain?object-lock", body: lockCfg(""), wantStatus: 409, wantCode: "InvalidBucketState"},
		{name: "lock config Days and Years", method: "PUT", path: "/locked?object-lock",
			body: lockCfg("<Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Days>1</Days><Years>1</Years></DefaultRetention></Rule>"), wantStatus: 400, wantCode: "MalformedXML"},
		{name: "lock config zero days", method: "PUT", path: "/locked?object-lock",
			body: lockCfg("<Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Days>0</Days></DefaultRetention></Rule>"), wantStatus: 400, wantCode: "InvalidArgument"},
		{name: "lock config not enabled", method: "PUT", path: "/locked?object-lock",
			body: "<ObjectLockConfiguration><ObjectLockEnabled>Disabled</ObjectLockEnabled></ObjectLockConfiguration>", wantStatus: 400, wantCode: "MalformedXML"},
		{name: "lock config enables lock on versioned bucket", method: "PUT", path: "/versioned?object-lock",
			body: lockCfg("<Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Years>1</Years></DefaultRetention></Rule>"), wantStatus: 200},

		// Integrity headers.
		{name: "PutObjectRetention without Content-MD5 or checksum", method: "PUT", path: "/locked/free?retention", body: retention("GOVERNANCE", later), noMD5: true, wantStatus: 400, wantCode: "InvalidRequest"},
		{name: "PutObjectLegalHold without Content-MD5 or checksum", method: "PUT", path: "/locked/free?legal-hold", body: holdOn, noMD5: true, wantStatus: 400, wantCode: "InvalidRequest"},
		{name: "PutObjectLockConfiguration without Content-MD5 or checksum", method: "PUT", path: "/locked?object-lock", body: lockCfg(""), noMD5: true, wantStatus: 400, wantCode: "InvalidRequest"},
		{name: "DeleteObjects without Content-MD5 or checksum", method: "POST", path: "/locked?delete", body: "<Delete><Object><Key>free</Key></Object></Delete>", noMD5: true, wantStatus: 400, wantCode: "InvalidRequest"},
		{name: "PutObjectLegalHold with checksum header", method: "PUT", path: "/locked/free?legal-hold", body: holdOn, noMD5: true,
			hdr: http.Header{"X-Amz-Checksum-Crc32": {crc32b64(holdOn)}, "X-Amz-Sdk-Checksum-Algorithm": {"CRC32"}}, wantStatus: 200},
		{name: "PutObjectLegalHold wrong Content-MD5", method: "PUT", path: "/locked/free?legal-hold", body: holdOn, noMD5: true,
			hdr: md5Header("something else"), wantStatus: 400, wantCode: "BadDigest"},
		{name: "lock upload without integrity", method: "PUT", path: "/locked/new", body: "x",
			hdr:        http.Header{"X-Amz-Content-Sha256": {"UNSIGNED-PAYLOAD"}, "X-Amz-Object-Lock-Mode": {"GOVERNANCE"}, "X-Amz-Object-Lock-Retain-Until-Date": {iso(later)}},
			wantStatus: 400, wantCode: "InvalidRequest"},
		{name: "lock upload with Content-MD5", method: "PUT", path: "/locked/new", body: "x",
			hdr:        http.Header{"X-Amz-Content-Sha256": {"UNSIGNED-PAYLOAD"}, "Content-Md5": md5Header("x")["Content-Md5"], "X-Amz-Object-Lock-Mode": {"GOVERNANCE"}, "X-Amz-Object-Lock-Retain-Until-Date": {iso(later)}},
			wantStatus: 200},
		{name: "lock upload with signed payload", method: "PUT", path: "/locked/new2", body: "x",
			hdr: http.Header{"X-Amz-Object-Lock-Legal-Hold": {"ON"}}, wantStatus: 200},

		// Delete markers.
		{name: "retention on latest delete marker", method: "GET", path: "/locked/gone?retention", wantStatus: 405, wantCode: "MethodNotAllowed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hdr := http.Header{}
			for k, v := range tc.hdr {
				hdr[k] = v
			}
			if tc.body != "" && !tc.noMD5 && strings.Contains(tc.path, "?") && hdr.Get("Content-Md5") == "" {
				hdr.Set("Content-Md5", md5Header(tc.body).Get("Content-Md5"))
			}
			var body []byte
			if tc.body != "" {
				body = []byte(tc.body)
			}
			r := e.do(tc.method, tc.path, hdr, body)
			require.Equal(t, tc.wantStatus, r.status, "got status %d, want %d; body %s", r.status, tc.wantStatus, r.body)
			if tc.wantCode != "" {
				require.Equal(t, tc.wantCode, r.errorDoc(t).Code, "body %s", r.body)
			}
		})
	}
}
