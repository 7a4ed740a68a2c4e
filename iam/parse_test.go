package iam

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseShapes(t *testing.T) {
	p := mustParse(t, `{
		"Version": "2012-10-17", "Id": "pid",
		"Statement": {
			"Sid": "One", "Effect": "Deny",
			"Principal": {"AWS": ["000000000000", "arn:aws:iam::000000000000:user/bob"], "Service": "s3.amazonaws.com"},
			"NotAction": "s3:Get*",
			"NotResource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
			"Condition": {
				"NumericLessThan": {"s3:max-keys": 10},
				"Bool": {"aws:SecureTransport": [false, "true"]},
				"ForAnyValue:StringLikeIfExists": {"s3:prefix": ["a*", "b"]}
			}
		}
	}`, ParseOptions{Kind: KindBucket})
	require.Equal(t, Version2012, p.Version)
	require.Equal(t, "pid", p.ID)
	require.Len(t, p.Statements, 1)
	s := p.Statements[0]
	require.Equal(t, "One", s.Sid)
	require.Equal(t, EffectDeny, s.Effect)
	require.Equal(t, "Deny", s.Effect.String())
	require.Nil(t, s.NotPrincipal)
	require.Equal(t, []string{"000000000000", "arn:aws:iam::000000000000:user/bob"}, s.Principal.AWS)
	require.Equal(t, []string{"s3.amazonaws.com"}, s.Principal.Service)
	require.Nil(t, s.Action)
	require.Equal(t, []string{"s3:Get*"}, s.NotAction)
	require.Nil(t, s.Resource)
	require.Equal(t, []string{"arn:aws:s3:::b", "arn:aws:s3:::b/*"}, s.NotResource)
	require.Len(t, s.Conditions, 3)
	require.Equal(t, Condition{Operator: "NumericLessThan", Key: "s3:max-keys", Values: []string{"10"}},
		Condition{Operator: s.Conditions[0].Operator, Key: s.Conditions[0].Key, Values: s.Conditions[0].Values})
	require.Equal(t, []string{"false", "true"}, s.Conditions[1].Values)
	require.Equal(t, "ForAnyValue:StringLikeIfExists", s.Conditions[2].Operator)

	p = mustParse(t, `{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": ["s3:GetObject"], "Resource": "*"},
		{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*", "Condition": {}}]}`, ParseOptions{Kind: KindBucket})
	require.Equal(t, "", p.Version)
	require.Len(t, p.Statements, 2)
	require.True(t, p.Statements[0].Principal.Any)
	require.Empty(t, p.Statements[1].Conditions)
}

// TestParseTestdata parses every testdata policy as the kind it is meant
// for and as KindAny.
func TestParseTestdata(t *testing.T) {
	for name, kind := range map[string]Kind{
		"uploader.json": KindIdentity, "home-dirs.json": KindIdentity, "not-action.json": KindIdentity,
		"retention-floor.json": KindBucket, "secure-bucket.json": KindBucket,
	} {
		loadPolicy(t, name, kind)
		loadPolicy(t, name, KindAny)
	}
}

func TestParseMalformed(t *testing.T) {
	// stmt wraps statement members into a policy document.
	stmt := func(members string) string {
		return `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}, {` + members + `}]}`
	}
	cond := func(c string) string {
		return stmt(`"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": ` + c)
	}
	tests := []struct {
		name    string
		doc     string
		kind    Kind
		wantMsg string
	}{
		// JSON.
		{"empty", ``, KindAny, "policy document is empty"},
		{"blank", " \n\t", KindAny, "policy document is empty"},
		{"not JSON", `Version: 1`, KindAny, "invalid JSON at byte 0: invalid character 'V' looking for beginning of value"},
		{"truncated", `{"Statement": [`, KindAny, "invalid JSON: unexpected end of document"},
		{"trailing data", `{"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}} {}`, KindAny,
			"invalid JSON: unexpected data after the policy at byte 68"},
		{"array document", `[]`, KindAny, "policy document must be a JSON object, not an array"},
		{"string document", `"x"`, KindAny, "policy document must be a JSON object, not a string"},
		{"duplicate member", stmt(`"Effect": "Allow", "Effect": "Deny", "Action": "*", "Resource": "*"`), KindAny,
			`Statement[1]: duplicate member "Effect"`},
		{"duplicate top-level member", `{"Statement": [], "Statement": []}`, KindAny, `duplicate member "Statement"`},
		{"too deep", strings.Repeat("[", 40) + strings.Repeat("]", 40), KindAny, "invalid JSON: nested deeper than 16 levels"},

		// Top level.
		{"unknown top-level field", `{"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}, "Foo": 1}`, KindAny, `unknown field "Foo"`},
		{"lower-case field", `{"statement": []}`, KindAny, `unknown field "statement"`},
		{"bad version", `{"Version": "2012-10-18", "Statement": []}`, KindAny, `Version must be "2012-10-17" or "2008-10-17", got "2012-10-18"`},
		{"numeric version", `{"Version": 2012, "Statement": []}`, KindAny, "Version must be a string, not a number"},
		{"numeric Id", `{"Id": 1, "Statement": []}`, KindAny, "Id must be a string, not a number"},
		{"no statement", `{"Version": "2012-10-17"}`, KindAny, "Statement is missing"},
		{"empty statement list", `{"Statement": []}`, KindAny, "Statement must not be empty"},
		{"string statement", `{"Statement": "Allow"}`, KindAny, "Statement must be an object or an array of objects, not a string"},
		{"statement not an object", `{"Statement": [1]}`, KindAny, "Statement[0] must be an object, not a number"},

		// Statement members.
		{"unknown statement field", stmt(`"Effect": "Allow", "Action": "*", "Resource": "*", "Actions": "*"`), KindAny, `Statement[1]: unknown field "Actions"`},
		{"no effect", stmt(`"Action": "*", "Resource": "*"`), KindAny, "Statement[1].Effect is missing"},
		{"bad effect", stmt(`"Effect": "allow", "Action": "*", "Resource": "*"`), KindAny, `Statement[1].Effect must be Allow or Deny, got "allow"`},
		{"boolean effect", stmt(`"Effect": true, "Action": "*", "Resource": "*"`), KindAny, "Statement[1].Effect must be Allow or Deny, not a boolean"},
		{"numeric sid", stmt(`"Sid": 1, "Effect": "Allow", "Action": "*", "Resource": "*"`), KindAny, "Statement[1].Sid must be a string, not a number"},
		{"duplicate sid", `{"Statement": [{"Sid": "A", "Effect": "Allow", "Action": "*", "Resource": "*"}, {"Sid": "A", "Effect": "Deny", "Action": "*", "Resource": "*"}]}`, KindAny,
			`Statement[1].Sid "A" is already used by Statement[0]`},
		{"action and notaction", stmt(`"Effect": "Allow", "Action": "*", "NotAction": "s3:Get*", "Resource": "*"`), KindAny, "Statement[1]: Action and NotAction both set"},
		{"no action", stmt(`"Effect": "Allow", "Resource": "*"`), KindAny, "Statement[1]: Action or NotAction is required"},
		{"empty action list", stmt(`"Effect": "Allow", "Action": [], "Resource": "*"`), KindAny, "Statement[1].Action must not be empty"},
		{"action object", stmt(`"Effect": "Allow", "Action": {}, "Resource": "*"`), KindAny, "Statement[1].Action must be a string or an array of strings, not an object"},
		{"action list with number", stmt(`"Effect": "Allow", "Action": ["s3:GetObject", 1], "Resource": "*"`), KindAny, "Statement[1].Action[1] must be a string, not a number"},
		{"action without service", stmt(`"Effect": "Allow", "Action": "GetObject", "Resource": "*"`), KindAny, `Statement[1].Action "GetObject" is not "*" or service:action`},
		{"action with empty name", stmt(`"Effect": "Allow", "NotAction": ["s3:"], "Resource": "*"`), KindAny, `Statement[1].NotAction[0] "s3:" is not "*" or service:action`},
		{"action with wildcard service", stmt(`"Effect": "Allow", "Action": "s*:GetObject", "Resource": "*"`), KindAny, `Statement[1].Action "s*:GetObject" is not "*" or service:action`},
		{"resource and notresource", stmt(`"Effect": "Allow", "Action": "*", "Resource": "*", "NotResource": "*"`), KindAny, "Statement[1]: Resource and NotResource both set"},
		{"no resource", stmt(`"Effect": "Allow", "Action": "*"`), KindAny, "Statement[1]: Resource or NotResource is required"},
		{"resource not an ARN", stmt(`"Effect": "Allow", "Action": "*", "Resource": "bucket/*"`), KindAny, `Statement[1].Resource "bucket/*" is not "*" or an ARN`},
		{"short ARN", stmt(`"Effect": "Allow", "Action": "*", "Resource": ["*", "arn:aws:s3::bucket"]`), KindAny, `Statement[1].Resource[1] "arn:aws:s3::bucket" is not "*" or an ARN`},
		{"unterminated variable", stmt(`"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::b/${aws:username"`), KindAny,
			`Statement[1].Resource: unterminated policy variable in "arn:aws:s3:::b/${aws:username"`},
		{"bad variable", stmt(`"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::b/${a b}"`), KindAny,
			`Statement[1].Resource: invalid policy variable ${a b}`},
		{"unquoted default", stmt(`"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::b/${aws:username, guest}"`), KindAny,
			`Statement[1].Resource: policy variable ${aws:username, guest}: default value must be in single quotes`},

		// Principal.
		{"principal and notprincipal", stmt(`"Effect": "Allow", "Principal": "*", "NotPrincipal": "*", "Action": "*", "Resource": "*"`), KindAny,
			"Statement[1]: Principal and NotPrincipal both set"},
		{"principal in identity policy", stmt(`"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"`), KindIdentity,
			"Statement[1]: Principal is not allowed in an identity policy"},
		{"notprincipal in identity policy", stmt(`"Effect": "Allow", "NotPrincipal": "*", "Action": "*", "Resource": "*"`), KindIdentity,
			"Statement[1]: NotPrincipal is not allowed in an identity policy"},
		{"no principal in bucket policy", `{"Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}}`, KindBucket,
			"Statement[0]: Principal or NotPrincipal is required in a bucket policy"},
		{"principal string", stmt(`"Effect": "Allow", "Principal": "arn:aws:iam::000000000000:root", "Action": "*", "Resource": "*"`), KindAny,
			`Statement[1].Principal must be "*" or an object such as {"AWS": "..."}, got "arn:aws:iam::000000000000:root"`},
		{"principal list", stmt(`"Effect": "Allow", "Principal": ["*"], "Action": "*", "Resource": "*"`), KindAny,
			`Statement[1].Principal must be "*" or an object such as {"AWS": "..."}, not an array`},
		{"empty principal", stmt(`"Effect": "Allow", "Principal": {}, "Action": "*", "Resource": "*"`), KindAny, "Statement[1].Principal must not be empty"},
		{"unknown principal type", stmt(`"Effect": "Allow", "Principal": {"User": "bob"}, "Action": "*", "Resource": "*"`), KindAny,
			`Statement[1].Principal: unknown principal type "User"`},
		{"principal wildcard", stmt(`"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::000000000000:user/*"}, "Action": "*", "Resource": "*"`), KindAny,
			`Statement[1].Principal.AWS "arn:aws:iam::000000000000:user/*" is not "*", an account id or an IAM ARN (wildcards are not allowed)`},
		{"principal user name", stmt(`"Effect": "Allow", "NotPrincipal": {"AWS": ["000000000000", "bob"]}, "Action": "*", "Resource": "*"`), KindAny,
			`Statement[1].NotPrincipal.AWS[1] "bob" is not "*", an account id or an IAM ARN (wildcards are not allowed)`},
		{"empty principal value", stmt(`"Effect": "Allow", "Principal": {"Service": [""]}, "Action": "*", "Resource": "*"`), KindAny,
			"Statement[1].Principal.Service[0] must not be empty"},
		{"principal number", stmt(`"Effect": "Allow", "Principal": {"AWS": 123456789012}, "Action": "*", "Resource": "*"`), KindAny,
			"Statement[1].Principal.AWS must be a string or an array of strings, not a number"},

		// Conditions.
		{"condition list", cond(`[]`), KindAny, "Statement[1].Condition must be an object, not an array"},
		{"unknown operator", cond(`{"StringEqualz": {"s3:prefix": "a"}}`), KindAny, "Statement[1].Condition: unknown condition operator StringEqualz"},
		{"operator case", cond(`{"stringEquals": {"s3:prefix": "a"}}`), KindAny, "Statement[1].Condition: unknown condition operator stringEquals"},
		{"bad set prefix", cond(`{"ForSomeValues:StringEquals": {"s3:prefix": "a"}}`), KindAny, "Statement[1].Condition: unknown condition operator ForSomeValues:StringEquals"},
		{"bare set prefix", cond(`{"ForAnyValue:": {"s3:prefix": "a"}}`), KindAny, "Statement[1].Condition: unknown condition operator ForAnyValue:"},
		{"IfExists twice", cond(`{"StringEqualsIfExistsIfExists": {"s3:prefix": "a"}}`), KindAny, "Statement[1].Condition: unknown condition operator StringEqualsIfExistsIfExists"},
		{"NullIfExists", cond(`{"NullIfExists": {"s3:prefix": "true"}}`), KindAny, "Statement[1].Condition: condition operator NullIfExists is not valid: Null has no IfExists form"},
		{"set Null", cond(`{"ForAllValues:Null": {"s3:prefix": "true"}}`), KindAny, "Statement[1].Condition: condition operator ForAllValues:Null is not valid: Null takes no set operator"},
		{"operator not an object", cond(`{"StringEquals": "s3:prefix"}`), KindAny, "Statement[1].Condition.StringEquals must be an object of condition keys, not a string"},
		{"empty operator", cond(`{"StringEquals": {}}`), KindAny, "Statement[1].Condition.StringEquals must not be empty"},
		{"empty key", cond(`{"StringEquals": {"": "a"}}`), KindAny, "Statement[1].Condition.StringEquals: condition key must not be empty"},
		{"empty value list", cond(`{"StringEquals": {"s3:prefix": []}}`), KindAny, "Statement[1].Condition.StringEquals.s3:prefix must not be empty"},
		{"null value", cond(`{"StringEquals": {"s3:prefix": null}}`), KindAny,
			"Statement[1].Condition.StringEquals.s3:prefix must be a string, number, boolean or an array of them, not null"},
		{"object in value list", cond(`{"StringEquals": {"s3:prefix": ["a", {}]}}`), KindAny,
			"Statement[1].Condition.StringEquals.s3:prefix[1] must be a string, number or boolean, not an object"},
		{"duplicate operator", cond(`{"StringEquals": {"s3:prefix": "a"}, "StringEquals": {"s3:delimiter": "/"}}`), KindAny,
			`Statement[1].Condition: duplicate member "StringEquals"`},
		{"duplicate key", cond(`{"StringEquals": {"s3:prefix": "a", "s3:prefix": "b"}}`), KindAny,
			`Statement[1].Condition.StringEquals: duplicate member "s3:prefix"`},
		{"numeric value", cond(`{"NumericLessThan": {"s3:max-keys": "ten"}}`), KindAny, `Statement[1].Condition.NumericLessThan.s3:max-keys: value "ten" is not a number`},
		{"numeric NaN", cond(`{"NumericLessThan": {"s3:max-keys": "NaN"}}`), KindAny, `Statement[1].Condition.NumericLessThan.s3:max-keys: value "NaN" is not a number`},
		{"numeric hex", cond(`{"NumericEquals": {"s3:max-keys": ["1", "0x10"]}}`), KindAny, `Statement[1].Condition.NumericEquals.s3:max-keys: value "0x10" is not a number`},
		{"date value", cond(`{"DateGreaterThan": {"aws:CurrentTime": "next week"}}`), KindAny,
			`Statement[1].Condition.DateGreaterThan.aws:CurrentTime: value "next week" is not a date (ISO 8601 or epoch seconds)`},
		{"bool value", cond(`{"Bool": {"aws:SecureTransport": "yes"}}`), KindAny, `Statement[1].Condition.Bool.aws:SecureTransport: value "yes" must be true or false`},
		{"null value not bool", cond(`{"Null": {"s3:versionid": 1}}`), KindAny, `Statement[1].Condition.Null.s3:versionid: value "1" must be true or false`},
		{"bad CIDR", cond(`{"IpAddress": {"aws:SourceIp": "192.0.2.0/33"}}`), KindAny, `Statement[1].Condition.IpAddress.aws:SourceIp: value "192.0.2.0/33" is not an IP address or CIDR block`},
		{"host name", cond(`{"NotIpAddress": {"aws:SourceIp": "example.com"}}`), KindAny, `Statement[1].Condition.NotIpAddress.aws:SourceIp: value "example.com" is not an IP address or CIDR block`},
		{"bad ARN", cond(`{"ArnLike": {"aws:SourceArn": "arn:aws:s3"}}`), KindAny, `Statement[1].Condition.ArnLike.aws:SourceArn: value "arn:aws:s3" is not an ARN`},
		{"bad base64", cond(`{"BinaryEquals": {"s3:x-amz-content-sha256": "!!"}}`), KindAny, `Statement[1].Condition.BinaryEquals.s3:x-amz-content-sha256: value "!!" is not base64`},
		{"bad variable in condition", cond(`{"StringLike": {"s3:prefix": "${}"}}`), KindAny, `Statement[1].Condition.StringLike.s3:prefix: invalid policy variable ${}`},

		// Bucket-policy strictness.
		{"unknown s3 action", `{"Statement": {"Effect": "Deny", "Principal": "*", "Action": ["s3:GetObject", "s3:PutObjectLegalHod"], "Resource": "*"}}`, KindBucket,
			"Statement[0].Action[1]: unknown action s3:PutObjectLegalHod"},
		{"s3 action pattern matching nothing", `{"Statement": {"Effect": "Deny", "Principal": "*", "Action": "s3:Frob*", "Resource": "*"}}`, KindBucket,
			"Statement[0].Action: unknown action s3:Frob*"},
		{"unknown s3 key", `{"Statement": {"Effect": "Deny", "Principal": "*", "Action": "s3:PutObjectLegalHold", "Resource": "*",
			"Condition": {"StringNotEquals": {"s3:object-lock-legalhold": "ON"}}}}`, KindBucket,
			"Statement[0].Condition.StringNotEquals: unknown condition key s3:object-lock-legalhold"},
		{"unknown aws key", `{"Statement": {"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*",
			"Condition": {"Bool": {"aws:SecureTransports": "false"}}}}`, KindBucket,
			"Statement[0].Condition.Bool: unknown condition key aws:SecureTransports"},
		{"key without namespace", `{"Statement": {"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*",
			"Condition": {"Bool": {"SecureTransport": "false"}}}}`, KindBucket,
			"Statement[0].Condition.Bool: unknown condition key SecureTransport"},
		{"unknown variable", `{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "arn:aws:s3:::b/${aws:usrname}/*"}}`, KindBucket,
			"Statement[0].Resource: unknown policy variable ${aws:usrname}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParseWithOptions([]byte(tt.doc), ParseOptions{Kind: tt.kind})
			require.Nil(t, p)
			require.ErrorIs(t, err, ErrMalformedPolicy)
			require.NotErrorIs(t, err, ErrPolicyTooLarge)
			var me *MalformedError
			require.True(t, errors.As(err, &me))
			require.Equal(t, tt.wantMsg, me.Msg)
			require.Equal(t, "iam: malformed policy: "+tt.wantMsg, err.Error())
		})
	}
}

// TestParseKinds: what identity policies accept that bucket policies
// refuse (as IAM and S3 do).
func TestParseKinds(t *testing.T) {
	docs := []string{
		`{"Statement": {"Effect": "Allow", "Principal": "*", "Action": "s3:ListObjectsV2", "Resource": "*"}}`,
		`{"Statement": {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*", "Condition": {"StringEquals": {"s3:custom": "x"}}}}`,
		`{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/${s3:custom}"}}`,
	}
	for _, doc := range docs {
		_, err := ParseWithOptions([]byte(doc), ParseOptions{Kind: KindAny})
		require.NoError(t, err, doc)
		_, err = ParseBucketPolicy([]byte(doc))
		require.ErrorIs(t, err, ErrMalformedPolicy, doc)
		identity := strings.Replace(doc, `"Principal": "*", `, "", 1)
		_, err = ParseIdentityPolicy([]byte(identity))
		require.NoError(t, err, identity)
	}
	// Other services' names are never checked.
	_, err := ParseBucketPolicy([]byte(`{"Statement": {"Effect": "Deny", "Principal": "*", "Action": ["iam:Frob", "wormstore:Admin*"], "Resource": "*", "Condition": {"StringEquals": {"ec2:Whatever": "x"}}}}`))
	require.NoError(t, err)
	// Wildcards that match a real action are fine.
	_, err = ParseBucketPolicy([]byte(`{"Statement": {"Effect": "Deny", "Principal": "*", "Action": ["s3:*", "S3:get*", "s3:PutObject?egalHold", "s3:*Retention"], "Resource": "*",
		"Condition": {"StringEquals": {"S3:Object-Lock-Mode": "x", "s3:ExistingObjectTag/team": "a", "aws:PrincipalTag/dept": "b"}}}}`))
	require.NoError(t, err)
}

func TestParseSizeCap(t *testing.T) {
	// pad grows a valid policy to n bytes with whitespace.
	base := `{"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}`
	pad := func(n int) []byte { return []byte(base + strings.Repeat(" ", n-len(base))) }
	tests := []struct {
		name    string
		doc     []byte
		opts    ParseOptions
		wantErr bool
	}{
		{"any at cap", pad(MaxBucketPolicySize), ParseOptions{}, false},
		{"any over cap", pad(MaxBucketPolicySize + 1), ParseOptions{}, true},
		{"identity at cap", pad(MaxIdentityPolicySize), ParseOptions{Kind: KindIdentity}, false},
		{"identity over cap", pad(MaxIdentityPolicySize + 1), ParseOptions{Kind: KindIdentity}, true},
		{"custom cap", pad(200), ParseOptions{MaxSize: 199}, true},
		{"custom cap above default", pad(MaxBucketPolicySize + 1), ParseOptions{MaxSize: 1 << 20}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseWithOptions(tt.doc, tt.opts)
			if !tt.wantErr {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, ErrPolicyTooLarge)
			require.ErrorIs(t, err, ErrMalformedPolicy)
			require.Contains(t, err.Error(), "policy document is ")
		})
	}
	_, err := ParseIdentityPolicy(pad(MaxIdentityPolicySize + 1))
	require.EqualError(t, err, "iam: malformed policy: policy document is 6145 bytes, more than the limit of 6144")
}
