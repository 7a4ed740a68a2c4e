package s3api

import (
	"encoding/base64"
	"errors"
	"net/http"
	"net/netip"
	"strconv"
	"strings"

	"github.com/wormstore/wormstore/engine"
	"github.com/wormstore/wormstore/s3api/s3err"
	"github.com/wormstore/wormstore/s3api/s3xml"
)

// validBucketName applies S3's general-purpose bucket naming rules: 3-63
// characters of lower-case letters, digits, '.' and '-', starting and
// ending with a letter or digit, no "..", ".-" or "-.", not an IPv4
// address, none of the reserved prefixes and suffixes.
func validBucketName(name string) bool {
	if len(name) < 3 || len(name) > 63 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case c == '.' || c == '-':
			if i == 0 || i == len(name)-1 {
				return false
			}
		default:
			return false
		}
	}
	if strings.Contains(name, "..") || strings.Contains(name, ".-") || strings.Contains(name, "-.") {
		return false
	}
	if a, err := netip.ParseAddr(name); err == nil && a.Is4() {
		return false
	}
	for _, p := range []string{"xn--", "sthree-", "amzn-s3-demo-"} {
		if strings.HasPrefix(name, p) {
			return false
		}
	}
	for _, sfx := range []string{"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"} {
		if strings.HasSuffix(name, sfx) {
			return false
		}
	}
	return true
}

// validRegionName reports whether s looks like an AWS region name
// ("us-east-1", "eu-central-2", "EU" for the legacy constraint).
func validRegionName(s string) bool {
	if s == "EU" {
		return true
	}
	parts := strings.Split(s, "-")
	if len(parts) < 3 {
		return false
	}
	for _, p := range parts {
		if p == "" {
			return false
		}
		for i := 0; i < len(p); i++ {
			if !(p[i] >= 'a' && p[i] <= 'z' || p[i] >= '0' && p[i] <= '9') {
				return false
			}
		}
	}
	_, err := strconv.Atoi(parts[len(parts)-1])
	return err == nil
}

func (rq *request) listBuckets() error {
	buckets, err := rq.s.eng.ListBuckets(rq.ctx)
	if err != nil {
		return err
	}
	prefix := rq.query.Get("prefix")
	after := ""
	if tok := rq.query.Get("continuation-token"); tok != "" {
		b, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil {
			return s3err.New(s3err.InvalidArgument, "The continuation token provided is incorrect")
		}
		after = string(b)
	}
	max := 10000
	if v := rq.query.Get("max-buckets"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10000 {
			return s3err.New(s3err.InvalidArgument, "max-buckets must be an integer between 1 and 10000")
		}
		max = n
	}
	res := s3xml.ListAllMyBucketsResult{Owner: rq.owner(), Prefix: prefix, Buckets: []s3xml.BucketEntry{}}
	for _, b := range buckets {
		if !strings.HasPrefix(b.Name, prefix) || (after != "" && b.Name <= after) {
			continue
		}
		if len(res.Buckets) == max {
			res.ContinuationToken = base64.RawURLEncoding.EncodeToString([]byte(res.Buckets[len(res.Buckets)-1].Name))
			break
		}
		res.Buckets = append(res.Buckets, s3xml.BucketEntry{Name: b.Name, CreationDate: s3xml.FormatTime(b.Created), BucketRegion: rq.s.region})
	}
	return rq.writeXML(http.StatusOK, res)
}

func (rq *request) createBucket() error {
	if !validBucketName(rq.bucket) {
		return s3err.New(s3err.InvalidBucketName, "").With("BucketName", rq.bucket)
	}
	if err := rq.checkCreateBucketACL(); err != nil {
		return err
	}
	data, err := rq.readXMLBody(false)
	if err != nil {
		return err
	}
	cfg, err := s3xml.DecodeCreateBucketConfiguration(data)
	if err != nil {
		return err
	}
	if cfg.LocationConstraint == DefaultRegion {
		// As AWS: us-east-1 is the empty constraint; naming it is an
		// error.
		return s3err.New(s3err.InvalidLocationConstraint, "").With("LocationConstraint", cfg.LocationConstraint)
	}
	if lc := cfg.LocationConstraint; lc != "" && lc != rq.s.region {
		if !validRegionName(lc) {
			return s3err.New(s3err.InvalidLocationConstraint, "").With("LocationConstraint", lc)
		}
		return s3err.Errorf(s3err.IllegalLocationConstraintException,
			"The %s location constraint is incompatible for the region specific endpoint this request was sent to (%s).", lc, rq.s.region)
	}
	var opts engine.CreateBucketOptions
	switch v := strings.ToLower(strings.TrimSpace(rq.r.Header.Get("x-amz-bucket-object-lock-enabled"))); v {
	case "", "false":
	case "true":
		opts.ObjectLock = true
	default:
		return s3err.New(s3err.InvalidArgument, "x-amz-bucket-object-lock-enabled must be true or false")
	}
	if err := rq.s.eng.CreateBucket(rq.ctx, rq.bucket, opts); err != nil {
		if errors.Is(err, engine.ErrBucketExists) {
			if rq.s.region == DefaultRegion {
				// As AWS in us-east-1: creating a bucket you already
				// own succeeds and changes nothing. (Every bucket of
				// a wormstore server is the one account's.)
				rq.w.Header().Set("Location", "/"+rq.bucket)
				return rq.writeEmpty(http.StatusOK)
			}
			return s3err.FromError(err).With("BucketName", rq.bucket)
		}
		return err
	}
	rq.w.Header().Set("Location", "/"+rq.bucket)
	return rq.writeEmpty(http.StatusOK)
}

func (rq *request) headBucket() error {
	if _, err := rq.s.eng.Bucket(rq.ctx, rq.bucket); err != nil {
		return err
	}
	rq.w.Header().Set("x-amz-bucket-region", rq.s.region)
	return rq.writeEmpty(http.StatusOK)
}

func (rq *request) deleteBucket() error {
	if err := rq.s.eng.DeleteBucket(rq.ctx, rq.bucket); err != nil {
		return bucketErr(err, rq.bucket)
	}
	return rq.writeEmpty(http.StatusNoContent)
}

// bucketErr adds BucketName to bucket-level errors, as AWS does.
func bucketErr(err error, bucket string) error {
	if errors.Is(err, engine.ErrNoSuchBucket) || errors.Is(err, engine.ErrBucketNotEmpty) {
		return s3err.FromError(err).With("BucketName", bucket)
	}
	return err
}

func (rq *request) getBucketLocation() error {
	if _, err := rq.s.eng.Bucket(rq.ctx, rq.bucket); err != nil {
		return bucketErr(err, rq.bucket)
	}
	loc := rq.s.region
	if loc == DefaultRegion {
		loc = "" // as AWS: us-east-1 is the empty constraint
	}
	return rq.writeXML(http.StatusOK, s3xml.LocationConstraint{Location: loc})
}

func (rq *request) getBucketVersioning() error {
	bi, err := rq.s.eng.Bucket(rq.ctx, rq.bucket)
	if err != nil {
		return bucketErr(err, rq.bucket)
	}
	return rq.writeXML(http.StatusOK, s3xml.VersioningConfiguration{Status: string(bi.Versioning)})
}

func (rq *request) putBucketVersioning() error {
	data, err := rq.readXMLBody(false)
	if err != nil {
		return err
	}
	cfg, err := s3xml.DecodeVersioningConfiguration(data)
	if err != nil {
		return err
	}
	if cfg.MfaDelete == "Enabled" {
		return s3err.New(s3err.NotImplemented, "MFA Delete is not supported")
	}
	if cfg.Status == "" {
		if _, err := rq.s.eng.Bucket(rq.ctx, rq.bucket); err != nil {
			return bucketErr(err, rq.bucket)
		}
		return rq.writeEmpty(http.StatusOK)
	}
	if err := rq.s.eng.SetVersioning(rq.ctx, rq.bucket, engine.Versioning(cfg.Status)); err != nil {
		if errors.Is(err, engine.ErrInvalidBucketState) {
			return s3err.New(s3err.InvalidBucketState, "An Object Lock configuration is present on this bucket, so the versioning state cannot be changed.")
		}
		return bucketErr(err, rq.bucket)
	}
	return rq.writeEmpty(http.StatusOK)
}

func (rq *request) getObjectLockConfiguration() error {
	bi, err := rq.s.eng.Bucket(rq.ctx, rq.bucket)
	if err != nil {
		return bucketErr(err, rq.bucket)
	}
	if !bi.ObjectLock {
		return s3err.New(s3err.ObjectLockConfigurationNotFoundErr, "").With("BucketName", rq.bucket)
	}
	cfg := s3xml.ObjectLockConfiguration{ObjectLockEnabled: "Enabled"}
	if d := bi.DefaultRetention; d != nil {
		cfg.Rule = &s3xml.ObjectLockRule{DefaultRetention: &s3xml.DefaultRetention{Mode: string(d.Mode), Days: d.Days, Years: d.Years}}
	}
	return rq.writeXML(http.StatusOK, cfg)
}

func (rq *request) putObjectLockConfiguration() error {
	data, err := rq.readXMLBody(true)
	if err != nil {
		return err
	}
	cfg, err := s3xml.DecodeObjectLockConfiguration(data)
	if err != nil {
		return err
	}
	var def *engine.DefaultRetention
	if d := cfg.Default; d != nil {
		def = &engine.DefaultRetention{Mode: engine.Mode(d.Mode), Days: d.Days, Years: d.Years}
	}
	if err := rq.s.eng.SetObjectLockConfig(rq.ctx, rq.bucket, def); err != nil {
		if errors.Is(err, engine.ErrInvalidBucketState) {
			return s3err.New(s3err.InvalidBucketState, "Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration")
		}
		return bucketErr(err, rq.bucket)
	}
	return rq.writeEmpty(http.StatusOK)
}
