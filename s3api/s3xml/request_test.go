package s3xml_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wormstore/wormstore/s3api/s3err"
	"github.com/wormstore/wormstore/s3api/s3xml"
)

const ns = ` xmlns="http://s3.amazonaws.com/doc/2006-03-01/"`

// code returns the S3 code of a decoder error ("" for nil).
func code(t *testing.T, err error) string {
	t.Helper()
	if err == nil {
		return ""
	}
	var se *s3err.Error
	require.True(t, errors.As(err, &se), "decoder error %v is not an *s3err.Error", err)
	return string(se.Code)
}

func TestDecodeRetention(t *testing.T) {
	tests := []struct {
		name, in, wantErr, mode string
		until                   time.Time
	}{
		{name: "namespaced", in: `<Retention` + ns + `><Mode>COMPLIANCE</Mode><RetainUntilDate>2030-01-02T03:04:05Z</RetainUntilDate></Retention>`,
			mode: "COMPLIANCE", until: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)},
		{name: "fraction and offset", in: `<Retention><Mode>GOVERNANCE</Mode><RetainUntilDate>2030-01-02T05:04:05.250+02:00</RetainUntilDate></Retention>`,
			mode: "GOVERNANCE", until: time.Date(2030, 1, 2, 3, 4, 5, 250e6, time.UTC)},
		{name: "empty removes", in: `<Retention/>`},
		{name: "bad mode", in: `<Retention><Mode>compliance</Mode><RetainUntilDate>2030-01-02T03:04:05Z</RetainUntilDate></Retention>`, wantErr: "MalformedXML"},
		{name: "date only", in: `<Retention><RetainUntilDate>2030-01-02T03:04:05Z</RetainUntilDate></Retention>`, wantErr: "MalformedXML"},
		{name: "bad date", in: `<Retention><Mode>GOVERNANCE</Mode><RetainUntilDate>tomorrow</RetainUntilDate></Retention>`, wantErr: "InvalidArgument"},
		{name: "wrong root", in: `<LegalHold><Status>ON</Status></LegalHold>`, wantErr: "MalformedXML"},
		{name: "empty body", in: ``, wantErr: "MissingRequestBodyError"},
		{name: "truncated", in: `<Retention><Mode>GOVERNANCE`, wantErr: "MalformedXML"},
		{name: "two roots", in: `<Retention/><Retention/>`, wantErr: "MalformedXML"},
		{name: "trailing text", in: `<Retention/>junk`, wantErr: "MalformedXML"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s3xml.DecodeRetention([]byte(tc.in))
			require.Equal(t, tc.wantErr, code(t, err), "got %v", err)
			if tc.wantErr == "" {
				require.Equal(t, tc.mode, got.Mode)
				require.True(t, tc.until.Equal(got.Until), "got %v, want %v", got.Until, tc.until)
			}
		})
	}
}

func TestDecodeLockConfiguration(t *testing.T) {
	tests := []struct {
		name, in, wantErr string
		days, years       int
	}{
		{name: "days", in: `<ObjectLockConfiguration` + ns + `><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention><Mode>COMPLIANCE</Mode><Days>30</Days></DefaultRetention></Rule></ObjectLockConfiguration>`, days: 30},
		{name: "years", in: `<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Years>2</Years></DefaultRetention></Rule></ObjectLockConfiguration>`, years: 2},
		{name: "no rule", in: `<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled></ObjectLockConfiguration>`},
		{name: "both", in: `<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Days>1</Days><Years>1</Years></DefaultRetention></Rule></ObjectLockConfiguration>`, wantErr: "MalformedXML"},
		{name: "neither", in: `<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention><Mode>GOVERNANCE</Mode></DefaultRetention></Rule></ObjectLockConfiguration>`, wantErr: "MalformedXML"},
		{name: "negative", in: `<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Days>-1</Days></DefaultRetention></Rule></ObjectLockConfiguration>`, wantErr: "InvalidArgument"},
		{name: "not a number", in: `<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Days>x</Days></DefaultRetention></Rule></ObjectLockConfiguration>`, wantErr: "MalformedXML"},
		{name: "rule without retention", in: `<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule/></ObjectLockConfiguration>`, wantErr: "MalformedXML"},
		{name: "bad mode", in: `<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention><Mode>X</Mode><Days>1</Days></DefaultRetention></Rule></ObjectLockConfiguration>`, wantErr: "MalformedXML"},
		{name: "missing enabled", in: `<ObjectLockConfiguration/>`, wantErr: "MalformedXML"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s3xml.DecodeObjectLockConfiguration([]byte(tc.in))
			require.Equal(t, tc.wantErr, code(t, err), "got %v", err)
			if tc.wantErr == "" && (tc.days > 0 || tc.years > 0) {
				require.Equal(t, tc.days, got.Default.Days)
				require.Equal(t, tc.years, got.Default.Years)
			}
		})
	}
}

func TestDecodeOthers(t *testing.T) {
	d, err := s3xml.DecodeDelete([]byte(`<Delete` + ns + `><Quiet>true</Quiet><Object><Key>a</Key><VersionId>v</VersionId></Object><Object><Key>b</Key></Object></Delete>`))
	require.NoError(t, err)
	require.True(t, d.Quiet)
	require.Equal(t, []s3xml.ObjectIdentifier{{Key: "a", VersionID: "v"}, {Key: "b"}}, d.Objects)
	_, err = s3xml.DecodeDelete([]byte(`<Delete></Delete>`))
	require.Equal(t, "MalformedXML", code(t, err))
	_, err = s3xml.DecodeDelete([]byte(`<Delete><Object><Key></Key></Object></Delete>`))
	require.Equal(t, "InvalidArgument", code(t, err))
	_, err = s3xml.DecodeDelete([]byte(`<Delete>` + strings.Repeat(`<Object><Key>k</Key></Object>`, 1001) + `</Delete>`))
	require.Equal(t, "MalformedXML", code(t, err))

	c, err := s3xml.DecodeCompleteMultipartUpload([]byte(`<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"abc"</ETag><ChecksumCRC32>AAAAAA==</ChecksumCRC32></Part></CompleteMultipartUpload>`))
	require.NoError(t, err)
	require.Equal(t, map[string]string{"CRC32": "AAAAAA=="}, c.Parts[0].Checksums())
	_, err = s3xml.DecodeCompleteMultipartUpload([]byte(`<CompleteMultipartUpload><Part><PartNumber>0</PartNumber><ETag>x</ETag></Part></CompleteMultipartUpload>`))
	require.Equal(t, "InvalidArgument", code(t, err))
	_, err = s3xml.DecodeCompleteMultipartUpload([]byte(`<CompleteMultipartUpload><Part><PartNumber>1</PartNumber></Part></CompleteMultipartUpload>`))
	require.Equal(t, "MalformedXML", code(t, err))
	_, err = s3xml.DecodeCompleteMultipartUpload([]byte(`<CompleteMultipartUpload/>`))
	require.Equal(t, "MalformedXML", code(t, err))

	on, err := s3xml.DecodeLegalHold([]byte(`<LegalHold` + ns + `><Status>ON</Status></LegalHold>`))
	require.NoError(t, err)
	require.True(t, on)
	_, err = s3xml.DecodeLegalHold([]byte(`<LegalHold><Status>on</Status></LegalHold>`))
	require.Equal(t, "MalformedXML", code(t, err))

	v, err := s3xml.DecodeVersioningConfiguration([]byte(`<VersioningConfiguration` + ns + `><Status>Suspended</Status></VersioningConfiguration>`))
	require.NoError(t, err)
	require.Equal(t, "Suspended", v.Status)
	_, err = s3xml.DecodeVersioningConfiguration([]byte(`<VersioningConfiguration><Status>Off</Status></VersioningConfiguration>`))
	require.Equal(t, "MalformedXML", code(t, err))

	cb, err := s3xml.DecodeCreateBucketConfiguration(nil)
	require.NoError(t, err)
	require.Empty(t, cb.LocationConstraint)
	cb, err = s3xml.DecodeCreateBucketConfiguration([]byte(`<CreateBucketConfiguration` + ns + `><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>`))
	require.NoError(t, err)
	require.Equal(t, "eu-west-1", cb.LocationConstraint)
	_, err = s3xml.DecodeCreateBucketConfiguration([]byte(`<Foo/>`))
	require.Equal(t, "MalformedXML", code(t, err))
}
