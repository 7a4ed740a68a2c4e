package s3xml

import (
	"encoding/xml"
	"strings"
)

// Tag is one <Tag> of a tag set.
type Tag struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

// Tagging is the body of Put/GetObjectTagging and Put/GetBucketTagging.
type Tagging struct {
	XMLName xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ Tagging"`
	TagSet  TagSet   `xml:"TagSet"`
}

// TagSet is the <TagSet> of a Tagging document (present even when empty).
type TagSet struct {
	Tags []Tag `xml:"Tag"`
}

type taggingIn struct {
	XMLName xml.Name `xml:"Tagging"`
	TagSet  *struct {
		Tags []struct {
			Key   *string `xml:"Key"`
			Value *string `xml:"Value"`
		} `xml:"Tag"`
	} `xml:"TagSet"`
}

// DecodeTagging parses a tagging body into its tags, in document order.
// A missing <TagSet>, or a <Tag> without <Key> or <Value>, is MalformedXML;
// the tags themselves (lengths, characters, duplicates) are the caller's
// to check.
func DecodeTagging(data []byte) ([]Tag, error) {
	var t taggingIn
	if err := decode(data, &t); err != nil {
		return nil, err
	}
	if t.TagSet == nil {
		return nil, malformed("missing TagSet")
	}
	out := make([]Tag, 0, len(t.TagSet.Tags))
	for _, tg := range t.TagSet.Tags {
		if tg.Key == nil || tg.Value == nil {
			return nil, malformed("a Tag needs a Key and a Value")
		}
		out = append(out, Tag{Key: *tg.Key, Value: *tg.Value})
	}
	return out, nil
}

// Grantee is the <Grantee> of an ACL grant (always a CanonicalUser here).
type Grantee struct {
	XMLNSXSI    string `xml:"xmlns:xsi,attr"`
	Type        string `xml:"xsi:type,attr"`
	ID          string `xml:"ID,omitempty"`
	DisplayName string `xml:"DisplayName,omitempty"`
	URI         string `xml:"URI,omitempty"`
	Email       string `xml:"EmailAddress,omitempty"`
}

// Grant is one <Grant> of an ACL.
type Grant struct {
	Grantee    Grantee `xml:"Grantee"`
	Permission string  `xml:"Permission"`
}

// AccessControlPolicy is the body of Get/PutBucketAcl and Get/PutObjectAcl.
type AccessControlPolicy struct {
	XMLName xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ AccessControlPolicy"`
	Owner   Owner    `xml:"Owner"`
	Grants  []Grant  `xml:"AccessControlList>Grant"`
}

// ParsedGrant is a grant of a decoded ACL: the grantee's type (its
// xsi:type), id, URI or e-mail, and the permission.
type ParsedGrant struct {
	Type, ID, URI, Email, Permission string
}

// ParsedACL is a decoded AccessControlPolicy.
type ParsedACL struct {
	OwnerID string
	Grants  []ParsedGrant
}

type aclIn struct {
	XMLName xml.Name `xml:"AccessControlPolicy"`
	Owner   *struct {
		ID string `xml:"ID"`
	} `xml:"Owner"`
	List *struct {
		Grants []struct {
			Grantee *struct {
				Type  string `xml:"http://www.w3.org/2001/XMLSchema-instance type,attr"`
				ID    string `xml:"ID"`
				URI   string `xml:"URI"`
				Email string `xml:"EmailAddress"`
			} `xml:"Grantee"`
			Permission string `xml:"Permission"`
		} `xml:"Grant"`
	} `xml:"AccessControlList"`
}

// DecodeAccessControlPolicy parses a PutBucketAcl/PutObjectAcl body. A
// document without Owner or AccessControlList, or a grant without
// Grantee or Permission, is MalformedXML.
func DecodeAccessControlPolicy(data []byte) (*ParsedACL, error) {
	var a aclIn
	if err := decode(data, &a); err != nil {
		return nil, err
	}
	if a.Owner == nil || a.List == nil {
		return nil, malformed("an AccessControlPolicy needs an Owner and an AccessControlList")
	}
	p := &ParsedACL{OwnerID: strings.TrimSpace(a.Owner.ID)}
	for _, g := range a.List.Grants {
		if g.Grantee == nil || strings.TrimSpace(g.Permission) == "" {
			return nil, malformed("a Grant needs a Grantee and a Permission")
		}
		p.Grants = append(p.Grants, ParsedGrant{
			Type: g.Grantee.Type, ID: strings.TrimSpace(g.Grantee.ID), URI: strings.TrimSpace(g.Grantee.URI),
			Email: strings.TrimSpace(g.Grantee.Email), Permission: strings.TrimSpace(g.Permission),
		})
	}
	return p, nil
}

// OwnershipControls is the body of Put/GetBucketOwnershipControls.
type OwnershipControls struct {
	XMLName xml.Name               `xml:"http://s3.amazonaws.com/doc/2006-03-01/ OwnershipControls"`
	Rules   []OwnershipControlRule `xml:"Rule"`
}

// OwnershipControlRule is one <Rule> of OwnershipControls.
type OwnershipControlRule struct {
	ObjectOwnership string `xml:"ObjectOwnership"`
}

type ownershipIn struct {
	XMLName xml.Name `xml:"OwnershipControls"`
	Rules   []struct {
		ObjectOwnership *string `xml:"ObjectOwnership"`
	} `xml:"Rule"`
}

// DecodeOwnershipControls parses a PutBucketOwnershipControls body and
// returns its one rule's ObjectOwnership. Anything but exactly one rule
// with an ObjectOwnership is MalformedXML.
func DecodeOwnershipControls(data []byte) (string, error) {
	var o ownershipIn
	if err := decode(data, &o); err != nil {
		return "", err
	}
	if len(o.Rules) != 1 || o.Rules[0].ObjectOwnership == nil {
		return "", malformed("OwnershipControls needs exactly one Rule with an ObjectOwnership")
	}
	return strings.TrimSpace(*o.Rules[0].ObjectOwnership), nil
}

// CORSRule is one <CORSRule> of a CORS configuration.
type CORSRule struct {
	ID             string   `xml:"ID,omitempty"`
	AllowedHeaders []string `xml:"AllowedHeader"`
	AllowedMethods []string `xml:"AllowedMethod"`
	AllowedOrigins []string `xml:"AllowedOrigin"`
	ExposeHeaders  []string `xml:"ExposeHeader"`
	MaxAgeSeconds  *int     `xml:"MaxAgeSeconds"`
}

// CORSConfiguration is the body of Put/GetBucketCors.
type CORSConfiguration struct {
	XMLName xml.Name   `xml:"http://s3.amazonaws.com/doc/2006-03-01/ CORSConfiguration"`
	Rules   []CORSRule `xml:"CORSRule"`
}

type corsIn struct {
	XMLName xml.Name   `xml:"CORSConfiguration"`
	Rules   []CORSRule `xml:"CORSRule"`
}

// MaxCORSRules is the most rules a CORS configuration may have.
const MaxCORSRules = 100

// DecodeCORSConfiguration parses a PutBucketCors body: at least one and at
// most MaxCORSRules rules, each with at least one AllowedMethod and one
// AllowedOrigin (the schema's bounds; MalformedXML otherwise). The values
// themselves are the caller's to check.
func DecodeCORSConfiguration(data []byte) (*CORSConfiguration, error) {
	var c corsIn
	if err := decode(data, &c); err != nil {
		return nil, err
	}
	if len(c.Rules) == 0 || len(c.Rules) > MaxCORSRules {
		return nil, malformed("a CORS configuration has 1 to %d CORSRule elements", MaxCORSRules)
	}
	for i := range c.Rules {
		r := &c.Rules[i]
		trimAll(r.AllowedHeaders)
		trimAll(r.AllowedMethods)
		trimAll(r.AllowedOrigins)
		trimAll(r.ExposeHeaders)
		r.ID = strings.TrimSpace(r.ID)
		if len(r.AllowedMethods) == 0 || len(r.AllowedOrigins) == 0 {
			return nil, malformed("a CORSRule needs an AllowedMethod and an AllowedOrigin")
		}
	}
	return &CORSConfiguration{Rules: c.Rules}, nil
}

func trimAll(s []string) {
	for i := range s {
		s[i] = strings.TrimSpace(s[i])
	}
}
