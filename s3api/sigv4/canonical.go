package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/textproto"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Wire constants of SigV4. Do not change.
const (
	algorithm         = "AWS4-HMAC-SHA256"
	scopeTerminator   = "aws4_request"
	amzDateLayout     = "20060102T150405Z"
	scopeDateLayout   = "20060102"
	chunkAlgorithm    = "AWS4-HMAC-SHA256-PAYLOAD"
	trailerAlgorithm  = "AWS4-HMAC-SHA256-TRAILER"
	emptySHA256Hex    = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	maxPresignExpires = 7 * 24 * 60 * 60 // 604800 seconds

	// Payload markers in x-amz-content-sha256.
	unsignedPayload                 = "UNSIGNED-PAYLOAD"
	streamingSignedPayload          = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	streamingSignedPayloadTrailer   = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
	streamingUnsignedPayloadTrailer = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
	streamingECDSAPrefix            = "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD"

	// maxSignedHeaders bounds the SignedHeaders list (hostile input).
	maxSignedHeaders = 256
)

// Authorization is a parsed "Authorization: AWS4-HMAC-SHA256 ..." header.
type Authorization struct {
	// AccessKey, Date (YYYYMMDD), Region and Service come from the
	// Credential component "AccessKey/Date/Region/Service/aws4_request".
	AccessKey string
	Date      string
	Region    string
	Service   string
	// SignedHeaders is the SignedHeaders component split on ';', in the
	// client's order.
	SignedHeaders []string
	// Signature is the lowercase hex signature.
	Signature string
}

// ParseAuthorization parses an AWS4-HMAC-SHA256 Authorization header value.
// Components may be separated by "," or ", " and appear in any order. It
// returns ErrUnsupportedAuth for other schemes (e.g. SigV2 "AWS ...") and
// ErrAuthorizationHeaderMalformed for a malformed value. It checks shape
// only; Verify checks the scope against its configuration.
func ParseAuthorization(value string) (Authorization, error) {
	var a Authorization
	rest, ok := strings.CutPrefix(value, algorithm)
	if !ok || (rest != "" && rest[0] != ' ') {
		scheme, _, _ := strings.Cut(value, " ")
		return a, fmt.Errorf("%w: %.32q", ErrUnsupportedAuth, scheme)
	}
	var haveCred, haveSigned, haveSig bool
	for part := range strings.SplitSeq(rest, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return a, fmt.Errorf("%w: component %.64q has no '='", ErrAuthorizationHeaderMalformed, part)
		}
		var err error
		switch k {
		case "Credential":
			if haveCred {
				return a, fmt.Errorf("%w: duplicate Credential", ErrAuthorizationHeaderMalformed)
			}
			haveCred = true
			a.AccessKey, a.Date, a.Region, a.Service, err = parseCredential(v)
		case "SignedHeaders":
			if haveSigned {
				return a, fmt.Errorf("%w: duplicate SignedHeaders", ErrAuthorizationHeaderMalformed)
			}
			haveSigned = true
			a.SignedHeaders, err = parseSignedHeaders(v)
		case "Signature":
			if haveSig {
				return a, fmt.Errorf("%w: duplicate Signature", ErrAuthorizationHeaderMalformed)
			}
			haveSig = true
			a.Signature, err = parseSignature(v)
		default:
			return a, fmt.Errorf("%w: unknown component %.32q", ErrAuthorizationHeaderMalformed, k)
		}
		if err != nil {
			return a, fmt.Errorf("%w: %w", ErrAuthorizationHeaderMalformed, err)
		}
	}
	switch {
	case !haveCred:
		return a, fmt.Errorf("%w: missing Credential", ErrAuthorizationHeaderMalformed)
	case !haveSigned:
		return a, fmt.Errorf("%w: missing SignedHeaders", ErrAuthorizationHeaderMalformed)
	case !haveSig:
		return a, fmt.Errorf("%w: missing Signature", ErrAuthorizationHeaderMalformed)
	}
	return a, nil
}

// parseCredential splits "AccessKey/YYYYMMDD/region/service/aws4_request".
// The access key is everything before the last four components.
func parseCredential(s string) (accessKey, date, region, service string, err error) {
	parts := strings.Split(s, "/")
	if len(parts) < 5 {
		return "", "", "", "", fmt.Errorf("credential %.128q is not AccessKey/Date/Region/Service/aws4_request", s)
	}
	n := len(parts)
	accessKey = strings.Join(parts[:n-4], "/")
	date, region, service = parts[n-4], parts[n-3], parts[n-2]
	switch {
	case accessKey == "":
		return "", "", "", "", fmt.Errorf("credential %.128q has an empty access key", s)
	case parts[n-1] != scopeTerminator:
		return "", "", "", "", fmt.Errorf("credential scope must end in %q, got %.32q", scopeTerminator, parts[n-1])
	case region == "" || service == "":
		return "", "", "", "", fmt.Errorf("credential %.128q has an empty region or service", s)
	}
	if _, perr := time.Parse(scopeDateLayout, date); perr != nil || len(date) != 8 {
		return "", "", "", "", fmt.Errorf("credential date %.32q is not YYYYMMDD", date)
	}
	return accessKey, date, region, service, nil
}

func parseSignedHeaders(s string) ([]string, error) {
	if s == "" {
		return nil, fmt.Errorf("empty SignedHeaders")
	}
	hs := strings.Split(s, ";")
	if len(hs) > maxSignedHeaders {
		return nil, fmt.Errorf("%d signed headers, at most %d", len(hs), maxSignedHeaders)
	}
	host := false
	for _, h := range hs {
		if h == "" || !validHeaderName(h) {
			return nil, fmt.Errorf("invalid signed header name %.64q", h)
		}
		if h == "host" {
			host = true
		}
	}
	if !host {
		return nil, fmt.Errorf("SignedHeaders must include host")
	}
	return hs, nil
}

// validHeaderName reports whether h is a lowercase HTTP token.
func validHeaderName(h string) bool {
	for i := 0; i < len(h); i++ {
		c := h[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

func parseSignature(s string) (string, error) {
	if len(s) != 2*sha256.Size {
		return "", fmt.Errorf("signature must be %d hex digits, got %d characters", 2*sha256.Size, len(s))
	}
	if _, err := hex.DecodeString(s); err != nil {
		return "", fmt.Errorf("signature is not hex")
	}
	return strings.ToLower(s), nil
}

// uriEncode appends s to b percent-encoded the AWS way: every byte except
// the unreserved A-Z a-z 0-9 - . _ ~ becomes %XX with uppercase hex; '/' is
// kept when keepSlash is set.
func uriEncode(b []byte, s string, keepSlash bool) []byte {
	for i := 0; i < len(s); i++ {
		b = uriEncodeByte(b, s[i], keepSlash)
	}
	return b
}

func uriEncodeByte(b []byte, c byte, keepSlash bool) []byte {
	const upperhex = "0123456789ABCDEF"
	if isUnreserved(c) || (c == '/' && keepSlash) {
		return append(b, c)
	}
	return append(b, '%', upperhex[c>>4], upperhex[c&15])
}

func isUnreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// rawPath returns the request path as the client sent it, escaped.
func rawPath(r *http.Request) string {
	if p := r.RequestURI; strings.HasPrefix(p, "/") {
		if i := strings.IndexByte(p, '?'); i >= 0 {
			p = p[:i]
		}
		return p
	}
	if r.URL.Opaque != "" {
		// "//host/path" opaque form (the SDK's GetURIPath does the same).
		o, _, _ := strings.Cut(r.URL.Opaque, "?")
		o = strings.TrimPrefix(o, "//")
		if i := strings.IndexByte(o, '/'); i >= 0 {
			return o[i:]
		}
		return "/"
	}
	return r.URL.EscapedPath()
}

// canonicalURIs returns the canonical URI of a raw (escaped) path, then any
// alternative forms other clients may have signed, without duplicates.
//
// The first form decodes every %XX and re-encodes with uriEncode, keeping
// '/' and keeping an encoded slash (%2F) encoded; it is what AWS SDKs sign,
// since they percent-encode the key with the same rule. No dot-segment or
// "//" normalisation is done: S3 keys may contain them.
// The alternatives are the raw path exactly as sent (clients that sign their
// wire form, e.g. with an unescaped '!' or lowercase hex), and the plain
// decode-and-re-encode in which %2F becomes '/'. All of them name the same
// object key, so accepting any of them grants nothing extra.
func canonicalURIs(raw string) ([]string, error) {
	if raw == "" {
		raw = "/"
	}
	b := make([]byte, 0, len(raw)+16)
	alt := make([]byte, 0, len(raw)+16)
	hasEncodedSlash := false
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c == '%' {
			if i+2 >= len(raw) {
				return nil, fmt.Errorf("invalid escape in path")
			}
			h, ok1 := unhex(raw[i+1])
			l, ok2 := unhex(raw[i+2])
			if !ok1 || !ok2 {
				return nil, fmt.Errorf("invalid escape in path")
			}
			c = h<<4 | l
			i += 2
			if c == '/' {
				hasEncodedSlash = true
				b = append(b, "%2F"...)
				alt = append(alt, '/')
				continue
			}
		}
		b = uriEncodeByte(b, c, true)
		alt = uriEncodeByte(alt, c, true)
	}
	out := []string{string(b)}
	if raw != out[0] {
		out = append(out, raw)
	}
	if hasEncodedSlash {
		out = append(out, string(alt))
	}
	return out, nil
}

// canonicalQuery builds the canonical query string from a raw query: each
// name and value is decoded ('+' is a space) and re-encoded with uriEncode
// (space is %20), pairs are sorted by encoded name then encoded value, and
// a name without '=' gets an empty value. When presigned, X-Amz-Signature
// is left out.
func canonicalQuery(rawQuery string, presigned bool) (string, error) {
	if rawQuery == "" {
		return "", nil
	}
	type pair struct{ k, v string }
	var pairs []pair
	for part := range strings.SplitSeq(rawQuery, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		dk, err := queryUnescape(k)
		if err != nil {
			return "", err
		}
		if presigned && dk == "X-Amz-Signature" {
			continue
		}
		dv, err := queryUnescape(v)
		if err != nil {
			return "", err
		}
		pairs = append(pairs, pair{
			k: string(uriEncode(nil, dk, false)),
			v: string(uriEncode(nil, dv, false)),
		})
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].k != pairs[j].k {
			return pairs[i].k < pairs[j].k
		}
		return pairs[i].v < pairs[j].v
	})
	var sb strings.Builder
	for i, p := range pairs {
		if i > 0 {
			sb.WriteByte('&')
		}
		sb.WriteString(p.k)
		sb.WriteByte('=')
		sb.WriteString(p.v)
	}
	return sb.String(), nil
}

// parseQuery parses a raw query like url.ParseQuery, except that ';' is an
// ordinary character. Pairs before a malformed one are kept, and the first
// error is returned.
func parseQuery(rawQuery string) (url.Values, error) {
	q := url.Values{}
	var firstErr error
	for part := range strings.SplitSeq(rawQuery, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		dk, err1 := queryUnescape(k)
		dv, err2 := queryUnescape(v)
		if err := errors.Join(err1, err2); err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		q[dk] = append(q[dk], dv)
	}
	return q, firstErr
}

// queryUnescape decodes %XX and '+' (space) like url.QueryUnescape.
func queryUnescape(s string) (string, error) {
	if strings.IndexByte(s, '%') < 0 && strings.IndexByte(s, '+') < 0 {
		return s, nil
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '+':
			b = append(b, ' ')
		case '%':
			if i+2 >= len(s) {
				return "", fmt.Errorf("invalid escape in query")
			}
			h, ok1 := unhex(s[i+1])
			l, ok2 := unhex(s[i+2])
			if !ok1 || !ok2 {
				return "", fmt.Errorf("invalid escape in query")
			}
			b = append(b, h<<4|l)
			i += 2
		default:
			b = append(b, c)
		}
	}
	return string(b), nil
}

// headerValues returns the values of the lowercase header name as the
// client sent them. Go's server moves Host into r.Host and, for chunked
// requests, Transfer-Encoding into r.TransferEncoding; Content-Length is
// taken from r.ContentLength when the header map lacks it (client-side
// requests built in tests).
func headerValues(r *http.Request, name string) []string {
	switch name {
	case "host":
		h := r.Host
		if h == "" && r.URL != nil {
			h = r.URL.Host
		}
		return []string{h}
	}
	if vs, ok := r.Header[textproto.CanonicalMIMEHeaderKey(name)]; ok {
		return vs
	}
	for k, vs := range r.Header {
		if strings.EqualFold(k, name) {
			return vs
		}
	}
	switch name {
	case "content-length":
		if r.ContentLength >= 0 {
			return []string{strconv.FormatInt(r.ContentLength, 10)}
		}
	case "transfer-encoding":
		if len(r.TransferEncoding) > 0 {
			return []string{strings.Join(r.TransferEncoding, ",")}
		}
	}
	return nil
}

// canonicalHeaders writes "name:value\n" for each signed header in the
// client's order. Values are trimmed, runs of spaces collapse to one, and
// repeated headers are joined with ','.
func canonicalHeaders(sb *strings.Builder, r *http.Request, signed []string) {
	for _, name := range signed {
		sb.WriteString(name)
		sb.WriteByte(':')
		for i, v := range headerValues(r, name) {
			if i > 0 {
				sb.WriteByte(',')
			}
			writeTrimmedValue(sb, v)
		}
		sb.WriteByte('\n')
	}
}

func writeTrimmedValue(sb *strings.Builder, v string) {
	v = strings.TrimSpace(v)
	space := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == ' ' {
			if space {
				continue
			}
			space = true
		} else {
			space = false
		}
		sb.WriteByte(c)
	}
}

// canonicalRequest joins the six lines of the SigV4 canonical request.
func canonicalRequest(method, uri, query, headers, signedHeaders, payloadHash string) string {
	var sb strings.Builder
	sb.Grow(len(method) + len(uri) + len(query) + len(headers) + len(signedHeaders) + len(payloadHash) + 5)
	sb.WriteString(method)
	sb.WriteByte('\n')
	sb.WriteString(uri)
	sb.WriteByte('\n')
	sb.WriteString(query)
	sb.WriteByte('\n')
	sb.WriteString(headers) // each line already ends in '\n'
	sb.WriteByte('\n')
	sb.WriteString(signedHeaders)
	sb.WriteByte('\n')
	sb.WriteString(payloadHash)
	return sb.String()
}

func stringToSign(amzDate, scope, canonical string) string {
	h := sha256.Sum256([]byte(canonical))
	return algorithm + "\n" + amzDate + "\n" + scope + "\n" + hex.EncodeToString(h[:])
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// deriveSigningKey computes HMAC("AWS4"+secret, date) → region → service →
// "aws4_request".
func deriveSigningKey(secret, date, region, service string) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), date)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, service)
	return hmacSHA256(k, scopeTerminator)
}
