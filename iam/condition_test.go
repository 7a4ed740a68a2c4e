package iam

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestConditionOperators evaluates every operator, its IfExists form and
// the set prefixes with the key present, absent and multi-valued. Each
// case is one Allow statement whose only condition is {op: {key: values}};
// the request is allowed exactly when the condition holds.
func TestConditionOperators(t *testing.T) {
	absent := []string(nil)
	v := func(s ...string) []string { return s }
	tests := []struct {
		op     string
		key    string
		values any      // policy values: string, []any, number, bool
		req    []string // request values; nil = key absent
		want   bool
	}{
		// String.
		{"StringEquals", "s3:prefix", "a", v("a"), true},
		{"StringEquals", "s3:prefix", "a", v("A"), false},
		{"StringEquals", "s3:prefix", "a", v("b"), false},
		{"StringEquals", "s3:prefix", "a", absent, false},
		{"StringEquals", "s3:prefix", "a", v(), false}, // no values = absent
		{"StringEquals", "s3:prefix", []any{"x", "a"}, v("a"), true},
		{"StringEquals", "s3:prefix", "a*", v("ab"), false}, // no wildcards
		{"StringEquals", "s3:prefix", "a*", v("a*"), true},
		{"StringEquals", "s3:max-keys", 10, v("10"), true}, // JSON number as text
		{"StringEqualsIfExists", "s3:prefix", "a", absent, true},
		{"StringEqualsIfExists", "s3:prefix", "a", v("b"), false},
		{"StringEqualsIfExists", "s3:prefix", "a", v("a"), true},
		{"StringNotEquals", "s3:prefix", "a", v("a"), false},
		{"StringNotEquals", "s3:prefix", "a", v("b"), true},
		{"StringNotEquals", "s3:prefix", "a", absent, true},
		{"StringNotEquals", "s3:prefix", []any{"a", "b"}, v("b"), false},
		{"StringNotEquals", "s3:prefix", []any{"a", "b"}, v("c"), true},
		{"StringNotEqualsIfExists", "s3:prefix", "a", absent, true},
		{"StringNotEqualsIfExists", "s3:prefix", "a", v("a"), false},
		{"StringNotEqualsIfExists", "s3:prefix", "a", v("b"), true},
		{"StringEqualsIgnoreCase", "s3:object-lock-legal-hold", "ON", v("on"), true},
		{"StringEqualsIgnoreCase", "s3:object-lock-legal-hold", "ON", v("off"), false},
		{"StringEqualsIgnoreCase", "s3:object-lock-legal-hold", "ON", absent, false},
		{"StringEqualsIgnoreCaseIfExists", "s3:object-lock-legal-hold", "ON", absent, true},
		{"StringNotEqualsIgnoreCase", "s3:object-lock-legal-hold", "ON", v("on"), false},
		{"StringNotEqualsIgnoreCase", "s3:object-lock-legal-hold", "ON", v("OFF"), true},
		{"StringNotEqualsIgnoreCase", "s3:object-lock-legal-hold", "ON", absent, true},
		{"StringNotEqualsIgnoreCaseIfExists", "s3:object-lock-legal-hold", "ON", v("On"), false},
		{"StringLike", "s3:prefix", "home/*", v("home/x/y"), true},
		{"StringLike", "s3:prefix", "home/*", v("home/"), true},
		{"StringLike", "s3:prefix", "home/*", v("homey"), false},
		{"StringLike", "s3:prefix", "h?me/*", v("hôme/x"), true}, // ? is one character, not one byte
		{"StringLike", "s3:prefix", "h?me/*", v("hme/x"), false},
		{"StringLike", "s3:prefix", "home/*", v("Home/x"), false},
		{"StringLike", "s3:prefix", "home/*", absent, false},
		{"StringLike", "s3:prefix", "a${*}", v("a*"), true}, // ${*} is a literal *
		{"StringLike", "s3:prefix", "a${*}", v("ab"), false},
		{"StringLikeIfExists", "s3:prefix", "home/*", absent, true},
		{"StringLikeIfExists", "s3:prefix", "home/*", v("x"), false},
		{"StringNotLike", "s3:prefix", "tmp/*", v("tmp/x"), false},
		{"StringNotLike", "s3:prefix", "tmp/*", v("x"), true},
		{"StringNotLike", "s3:prefix", "tmp/*", absent, true},
		{"StringNotLikeIfExists", "s3:prefix", "tmp/*", absent, true},
		{"StringNotLikeIfExists", "s3:prefix", "tmp/*", v("tmp/"), false},

		// Numeric.
		{"NumericEquals", "s3:max-keys", "10", v("10"), true},
		{"NumericEquals", "s3:max-keys", "10", v("10.0"), true},
		{"NumericEquals", "s3:max-keys", 10, v("10"), true},
		{"NumericEquals", "s3:max-keys", "10", v("11"), false},
		{"NumericEquals", "s3:max-keys", "10", v("ten"), false},
		{"NumericEquals", "s3:max-keys", "10", absent, false},
		{"NumericEqualsIfExists", "s3:max-keys", "10", absent, true},
		{"NumericNotEquals", "s3:max-keys", "10", v("10"), false},
		{"NumericNotEquals", "s3:max-keys", "10", v("11"), true},
		{"NumericNotEquals", "s3:max-keys", "10", absent, true},
		{"NumericNotEquals", "s3:max-keys", "10", v("ten"), true}, // unparsable matches nothing
		{"NumericNotEqualsIfExists", "s3:max-keys", "10", absent, true},
		{"NumericLessThan", "s3:object-lock-remaining-retention-days", "30", v("29"), true},
		{"NumericLessThan", "s3:object-lock-remaining-retention-days", "30", v("30"), false},
		{"NumericLessThan", "s3:object-lock-remaining-retention-days", "30", v("-1"), true},
		{"NumericLessThan", "s3:object-lock-remaining-retention-days", "30", absent, false},
		{"NumericLessThanIfExists", "s3:object-lock-remaining-retention-days", "30", absent, true},
		{"NumericLessThanIfExists", "s3:object-lock-remaining-retention-days", "30", v("31"), false},
		{"NumericLessThanEquals", "s3:max-keys", "30", v("30"), true},
		{"NumericLessThanEquals", "s3:max-keys", "30", v("30.5"), false},
		{"NumericLessThanEquals", "s3:max-keys", "30", absent, false},
		{"NumericLessThanEqualsIfExists", "s3:max-keys", "30", absent, true},
		{"NumericGreaterThan", "s3:max-keys", "1000", v("1001"), true},
		{"NumericGreaterThan", "s3:max-keys", "1000", v("1000"), false},
		{"NumericGreaterThan", "s3:max-keys", "1000", absent, false},
		{"NumericGreaterThanIfExists", "s3:max-keys", "1000", absent, true},
		{"NumericGreaterThanEquals", "s3:max-keys", "1000", v("1000"), true},
		{"NumericGreaterThanEquals", "s3:max-keys", "1000", v("999"), false},
		{"NumericGreaterThanEquals", "s3:max-keys", "1e3", v("1000"), true},
		{"NumericGreaterThanEqualsIfExists", "s3:max-keys", "1000", absent, true},

		// Date.
		{"DateEquals", "aws:CurrentTime", "2030-01-01T00:00:00Z", v("2030-01-01T01:00:00+01:00"), true},
		{"DateEquals", "aws:CurrentTime", "2030-01-01T00:00:00Z", v("1893456000"), true}, // epoch
		{"DateEquals", "aws:CurrentTime", "2030-01-01", v("2030-01-01T00:00:00.000Z"), true},
		{"DateEquals", "aws:CurrentTime", "2030-01-01T00:00:00Z", v("2030-01-02"), false},
		{"DateEquals", "aws:CurrentTime", "2030-01-01T00:00:00Z", v("tomorrow"), false},
		{"DateEquals", "aws:CurrentTime", "2030-01-01T00:00:00Z", absent, false},
		{"DateEqualsIfExists", "aws:CurrentTime", "2030-01-01T00:00:00Z", absent, true},
		{"DateNotEquals", "aws:CurrentTime", "2030-01-01T00:00:00Z", v("2030-01-01T00:00:00Z"), false},
		{"DateNotEquals", "aws:CurrentTime", "2030-01-01T00:00:00Z", v("2031-01-01T00:00:00Z"), true},
		{"DateNotEquals", "aws:CurrentTime", "2030-01-01T00:00:00Z", absent, true},
		{"DateNotEqualsIfExists", "aws:CurrentTime", "2030-01-01T00:00:00Z", absent, true},
		{"DateLessThan", "aws:CurrentTime", "2030-01-01T00:00:00Z", v("2029-12-31T23:59:59Z"), true},
		{"DateLessThan", "aws:CurrentTime", "2030-01-01T00:00:00Z", v("2030-01-01T00:00:00Z"), false},
		{"DateLessThan", "aws:EpochTime", "2030-01-01T00:00:00Z", v("1893455999"), true},
		{"DateLessThan", "aws:CurrentTime", "2030-01-01T00:00:00Z", absent, false},
		{"DateLessThanIfExists", "aws:CurrentTime", "2030-01-01T00:00:00Z", absent, true},
		{"DateLessThanEquals", "aws:CurrentTime", "2030-01-01T00:00:00Z", v("2030-01-01T00:00:00Z"), true},
		{"DateLessThanEquals", "aws:CurrentTime", "2030-01-01T00:00:00Z", v("2030-01-01T00:00:01Z"), false},
		{"DateLessThanEqualsIfExists", "aws:CurrentTime", "2030-01-01T00:00:00Z", absent, true},
		{"DateGreaterThan", "s3:object-lock-retain-until-date", "2030-01-01T00:00:00Z", v("2030-01-01T00:00:01Z"), true},
		{"DateGreaterThan", "s3:object-lock-retain-until-date", "2030-01-01T00:00:00Z", v("2030-01-01T00:00:00Z"), false},
		{"DateGreaterThan", "s3:object-lock-retain-until-date", "2030-01-01T00:00:00Z", absent, false},
		{"DateGreaterThanIfExists", "s3:object-lock-retain-until-date", "2030-01-01T00:00:00Z", absent, true},
		{"DateGreaterThanEquals", "s3:object-lock-retain-until-date", "2030-01-01T00:00:00Z", v("2030-01-01T00:00:00Z"), true},
		{"DateGreaterThanEquals", "s3:object-lock-retain-until-date", "2030-01-01T00:00:00Z", v("2029-01-01T00:00:00Z"), false},
		{"DateGreaterThanEqualsIfExists", "s3:object-lock-retain-until-date", "2030-01-01T00:00:00Z", absent, true},

		// Bool and binary.
		{"Bool", "aws:SecureTransport", "true", v("true"), true},
		{"Bool", "aws:SecureTransport", "true", v("TRUE"), true},
		{"Bool", "aws:SecureTransport", true, v("true"), true}, // JSON boolean
		{"Bool", "aws:SecureTransport", "true", v("false"), false},
		{"Bool", "aws:SecureTransport", "false", v("false"), true},
		{"Bool", "aws:SecureTransport", "true", v("yes"), false},
		{"Bool", "aws:SecureTransport", "true", absent, false},
		{"BoolIfExists", "aws:SecureTransport", "true", absent, true},
		{"BoolIfExists", "aws:SecureTransport", "true", v("false"), false},
		{"BinaryEquals", "s3:x-amz-content-sha256", "QmluYXJ5", v("QmluYXJ5"), true},
		{"BinaryEquals", "s3:x-amz-content-sha256", "QmluYXJ5", v("QmluYXJ6"), false},
		{"BinaryEquals", "s3:x-amz-content-sha256", "QmluYXJ5", absent, false},
		{"BinaryEqualsIfExists", "s3:x-amz-content-sha256", "QmluYXJ5", absent, true},

		// IP.
		{"IpAddress", "aws:SourceIp", "192.0.2.0/24", v("192.0.2.7"), true},
		{"IpAddress", "aws:SourceIp", "192.0.2.0/24", v("::ffff:192.0.2.7"), true},
		{"IpAddress", "aws:SourceIp", "192.0.2.0/24", v("198.51.100.1"), false},
		{"IpAddress", "aws:SourceIp", "192.0.2.0/24", v("not-an-ip"), false},
		{"IpAddress", "aws:SourceIp", "192.0.2.0/24", absent, false},
		{"IpAddress", "aws:SourceIp", "192.0.2.9/24", v("192.0.2.200"), true}, // host bits ignored
		{"IpAddress", "aws:SourceIp", "203.0.113.5", v("203.0.113.5"), true},  // single address
		{"IpAddress", "aws:SourceIp", "203.0.113.5", v("203.0.113.6"), false},
		{"IpAddress", "aws:SourceIp", "2001:db8::/32", v("2001:db8::1"), true},
		{"IpAddress", "aws:SourceIp", "2001:db8::/32", v("2001:db9::1"), false},
		{"IpAddress", "aws:SourceIp", []any{"10.0.0.0/8", "192.0.2.0/24"}, v("192.0.2.1"), true},
		{"IpAddressIfExists", "aws:SourceIp", "192.0.2.0/24", absent, true},
		{"NotIpAddress", "aws:SourceIp", "192.0.2.0/24", v("192.0.2.7"), false},
		{"NotIpAddress", "aws:SourceIp", "192.0.2.0/24", v("198.51.100.1"), true},
		{"NotIpAddress", "aws:SourceIp", "192.0.2.0/24", absent, true},
		{"NotIpAddressIfExists", "aws:SourceIp", "192.0.2.0/24", absent, true},
		{"NotIpAddressIfExists", "aws:SourceIp", "192.0.2.0/24", v("192.0.2.1"), false},

		// ARN: segment by segment; a wildcard never crosses a colon before
		// the resource segment.
		{"ArnLike", "aws:SourceArn", "arn:aws:iam::*:user/*", v("arn:aws:iam::123456789012:user/bob"), true},
		{"ArnLike", "aws:SourceArn", "arn:aws:iam::*:user/*", v("arn:aws:iam::123456789012:role/bob"), false},
		{"ArnLike", "aws:SourceArn", "arn:aws:iam::1*:user/x", v("arn:aws:iam::12:34:user/x"), false},
		{"ArnLike", "aws:SourceArn", "arn:aws:s3:::b/*", v("arn:aws:s3:::b/x:y"), true},
		{"ArnLike", "aws:SourceArn", "arn:aws:iam::*:user/*", v("bob"), false},
		{"ArnLike", "aws:SourceArn", "arn:aws:iam::*:user/*", absent, false},
		{"ArnLikeIfExists", "aws:SourceArn", "arn:aws:iam::*:user/*", absent, true},
		{"ArnEquals", "aws:SourceArn", "arn:aws:iam::123456789012:user/bob", v("arn:aws:iam::123456789012:user/bob"), true},
		{"ArnEquals", "aws:SourceArn", "arn:aws:iam::123456789012:user/bob", v("arn:aws:iam::123456789012:user/Bob"), false},
		{"ArnEquals", "aws:SourceArn", "arn:aws:iam::*:user/bob", v("arn:aws:iam::123456789012:user/bob"), true},
		{"ArnEqualsIfExists", "aws:SourceArn", "arn:aws:iam::*:user/bob", absent, true},
		{"ArnNotLike", "aws:SourceArn", "arn:aws:iam::*:user/*", v("arn:aws:iam::1:user/x"), false},
		{"ArnNotLike", "aws:SourceArn", "arn:aws:iam::*:user/*", v("arn:aws:iam::1:role/x"), true},
		{"ArnNotLike", "aws:SourceArn", "arn:aws:iam::*:user/*", absent, true},
		{"ArnNotLikeIfExists", "aws:SourceArn", "arn:aws:iam::*:user/*", absent, true},
		{"ArnNotEquals", "aws:SourceArn", "arn:aws:iam::1:user/x", v("arn:aws:iam::1:user/x"), false},
		{"ArnNotEquals", "aws:SourceArn", "arn:aws:iam::1:user/x", v("arn:aws:iam::1:user/y"), true},
		{"ArnNotEquals", "aws:SourceArn", "arn:aws:iam::1:user/x", absent, true},
		{"ArnNotEqualsIfExists", "aws:SourceArn", "arn:aws:iam::1:user/x", v("arn:aws:iam::1:user/x"), false},

		// Null.
		{"Null", "s3:versionid", "true", absent, true},
		{"Null", "s3:versionid", "true", v("v1"), false},
		{"Null", "s3:versionid", "false", v("v1"), true},
		{"Null", "s3:versionid", "false", absent, false},
		{"Null", "s3:versionid", true, absent, true},
		{"Null", "s3:versionid", []any{"true", "false"}, v("v1"), true},

		// Multi-valued keys without a set prefix: positive = any, negated = none.
		{"StringEquals", "aws:TagKeys", "a", v("c", "a"), true},
		{"StringNotEquals", "aws:TagKeys", "a", v("c", "a"), false},
		{"StringNotEquals", "aws:TagKeys", "a", v("c", "d"), true},

		// ForAnyValue.
		{"ForAnyValue:StringEquals", "aws:TagKeys", []any{"a", "b"}, v("c", "a"), true},
		{"ForAnyValue:StringEquals", "aws:TagKeys", []any{"a", "b"}, v("c"), false},
		{"ForAnyValue:StringEquals", "aws:TagKeys", []any{"a", "b"}, absent, false},
		{"ForAnyValue:StringEqualsIfExists", "aws:TagKeys", []any{"a", "b"}, absent, true},
		{"ForAnyValue:StringEqualsIfExists", "aws:TagKeys", []any{"a", "b"}, v("c"), false},
		{"ForAnyValue:StringNotEquals", "aws:TagKeys", "a", v("a", "c"), true},
		{"ForAnyValue:StringNotEquals", "aws:TagKeys", "a", v("a"), false},
		{"ForAnyValue:StringNotEquals", "aws:TagKeys", "a", absent, false},
		{"ForAnyValue:StringLike", "aws:TagKeys", "x/*", v("y", "x/1"), true},
		{"ForAnyValue:NumericGreaterThan", "aws:TagKeys", "5", v("1", "6"), true},
		{"ForAnyValue:NumericGreaterThan", "aws:TagKeys", "5", v("1", "2"), false},
		{"ForAnyValue:IpAddress", "aws:SourceIp", "192.0.2.0/24", v("10.0.0.1", "192.0.2.1"), true},

		// ForAllValues.
		{"ForAllValues:StringEquals", "aws:TagKeys", []any{"a", "b"}, v("a", "b"), true},
		{"ForAllValues:StringEquals", "aws:TagKeys", []any{"a", "b"}, v("a", "c"), false},
		{"ForAllValues:StringEquals", "aws:TagKeys", []any{"a", "b"}, absent, true},
		{"ForAllValues:StringEqualsIfExists", "aws:TagKeys", []any{"a", "b"}, absent, true},
		{"ForAllValues:StringEqualsIgnoreCase", "aws:TagKeys", []any{"a", "b"}, v("A", "B"), true},
		{"ForAllValues:StringNotEquals", "aws:TagKeys", "a", v("b", "c"), true},
		{"ForAllValues:StringNotEquals", "aws:TagKeys", "a", v("a", "c"), false},
		{"ForAllValues:StringNotEquals", "aws:TagKeys", "a", absent, true},
		{"ForAllValues:StringLike", "aws:TagKeys", "x/*", v("x/1", "x/2"), true},
		{"ForAllValues:StringLike", "aws:TagKeys", "x/*", v("x/1", "y"), false},
		{"ForAllValues:NumericLessThan", "aws:TagKeys", "5", v("1", "4"), true},
		{"ForAllValues:NumericLessThan", "aws:TagKeys", "5", v("1", "5"), false},
		{"ForAllValues:NotIpAddress", "aws:SourceIp", "192.0.2.0/24", v("10.0.0.1", "10.0.0.2"), true},

		// Key names are case-insensitive.
		{"StringEquals", "S3:Object-Lock-Legal-Hold", "ON", v("ON"), true},
	}
	for _, tt := range tests {
		name := fmt.Sprintf("%s/%s=%v/req=%q", tt.op, tt.key, tt.values, tt.req)
		t.Run(name, func(t *testing.T) {
			doc := docJSON(t, map[string]any{
				"Version": Version2012,
				"Statement": map[string]any{
					"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
					"Condition": map[string]any{tt.op: map[string]any{tt.key: tt.values}},
				},
			})
			p := mustParse(t, doc, ParseOptions{Kind: KindIdentity})
			req := Request{Action: "s3:GetObject", Resource: ObjectARN("b", "k")}
			if tt.req != nil {
				// Store under the canonical lower-case spelling to exercise
				// case-insensitive lookup when the policy spells it otherwise.
				req.Context = map[string][]string{tt.key: tt.req}
				if tt.key == "S3:Object-Lock-Legal-Hold" {
					req.Context = ctx(KeyObjectLockLegalHold, tt.req)
				}
			}
			got := Evaluate([]*Policy{p}, nil, req).Allowed()
			require.Equal(t, tt.want, got, "condition %s %s %v with %q: got %v, want %v",
				tt.op, tt.key, tt.values, tt.req, got, tt.want)
		})
	}
}

// TestConditionBlockLogic checks that keys within an operator, and
// operators within a block, are ANDed.
func TestConditionBlockLogic(t *testing.T) {
	doc := `{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:ListBucket",
		"Resource": "arn:aws:s3:::b", "Condition": {
			"StringEquals": {"s3:prefix": "logs/", "s3:delimiter": "/"},
			"NumericLessThanEquals": {"s3:max-keys": "100"}}}}`
	p := mustParse(t, doc, ParseOptions{})
	tests := []struct {
		name string
		ctx  map[string][]string
		want bool
	}{
		{"all hold", ctx(KeyPrefix, "logs/", KeyDelimiter, "/", KeyMaxKeys, "100"), true},
		{"second key fails", ctx(KeyPrefix, "logs/", KeyDelimiter, "-", KeyMaxKeys, "100"), false},
		{"second key absent", ctx(KeyPrefix, "logs/", KeyMaxKeys, "100"), false},
		{"second operator fails", ctx(KeyPrefix, "logs/", KeyDelimiter, "/", KeyMaxKeys, "1000"), false},
		{"second operator absent", ctx(KeyPrefix, "logs/", KeyDelimiter, "/"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Evaluate([]*Policy{p}, nil, Request{Action: "s3:ListBucket", Resource: BucketARN("b"), Context: tt.ctx}).Allowed()
			require.Equal(t, tt.want, got)
		})
	}
}
