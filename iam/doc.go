// Package iam parses AWS IAM policy documents and evaluates requests
// against them: the identity policies attached to wormstore users and the
// bucket policies set with PutBucketPolicy. It is pure Go, knows nothing of
// HTTP or the engine, reads no clock and keeps no global state; a parsed
// *Policy is immutable and safe for concurrent use.
//
// # Grammar
//
// Parse, ParseBucketPolicy, ParseIdentityPolicy and ParseWithOptions accept
// the AWS JSON grammar:
//
//	{
//	  "Version": "2012-10-17",            // or "2008-10-17"; optional
//	  "Id": "…",                          // optional
//	  "Statement": [ {                    // one object, or a non-empty array
//	    "Sid": "…",                       // optional; unique within the policy
//	    "Effect": "Allow" | "Deny",
//	    "Principal" | "NotPrincipal":     // bucket policies only
//	      "*" | {"AWS": "*" | "<account id>" | "<IAM ARN>" | […],
//	             "Service" | "Federated" | "CanonicalUser": …},
//	    "Action" | "NotAction": "s3:Get*" | […],
//	    "Resource" | "NotResource": "arn:aws:s3:::bucket/key*" | "*" | […],
//	    "Condition": {"<operator>": {"<key>": "<value>" | […]}}
//	  } ]
//	}
//
// Member names and Effect values are case-sensitive. Unknown members,
// duplicate members in one object, both an element and its Not… form, an
// empty list, a missing Effect, Action or Resource, a wildcard inside a
// principal, an unknown condition operator, and a condition value of the
// wrong type (a Numeric… value that is not a number, a Date… value that is
// not ISO 8601 or epoch seconds, a CIDR that does not parse, …) are all
// refused with a *MalformedError naming the place, e.g.
// "Statement[1].Effect must be Allow or Deny, got \"allow\"" or
// "Statement[0].Condition: unknown condition operator StringEqualz". The
// S3 layer answers MalformedPolicy with that message. Statements are
// numbered from zero, also when Statement is a single object.
//
// The size cap (ParseOptions.MaxSize) is checked before anything is
// decoded: 20 KiB for bucket policies and 6 KiB for identity policies by
// default, counted in bytes with whitespace.
//
// Bucket policies (KindBucket) are checked like S3 checks them: each
// statement needs Principal or NotPrincipal; an s3: action must name, or
// match with wildcards, a real S3 action ("s3:PutObjectLegalHod" is
// refused), and a condition key or policy variable in the aws: or s3:
// namespace must be one AWS defines. Identity policies (KindIdentity)
// refuse Principal and, like IAM, accept unknown names, which simply never
// match.
//
// # Matching
//
// Actions match case-insensitively; "*" matches any run of characters and
// "?" exactly one. Resources match case-sensitively with the same
// wildcards over the whole ARN ("arn:aws:s3:::archive/*" matches every key
// of bucket archive, "arn:aws:s3:::archive" only the bucket itself).
// NotAction and NotResource apply to every action or resource that matches
// none of the patterns.
//
// In a Version 2012-10-17 document, Resource and the values of the String…
// and Arn… condition operators may contain policy variables: ${aws:username}
// is replaced by the request's value of that condition key, ${key, 'x'}
// falls back to x when the key is absent, and ${*}, ${?} and ${$} stand for
// the literal characters. Substituted text is literal, never a wildcard. A
// variable whose key is absent (or has several values) and has no default
// makes that pattern match nothing.
//
// A principal matches when it is "*" (everyone, including anonymous
// requests), the caller's ARN, or, in a Deny statement or NotPrincipal, the
// root ARN or bare id of the caller's account (which then stands for every
// principal of that account). In an Allow statement an account names only
// its root user: as in AWS, granting to an account delegates to that
// account's own identity policies.
//
// # Conditions
//
// All operators of a Condition block must hold, and within an operator all
// keys; the values listed for one key are alternatives. Supported
// operators: StringEquals, StringNotEquals, StringEqualsIgnoreCase,
// StringNotEqualsIgnoreCase, StringLike, StringNotLike; NumericEquals,
// NumericNotEquals, NumericLessThan, NumericLessThanEquals,
// NumericGreaterThan, NumericGreaterThanEquals; DateEquals, DateNotEquals,
// DateLessThan, DateLessThanEquals, DateGreaterThan,
// DateGreaterThanEquals; Bool; BinaryEquals; IpAddress, NotIpAddress;
// ArnEquals, ArnLike, ArnNotEquals, ArnNotLike; Null. Every operator but
// Null has an …IfExists form and takes a ForAnyValue: or ForAllValues:
// prefix. Operator names are case-sensitive; key names are not.
//
// A request value "matches" when it equals (is like, is less than, …) at
// least one policy value. With the key present in the request:
//
//	operator            holds when
//	Op                  some request value matches
//	NotOp               no request value matches
//	ForAnyValue:Op      some request value matches
//	ForAnyValue:NotOp   some request value matches no policy value
//	ForAllValues:Op     every request value matches
//	ForAllValues:NotOp  no request value matches
//
// With the key absent (not in Context, or with no values):
//
//	Op                                 false
//	NotOp                              true
//	OpIfExists, NotOpIfExists          true
//	ForAnyValue:…                      false (true with IfExists)
//	ForAllValues:…                     true
//	Null {"key": "true"} / "false"     true / false (reversed when present)
//
// So {"StringNotEquals": {"s3:object-lock-legal-hold": "ON"}} in a Deny
// statement denies every request whose legal-hold key is not ON, including
// one that lacks the key. Request values are compared by type: a value
// that does not parse as a number, date, boolean or IP address matches
// nothing. Numbers are decimal, compared as float64. Dates are RFC 3339 or
// other ISO 8601 forms (a missing zone means UTC), or integer epoch
// seconds. Bool compares "true"/"false" case-insensitively. IpAddress takes
// CIDR blocks or single addresses, IPv4-mapped IPv6 addresses count as
// IPv4. The Arn operators compare the six colon-separated ARN segments
// separately, with wildcards, case-sensitively; ArnEquals and ArnLike are
// the same operator, as in AWS.
//
// # Condition keys
//
// The S3 layer fills Request.Context with these keys (spelled as the Key…
// constants); a key that does not apply to a request is left out, which
// matters for the negated operators above.
//
//	s3:object-lock-legal-hold   PutObjectLegalHold: the requested status,
//	                            "ON" or "OFF". PutObject, CopyObject and
//	                            CreateMultipartUpload with the
//	                            x-amz-object-lock-legal-hold header: its value.
//	s3:object-lock-mode         PutObjectRetention and uploads with lock
//	                            headers: the requested mode, "GOVERNANCE" or
//	                            "COMPLIANCE" (absent when the request removes
//	                            the retention).
//	s3:object-lock-retain-until-date
//	                            The same requests: the requested date, RFC 3339
//	                            in UTC ("2030-01-01T00:00:00Z").
//	s3:object-lock-remaining-retention-days
//	                            The same requests: whole days from the request
//	                            time to that date, rounded down, as a decimal
//	                            integer (RemainingRetentionDays).
//	s3:prefix, s3:delimiter, s3:max-keys
//	                            ListObjects(V2), ListObjectVersions,
//	                            ListMultipartUploads: the query parameters as
//	                            sent (decoded), only when present.
//	s3:versionid                Requests with a versionId query parameter: its
//	                            value.
//	aws:SecureTransport         Every request: "true" over TLS, else "false".
//	aws:SourceIp                Every request: the client's IP address (no
//	                            port), as the server sees it.
//	aws:CurrentTime             Every request: the request time, RFC 3339 UTC.
//	aws:EpochTime               Every request: the request time in epoch seconds.
//	aws:username                Requests by an IAM user: the user name (from
//	                            Request.Username).
//	aws:userid                  Requests by an IAM user: its unique id; by the
//	                            root user: the account id.
//	aws:PrincipalArn            Authenticated requests: the caller's ARN (from
//	                            Request.Principal).
//	aws:PrincipalAccount        Authenticated requests: the caller's account
//	                            (derived from Request.Principal).
//
// # Evaluation
//
// Evaluate applies the AWS logic for a principal and a resource in the same
// account, which is the only case on a wormstore server: an explicit Deny
// in any identity or bucket policy wins; otherwise an Allow in an identity
// policy, or in a bucket policy naming the caller, allows; otherwise the
// request is implicitly denied. The Decision names the deciding statement.
// Root's special standing (allowed everything a policy could allow, still
// bound by COMPLIANCE retention) is the S3 layer's business, as are Object
// Lock checks themselves.
//
// # S3 operations
//
// ActionFor maps an S3 operation name to the IAM action to evaluate, with
// the version-specific actions (s3:GetObjectVersion, s3:DeleteObjectVersion,
// …) when the request names a version; ResourceFor, BucketARN and ObjectARN
// build the Request.Resource. The constants ActionBypassGovernanceRetention,
// ActionPutObjectRetention and ActionPutObjectLegalHold name the extra
// checks some requests need.
//
// Example: the policy that lets a backup writer add and lock objects but
// never release a legal hold (this is testdata/uploader.json):
//
//	{"Version": "2012-10-17", "Statement": [
//	  {"Sid": "Archive", "Effect": "Allow", "Action": "s3:*",
//	   "Resource": ["arn:aws:s3:::archive", "arn:aws:s3:::archive/*"]},
//	  {"Sid": "ListBuckets", "Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"},
//	  {"Sid": "HoldOnlyOn", "Effect": "Deny", "Action": "s3:PutObjectLegalHold", "Resource": "*",
//	   "Condition": {"StringNotEquals": {"s3:object-lock-legal-hold": "ON"}}}]}
package iam
