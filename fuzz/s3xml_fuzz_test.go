package fuzz

import (
	"errors"
	"testing"

	"github.com/wormstore/wormstore/s3api/s3err"
	"github.com/wormstore/wormstore/s3api/s3xml"
)

// FuzzS3XML feeds arbitrary bytes to every XML request decoder of the S3
// API. None may panic; each either fails with an *s3err.Error
// (MalformedXML, InvalidArgument, or MissingRequestBodyError for an empty
// body) or returns a value within the limits
// the handlers rely on. Seeds: testdata/fuzz/FuzzS3XML and the f.Add calls.
func FuzzS3XML(f *testing.F) {
	for _, s := range []string{
		`<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"a"</ETag><ChecksumCRC32>AAAAAA==</ChecksumCRC32></Part></CompleteMultipartUpload>`,
		`<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Quiet>true</Quiet><Object><Key>k</Key><VersionId>v</VersionId></Object></Delete>`,
		`<Retention><Mode>COMPLIANCE</Mode><RetainUntilDate>2030-01-01T00:00:00.000Z</RetainUntilDate></Retention>`,
		`<LegalHold><Status>ON</Status></LegalHold>`,
		`<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Days>1</Days></DefaultRetention></Rule></ObjectLockConfiguration>`,
		`<VersioningConfiguration><Status>Enabled</Status><MfaDelete>Disabled</MfaDelete></VersioningConfiguration>`,
		`<CreateBucketConfiguration><LocationConstraint>us-east-1</LocationConstraint></CreateBucketConfiguration>`,
		``, `<`, `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><Retention>&a;</Retention>`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		check := func(name string, err error) {
			if err == nil {
				return
			}
			var se *s3err.Error
			if !errors.As(err, &se) {
				t.Fatalf("%s: error %v is not an *s3err.Error", name, err)
			}
			if se.Code != s3err.MalformedXML && se.Code != s3err.InvalidArgument && se.Code != s3err.MissingRequestBodyError {
				t.Fatalf("%s: unexpected code %s", name, se.Code)
			}
		}
		if c, err := s3xml.DecodeCompleteMultipartUpload(data); err == nil {
			if n := len(c.Parts); n == 0 || n > s3xml.MaxCompleteParts {
				t.Fatalf("CompleteMultipartUpload: %d parts accepted", n)
			}
			for _, p := range c.Parts {
				if p.PartNumber < 1 || p.PartNumber > s3xml.MaxCompleteParts || p.ETag == "" {
					t.Fatalf("CompleteMultipartUpload: bad part %+v accepted", p)
				}
			}
		} else {
			check("CompleteMultipartUpload", err)
		}
		if d, err := s3xml.DecodeDelete(data); err == nil {
			if n := len(d.Objects); n == 0 || n > s3xml.MaxDeleteObjects {
				t.Fatalf("Delete: %d objects accepted", n)
			}
			for _, o := range d.Objects {
				if o.Key == "" {
					t.Fatal("Delete: empty key accepted")
				}
			}
		} else {
			check("Delete", err)
		}
		if r, err := s3xml.DecodeRetention(data); err == nil {
			switch {
			case r.Mode == "" && !r.Until.IsZero():
				t.Fatal("Retention: date without mode accepted")
			case r.Mode != "" && r.Mode != "GOVERNANCE" && r.Mode != "COMPLIANCE":
				t.Fatalf("Retention: mode %q accepted", r.Mode)
			}
		} else {
			check("Retention", err)
		}
		_, err := s3xml.DecodeLegalHold(data)
		check("LegalHold", err)
		if c, err := s3xml.DecodeObjectLockConfiguration(data); err == nil {
			if d := c.Default; d != nil && (d.Days > 0) == (d.Years > 0) {
				t.Fatalf("ObjectLockConfiguration: period %+v accepted", d)
			}
		} else {
			check("ObjectLockConfiguration", err)
		}
		if v, err := s3xml.DecodeVersioningConfiguration(data); err == nil {
			switch v.Status {
			case "", "Enabled", "Suspended":
			default:
				t.Fatalf("VersioningConfiguration: status %q accepted", v.Status)
			}
		} else {
			check("VersioningConfiguration", err)
		}
		_, err = s3xml.DecodeCreateBucketConfiguration(data)
		check("CreateBucketConfiguration", err)
	})
}
