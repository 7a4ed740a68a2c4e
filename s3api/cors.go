package s3api

import (
	"encoding/xml"
	"net/http"
	"strconv"
	"strings"

	"github.com/wormstore/wormstore/engine"
	"github.com/wormstore/wormstore/gate"
	"github.com/wormstore/wormstore/s3api/s3err"
	"github.com/wormstore/wormstore/s3api/s3xml"
)

// CORS: a bucket's rules (Put/Get/DeleteBucketCors) answer browsers'
// preflight OPTIONS requests, without authentication, and add the
// Access-Control-* headers to actual requests carrying Origin, as AWS does.

// corsMethods are the methods a CORS rule may allow.
func corsMethod(m string) bool {
	switch m {
	case http.MethodGet, http.MethodPut, http.MethodPost, http.MethodDelete, http.MethodHead:
		return true
	}
	return false
}

// corsVary is the Vary header of responses of a bucket with CORS rules to
// requests with Origin.
const corsVary = "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"

// checkCORS validates a decoded configuration as AWS does.
func checkCORS(cfg *s3xml.CORSConfiguration) error {
	for _, r := range cfg.Rules {
		for _, m := range r.AllowedMethods {
			if !corsMethod(m) {
				return s3err.Errorf(s3err.InvalidRequest, "Found unsupported HTTP method in CORS config. Unsupported method is %s", m)
			}
		}
		for _, o := range r.AllowedOrigins {
			if strings.Count(o, "*") > 1 {
				return s3err.Errorf(s3err.InvalidRequest, "AllowedOrigin %q can not have more than one wildcard.", o)
			}
		}
		for _, h := range r.AllowedHeaders {
			if strings.Count(h, "*") > 1 {
				return s3err.Errorf(s3err.InvalidRequest, "AllowedHeader %q can not have more than one wildcard.", h)
			}
		}
		if len(r.ID) > 255 {
			return s3err.New(s3err.InvalidArgument, "The ID of a CORS rule can be at most 255 characters").With("ArgumentName", "ID")
		}
		if r.MaxAgeSeconds != nil && *r.MaxAgeSeconds < 0 {
			return s3err.New(s3err.MalformedXML, "")
		}
	}
	return nil
}

func (rq *request) putBucketCors() error {
	if _, err := rq.s.eng.Bucket(rq.ctx, rq.bucket); err != nil {
		return bucketErr(err, rq.bucket)
	}
	data, err := rq.readXMLBody(true)
	if err != nil {
		return err
	}
	cfg, err := s3xml.DecodeCORSConfiguration(data)
	if err != nil {
		return err
	}
	if err := checkCORS(cfg); err != nil {
		return err
	}
	doc, err := xml.Marshal(cfg)
	if err != nil {
		return err
	}
	if err := rq.s.eng.SetBucketConfig(rq.ctx, rq.bucket, engine.ConfigCORS, doc); err != nil {
		return bucketErr(err, rq.bucket)
	}
	return rq.writeEmpty(http.StatusOK)
}

func (rq *request) getBucketCors() error {
	bi, err := rq.s.eng.Bucket(rq.ctx, rq.bucket)
	if err != nil {
		return bucketErr(err, rq.bucket)
	}
	doc := bi.Config(engine.ConfigCORS)
	if doc == "" {
		return s3err.New(s3err.NoSuchCORSConfiguration, "").With("BucketName", rq.bucket)
	}
	return rq.writeRawXML(doc)
}

func (rq *request) deleteBucketCors() error {
	if _, err := rq.s.eng.Bucket(rq.ctx, rq.bucket); err != nil {
		return bucketErr(err, rq.bucket)
	}
	if err := rq.s.eng.SetBucketConfig(rq.ctx, rq.bucket, engine.ConfigCORS, nil); err != nil {
		return bucketErr(err, rq.bucket)
	}
	return rq.writeEmpty(http.StatusNoContent)
}

// bucketCORS returns the bucket's CORS rules, nil if it has none (or does
// not exist).
func (rq *request) bucketCORS() *s3xml.CORSConfiguration {
	if rq.bucket == "" {
		return nil
	}
	bi, err := rq.s.eng.Bucket(rq.ctx, rq.bucket)
	if err != nil {
		return nil
	}
	doc := bi.Config(engine.ConfigCORS)
	if doc == "" {
		return nil
	}
	cfg, err := s3xml.DecodeCORSConfiguration([]byte(doc))
	if err != nil {
		return nil // stored documents were checked when put
	}
	return cfg
}

// wildcardMatch matches s against a pattern with at most one '*'.
func wildcardMatch(pattern, s string) bool {
	pre, suf, ok := strings.Cut(pattern, "*")
	if !ok {
		return pattern == s
	}
	return len(s) >= len(pre)+len(suf) && strings.HasPrefix(s, pre) && strings.HasSuffix(s, suf)
}

// matchCORS returns the first rule allowing origin, method and every
// requested header, and the AllowedOrigin that matched.
func matchCORS(cfg *s3xml.CORSConfiguration, origin, method string, headers []string) (*s3xml.CORSRule, string) {
	for i := range cfg.Rules {
		r := &cfg.Rules[i]
		matched := ""
		for _, o := range r.AllowedOrigins {
			if wildcardMatch(o, origin) {
				matched = o
				break
			}
		}
		if matched == "" {
			continue
		}
		methodOK := false
		for _, m := range r.AllowedMethods {
			if m == method {
				methodOK = true
				break
			}
		}
		if !methodOK {
			continue
		}
		headersOK := true
		for _, h := range headers {
			ok := false
			for _, a := range r.AllowedHeaders {
				if wildcardMatch(strings.ToLower(a), strings.ToLower(h)) {
					ok = true
					break
				}
			}
			if !ok {
				headersOK = false
				break
			}
		}
		if headersOK {
			return r, matched
		}
	}
	return nil, ""
}

// setCORSHeaders adds the Access-Control-* headers of a matched rule.
func setCORSHeaders(h http.Header, r *s3xml.CORSRule, matched, origin string) {
	if matched == "*" {
		h.Set("Access-Control-Allow-Origin", "*")
	} else {
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Credentials", "true")
	}
	h.Set("Access-Control-Allow-Methods", strings.Join(r.AllowedMethods, ", "))
	if len(r.ExposeHeaders) > 0 {
		h.Set("Access-Control-Expose-Headers", strings.Join(r.ExposeHeaders, ", "))
	}
	if r.MaxAgeSeconds != nil {
		h.Set("Access-Control-Max-Age", strconv.Itoa(*r.MaxAgeSeconds))
	}
}

// applyCORS adds the CORS headers to the response of an actual
// (non-preflight) request carrying Origin, when a rule of the bucket
// allows its origin and method. It runs before authentication, so error
// answers carry them too (a browser can then read the error).
func (rq *request) applyCORS() {
	origin := rq.r.Header.Get("Origin")
	if origin == "" {
		return
	}
	cfg := rq.bucketCORS()
	if cfg == nil {
		return
	}
	h := rq.w.Header()
	h.Set("Vary", corsVary)
	if r, matched := matchCORS(cfg, origin, rq.r.Method, nil); r != nil {
		setCORSHeaders(h, r, matched, origin)
	}
}

// preflight answers a CORS preflight (OPTIONS) from the bucket's rules,
// without authentication. It goes through the gate as
// gate.OpOptionsPreflight: a refusal is audited like every refused
// unauthenticated request (rate-limited per source).
func (rq *request) preflight() error {
	rq.op = gate.OpOptionsPreflight
	rq.scope.SetOp(gate.OpOptionsPreflight)
	rq.scope.SetTarget(rq.bucket, rq.key, "")
	h := rq.r.Header
	origin := h.Get("Origin")
	if origin == "" {
		return s3err.New(s3err.BadRequest, "Insufficient information. Origin request header needed.")
	}
	method := h.Get("Access-Control-Request-Method")
	if !corsMethod(method) {
		m := method
		if m == "" {
			m = "null"
		}
		return s3err.New(s3err.BadRequest, "Invalid Access-Control-Request-Method: "+m)
	}
	resourceType := "BUCKET"
	if rq.key != "" {
		resourceType = "OBJECT"
	}
	forbidden := func(msg string) error {
		return s3err.New(s3err.AccessForbidden, msg).With("Method", method).With("ResourceType", resourceType)
	}
	cfg := rq.bucketCORS()
	if cfg == nil {
		// Also for a bucket that does not exist: an anonymous caller
		// learns nothing about which buckets exist.
		return forbidden("CORSResponse: CORS is not enabled for this bucket.")
	}
	var reqHeaders []string
	for _, v := range h.Values("Access-Control-Request-Headers") {
		for f := range strings.SplitSeq(v, ",") {
			if f = strings.TrimSpace(f); f != "" {
				reqHeaders = append(reqHeaders, f)
			}
		}
	}
	out := rq.w.Header()
	out.Set("Vary", corsVary)
	r, matched := matchCORS(cfg, origin, method, reqHeaders)
	if r == nil {
		return forbidden("")
	}
	setCORSHeaders(out, r, matched, origin)
	if len(reqHeaders) > 0 {
		out.Set("Access-Control-Allow-Headers", strings.Join(reqHeaders, ", "))
	}
	return rq.writeEmpty(http.StatusOK)
}
