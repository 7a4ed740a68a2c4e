package s3xml

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/wormstore/wormstore/s3api/s3err"
)

// MaxDeleteObjects is the most keys one DeleteObjects request may name.
const MaxDeleteObjects = 1000

// MaxCompleteParts is the most parts one CompleteMultipartUpload may list.
const MaxCompleteParts = 10000

// malformed returns the MalformedXML error with a detail message.
func malformed(format string, args ...any) *s3err.Error {
	return s3err.Errorf(s3err.MalformedXML, "%s: %s", s3err.MalformedXML.Message(), fmt.Sprintf(format, args...))
}

// decode unmarshals data into v, answering MalformedXML for anything that
// is not one well-formed document with the expected root element.
func decode(data []byte, v any) error {
	if len(bytes.TrimSpace(data)) == 0 {
		// As AWS for the operations whose body is required.
		return s3err.New(s3err.MissingRequestBodyError, "")
	}
	d := xml.NewDecoder(bytes.NewReader(data))
	if err := d.Decode(v); err != nil {
		return malformed("%v", err)
	}
	// Anything but whitespace, comments or processing instructions after
	// the root element is an error.
	for {
		tok, err := d.Token()
		if err != nil {
			break
		}
		switch t := tok.(type) {
		case xml.CharData:
			if len(bytes.TrimSpace(t)) != 0 {
				return malformed("data after the root element")
			}
		case xml.Comment, xml.ProcInst:
		default:
			return malformed("more than one root element")
		}
	}
	return nil
}

// CompletePart is one <Part> of a CompleteMultipartUpload request.
type CompletePart struct {
	PartNumber        int    `xml:"PartNumber"`
	ETag              string `xml:"ETag"`
	ChecksumCRC32     string `xml:"ChecksumCRC32,omitempty"`
	ChecksumCRC32C    string `xml:"ChecksumCRC32C,omitempty"`
	ChecksumCRC64NVME string `xml:"ChecksumCRC64NVME,omitempty"`
	ChecksumSHA1      string `xml:"ChecksumSHA1,omitempty"`
	ChecksumSHA256    string `xml:"ChecksumSHA256,omitempty"`
	ChecksumMD5       string `xml:"ChecksumMD5,omitempty"`
	ChecksumSHA512    string `xml:"ChecksumSHA512,omitempty"`
	ChecksumXXHASH64  string `xml:"ChecksumXXHASH64,omitempty"`
	ChecksumXXHASH3   string `xml:"ChecksumXXHASH3,omitempty"`
	ChecksumXXHASH128 string `xml:"ChecksumXXHASH128,omitempty"`
}

// Checksums returns the part's checksum elements keyed by algorithm name
// ("CRC32" …), nil when there are none.
func (p CompletePart) Checksums() map[string]string {
	var m map[string]string
	add := func(alg, v string) {
		if v = strings.TrimSpace(v); v != "" {
			if m == nil {
				m = map[string]string{}
			}
			m[alg] = v
		}
	}
	add("CRC32", p.ChecksumCRC32)
	add("CRC32C", p.ChecksumCRC32C)
	add("CRC64NVME", p.ChecksumCRC64NVME)
	add("SHA1", p.ChecksumSHA1)
	add("SHA256", p.ChecksumSHA256)
	add("MD5", p.ChecksumMD5)
	add("SHA512", p.ChecksumSHA512)
	add("XXHASH64", p.ChecksumXXHASH64)
	add("XXHASH3", p.ChecksumXXHASH3)
	add("XXHASH128", p.ChecksumXXHASH128)
	return m
}

// CompleteMultipartUpload is the body of CompleteMultipartUpload.
type CompleteMultipartUpload struct {
	XMLName xml.Name       `xml:"CompleteMultipartUpload"`
	Parts   []CompletePart `xml:"Part"`
}

// DecodeCompleteMultipartUpload parses and checks a CompleteMultipartUpload
// body: 1..10000 parts, part numbers 1..10000, an ETag on each. Order is
// checked by the engine (InvalidPartOrder).
func DecodeCompleteMultipartUpload(data []byte) (*CompleteMultipartUpload, error) {
	var c CompleteMultipartUpload
	if len(bytes.TrimSpace(data)) == 0 {
		// AWS answers MalformedXML here, not MissingRequestBodyError.
		return nil, malformed("empty body")
	}
	if err := decode(data, &c); err != nil {
		return nil, err
	}
	if len(c.Parts) == 0 {
		return nil, malformed("no parts")
	}
	if len(c.Parts) > MaxCompleteParts {
		return nil, malformed("more than %d parts", MaxCompleteParts)
	}
	for i, p := range c.Parts {
		if p.PartNumber < 1 || p.PartNumber > MaxCompleteParts {
			return nil, s3err.Errorf(s3err.InvalidArgument, "Part number must be an integer between 1 and %d, inclusive", MaxCompleteParts)
		}
		c.Parts[i].ETag = strings.TrimSpace(p.ETag)
		if c.Parts[i].ETag == "" {
			return nil, malformed("part %d has no ETag", p.PartNumber)
		}
	}
	return &c, nil
}

// ObjectIdentifier is one <Object> of a DeleteObjects request.
type ObjectIdentifier struct {
	Key       string `xml:"Key"`
	VersionID string `xml:"VersionId,omitempty"`
}

// Delete is the body of DeleteObjects.
type Delete struct {
	XMLName xml.Name           `xml:"Delete"`
	Quiet   bool               `xml:"Quiet"`
	Objects []ObjectIdentifier `xml:"Object"`
}

// DecodeDelete parses a DeleteObjects body: 1..1000 objects, each with a
// non-empty key.
func DecodeDelete(data []byte) (*Delete, error) {
	var d Delete
	if err := decode(data, &d); err != nil {
		return nil, err
	}
	if len(d.Objects) == 0 {
		return nil, malformed("no objects")
	}
	if len(d.Objects) > MaxDeleteObjects {
		return nil, malformed("more than %d objects", MaxDeleteObjects)
	}
	for _, o := range d.Objects {
		if o.Key == "" {
			return nil, s3err.New(s3err.InvalidArgument, "Object key must not be empty")
		}
	}
	return &d, nil
}

// Retention is the body of PutObjectRetention and GetObjectRetention.
// A zero Retention (no mode, no date) removes retention.
type Retention struct {
	XMLName         xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ Retention"`
	Mode            string   `xml:"Mode,omitempty"`
	RetainUntilDate string   `xml:"RetainUntilDate,omitempty"`
}

// retentionIn is Retention without a namespace, for decoding.
type retentionIn struct {
	XMLName         xml.Name `xml:"Retention"`
	Mode            *string  `xml:"Mode"`
	RetainUntilDate *string  `xml:"RetainUntilDate"`
}

// ParsedRetention is a decoded, checked Retention.
type ParsedRetention struct {
	// Mode is "GOVERNANCE", "COMPLIANCE", or "" (remove retention).
	Mode  string
	Until time.Time
}

// DecodeRetention parses a PutObjectRetention body. Mode and date must be
// given together (or both omitted, which removes retention); the mode must
// be GOVERNANCE or COMPLIANCE; the date ISO 8601. Whether the date lies in
// the future is the engine's check (InvalidArgument).
func DecodeRetention(data []byte) (*ParsedRetention, error) {
	var r retentionIn
	if err := decode(data, &r); err != nil {
		return nil, err
	}
	var pr ParsedRetention
	mode, date := "", ""
	if r.Mode != nil {
		mode = strings.TrimSpace(*r.Mode)
	}
	if r.RetainUntilDate != nil {
		date = strings.TrimSpace(*r.RetainUntilDate)
	}
	switch {
	case mode == "" && date == "":
		return &pr, nil
	case mode == "" || date == "":
		return nil, malformed("Mode and RetainUntilDate must be given together")
	case mode != "GOVERNANCE" && mode != "COMPLIANCE":
		return nil, malformed("unknown retention mode %.32q", mode)
	}
	t, err := ParseTime(date)
	if err != nil {
		return nil, s3err.Errorf(s3err.InvalidArgument, "The retain until date %.64q is not a valid ISO 8601 date", date)
	}
	pr.Mode, pr.Until = mode, t
	return &pr, nil
}

// ParseTime parses an ISO 8601 timestamp as S3 accepts them
// ("2030-01-02T03:04:05Z", with optional fraction and offset) and returns
// it in UTC. A time whose UTC year is outside 0000..9999 is refused
// ("9999-12-31T23:00:00-05:00" is year 10000 in UTC): it could not be
// rendered back in the same format, nor stored in the engine's records.
func ParseTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999Z0700", "2006-01-02T15:04:05Z0700"} {
		if t, err := time.Parse(layout, s); err == nil {
			t = t.UTC()
			if y := t.Year(); y < 0 || y > maxYear {
				return time.Time{}, fmt.Errorf("s3xml: timestamp %.64q is outside years 0000-%d in UTC", s, maxYear)
			}
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("s3xml: bad timestamp %.64q", s)
}

// maxYear is the last year ParseTime accepts: the last one ISO 8601's
// four-digit year (and FormatTime) can write.
const maxYear = 9999

// FormatTime renders t as S3 does in XML and lock headers:
// "2006-01-02T15:04:05.000Z".
func FormatTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

// LegalHold is the body of PutObjectLegalHold and GetObjectLegalHold.
type LegalHold struct {
	XMLName xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ LegalHold"`
	Status  string   `xml:"Status"`
}

type legalHoldIn struct {
	XMLName xml.Name `xml:"LegalHold"`
	Status  string   `xml:"Status"`
}

// DecodeLegalHold parses a PutObjectLegalHold body and returns whether the
// hold is ON.
func DecodeLegalHold(data []byte) (bool, error) {
	var l legalHoldIn
	if err := decode(data, &l); err != nil {
		return false, err
	}
	switch strings.TrimSpace(l.Status) {
	case "ON":
		return true, nil
	case "OFF":
		return false, nil
	}
	return false, malformed("legal hold status must be ON or OFF")
}

// DefaultRetention is the <DefaultRetention> of an Object Lock
// configuration.
type DefaultRetention struct {
	Mode  string `xml:"Mode"`
	Days  int    `xml:"Days,omitempty"`
	Years int    `xml:"Years,omitempty"`
}

// ObjectLockRule is the <Rule> of an Object Lock configuration.
type ObjectLockRule struct {
	DefaultRetention *DefaultRetention `xml:"DefaultRetention"`
}

// ObjectLockConfiguration is the body of Put/GetObjectLockConfiguration.
type ObjectLockConfiguration struct {
	XMLName           xml.Name        `xml:"http://s3.amazonaws.com/doc/2006-03-01/ ObjectLockConfiguration"`
	ObjectLockEnabled string          `xml:"ObjectLockEnabled,omitempty"`
	Rule              *ObjectLockRule `xml:"Rule,omitempty"`
}

type objectLockConfigurationIn struct {
	XMLName           xml.Name `xml:"ObjectLockConfiguration"`
	ObjectLockEnabled string   `xml:"ObjectLockEnabled"`
	Rule              *struct {
		DefaultRetention *struct {
			Mode  *string `xml:"Mode"`
			Days  *string `xml:"Days"`
			Years *string `xml:"Years"`
		} `xml:"DefaultRetention"`
	} `xml:"Rule"`
}

// ParsedLockConfig is a decoded, checked Object Lock configuration.
// Default is nil when the configuration has no rule.
type ParsedLockConfig struct {
	Default *DefaultRetention
}

// DecodeObjectLockConfiguration parses a PutObjectLockConfiguration body:
// ObjectLockEnabled must be "Enabled"; a Rule needs a DefaultRetention with
// a valid Mode and exactly one of Days and Years, a positive integer.
func DecodeObjectLockConfiguration(data []byte) (*ParsedLockConfig, error) {
	var c objectLockConfigurationIn
	if err := decode(data, &c); err != nil {
		return nil, err
	}
	if strings.TrimSpace(c.ObjectLockEnabled) != "Enabled" {
		return nil, malformed("ObjectLockEnabled must be Enabled")
	}
	var pc ParsedLockConfig
	if c.Rule == nil {
		return &pc, nil
	}
	dr := c.Rule.DefaultRetention
	if dr == nil {
		return nil, malformed("Rule without DefaultRetention")
	}
	var d DefaultRetention
	if dr.Mode != nil {
		d.Mode = strings.TrimSpace(*dr.Mode)
	}
	if d.Mode != "GOVERNANCE" && d.Mode != "COMPLIANCE" {
		return nil, malformed("DefaultRetention Mode must be GOVERNANCE or COMPLIANCE")
	}
	if (dr.Days == nil) == (dr.Years == nil) {
		return nil, malformed("DefaultRetention needs exactly one of Days and Years")
	}
	period := func(p *string) (int, error) {
		n, err := strconv.Atoi(strings.TrimSpace(*p))
		if err != nil {
			return 0, malformed("Days/Years must be an integer")
		}
		if n <= 0 {
			return 0, s3err.New(s3err.InvalidArgument, "Default retention period must be a positive integer value.")
		}
		return n, nil
	}
	var err error
	if dr.Days != nil {
		d.Days, err = period(dr.Days)
	} else {
		d.Years, err = period(dr.Years)
	}
	if err != nil {
		return nil, err
	}
	pc.Default = &d
	return &pc, nil
}

// VersioningConfiguration is the body of Put/GetBucketVersioning.
type VersioningConfiguration struct {
	XMLName   xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ VersioningConfiguration"`
	Status    string   `xml:"Status,omitempty"`
	MfaDelete string   `xml:"MfaDelete,omitempty"`
}

type versioningConfigurationIn struct {
	XMLName   xml.Name `xml:"VersioningConfiguration"`
	Status    string   `xml:"Status"`
	MfaDelete string   `xml:"MfaDelete"`
}

// DecodeVersioningConfiguration parses a PutBucketVersioning body. Status
// is "Enabled", "Suspended" or "" (no change); MfaDelete "", "Disabled" or
// "Enabled" (which the caller refuses).
func DecodeVersioningConfiguration(data []byte) (*VersioningConfiguration, error) {
	var v versioningConfigurationIn
	if err := decode(data, &v); err != nil {
		return nil, err
	}
	out := &VersioningConfiguration{Status: strings.TrimSpace(v.Status), MfaDelete: strings.TrimSpace(v.MfaDelete)}
	switch out.Status {
	case "", "Enabled", "Suspended":
	default:
		return nil, malformed("versioning Status must be Enabled or Suspended")
	}
	switch out.MfaDelete {
	case "", "Enabled", "Disabled":
	default:
		return nil, malformed("MfaDelete must be Enabled or Disabled")
	}
	return out, nil
}

// CreateBucketConfiguration is the optional body of CreateBucket.
type CreateBucketConfiguration struct {
	XMLName            xml.Name `xml:"CreateBucketConfiguration"`
	LocationConstraint string   `xml:"LocationConstraint"`
}

// DecodeCreateBucketConfiguration parses a CreateBucket body; an empty
// body yields an empty configuration.
func DecodeCreateBucketConfiguration(data []byte) (*CreateBucketConfiguration, error) {
	var c CreateBucketConfiguration
	if len(bytes.TrimSpace(data)) == 0 {
		return &c, nil
	}
	if err := decode(data, &c); err != nil {
		return nil, err
	}
	c.LocationConstraint = strings.TrimSpace(c.LocationConstraint)
	return &c, nil
}
