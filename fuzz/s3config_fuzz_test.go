package fuzz

import (
	"bytes"
	"encoding/xml"
	"errors"
	"testing"

	"github.com/wormstore/wormstore/s3api/s3err"
	"github.com/wormstore/wormstore/s3api/s3xml"
)

// FuzzS3ConfigXML feeds arbitrary bytes to the bucket-configuration
// decoders (tagging, ACL, ownership controls, CORS). None may panic; each
// fails with MalformedXML (MissingRequestBodyError when empty) or returns a value within the schema's bounds. A
// decoded tag set or CORS configuration, encoded as the server stores it,
// must decode again to the same value (the stored document is read back on
// every request).
func FuzzS3ConfigXML(f *testing.F) {
	for _, s := range []string{
		`<Tagging><TagSet><Tag><Key>k</Key><Value>v</Value></Tag></TagSet></Tagging>`,
		`<AccessControlPolicy><Owner><ID>o</ID></Owner><AccessControlList><Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><ID>o</ID></Grantee><Permission>FULL_CONTROL</Permission></Grant></AccessControlList></AccessControlPolicy>`,
		`<OwnershipControls><Rule><ObjectOwnership>BucketOwnerEnforced</ObjectOwnership></Rule></OwnershipControls>`,
		`<CORSConfiguration><CORSRule><ID>a</ID><AllowedMethod>GET</AllowedMethod><AllowedOrigin>*</AllowedOrigin><AllowedHeader>*</AllowedHeader><ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>10</MaxAgeSeconds></CORSRule></CORSConfiguration>`,
		``, `<`, `<Tagging><TagSet><Tag><Key>&#0;</Key><Value> </Value></Tag></TagSet></Tagging>`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		check := func(name string, err error) {
			if err == nil {
				return
			}
			var se *s3err.Error
			// An empty (or blank) body is AWS's MissingRequestBodyError.
			want := s3err.MalformedXML
			if len(bytes.TrimSpace(data)) == 0 {
				want = s3err.MissingRequestBodyError
			}
			if !errors.As(err, &se) || se.Code != want {
				t.Fatalf("%s: error %v is not MalformedXML or MissingRequestBodyError", name, err)
			}
		}
		if tags, err := s3xml.DecodeTagging(data); err == nil {
			doc, err := xml.Marshal(s3xml.Tagging{TagSet: s3xml.TagSet{Tags: tags}})
			if err != nil {
				t.Fatalf("Tagging: encode %v: %v", tags, err)
			}
			again, err := s3xml.DecodeTagging(doc)
			if err != nil || len(again) != len(tags) {
				t.Fatalf("Tagging: stored form %s does not decode back (%v)", doc, err)
			}
		} else {
			check("Tagging", err)
		}
		if a, err := s3xml.DecodeAccessControlPolicy(data); err == nil {
			for _, g := range a.Grants {
				if g.Permission == "" {
					t.Fatal("AccessControlPolicy: grant without permission accepted")
				}
			}
		} else {
			check("AccessControlPolicy", err)
		}
		_, err := s3xml.DecodeOwnershipControls(data)
		check("OwnershipControls", err)
		if c, err := s3xml.DecodeCORSConfiguration(data); err == nil {
			if n := len(c.Rules); n == 0 || n > s3xml.MaxCORSRules {
				t.Fatalf("CORSConfiguration: %d rules accepted", n)
			}
			for _, r := range c.Rules {
				if len(r.AllowedMethods) == 0 || len(r.AllowedOrigins) == 0 {
					t.Fatalf("CORSConfiguration: rule %+v accepted", r)
				}
			}
			doc, err := xml.Marshal(c)
			if err != nil {
				t.Fatalf("CORSConfiguration: encode: %v", err)
			}
			again, err := s3xml.DecodeCORSConfiguration(doc)
			if err != nil || len(again.Rules) != len(c.Rules) {
				t.Fatalf("CORSConfiguration: stored form %s does not decode back (%v)", doc, err)
			}
		} else {
			check("CORSConfiguration", err)
		}
	})
}
