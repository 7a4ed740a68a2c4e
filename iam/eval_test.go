package iam

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestScenarioUploader is the scenario: the writer may add objects
// and put legal holds ON, but never turn one OFF.
func TestScenarioUploader(t *testing.T) {
	p := loadPolicy(t, "uploader.json", KindIdentity)
	obj := ObjectARN("archive", "backups/2026-04-02.tar")
	tests := []struct {
		name    string
		action  string
		res     string
		ctx     map[string][]string
		want    Outcome
		wantSid string
	}{
		{"upload", ActionFor("PutObject", false), obj, nil, Allow, "Archive"},
		{"multipart upload", ActionFor("UploadPart", false), obj, nil, Allow, "Archive"},
		{"legal hold ON", ActionFor("PutObjectLegalHold", false), obj, ctx(KeyObjectLockLegalHold, "ON"), Allow, "Archive"},
		{"legal hold OFF", ActionFor("PutObjectLegalHold", false), obj, ctx(KeyObjectLockLegalHold, "OFF"), ExplicitDeny, "HoldOnlyOn"},
		{"legal hold on (wrong case)", ActionFor("PutObjectLegalHold", false), obj, ctx(KeyObjectLockLegalHold, "on"), ExplicitDeny, "HoldOnlyOn"},
		{"legal hold without status", ActionFor("PutObjectLegalHold", false), obj, nil, ExplicitDeny, "HoldOnlyOn"},
		{"legal hold OFF elsewhere", ActionFor("PutObjectLegalHold", false), ObjectARN("other", "k"), ctx(KeyObjectLockLegalHold, "OFF"), ExplicitDeny, "HoldOnlyOn"},
		{"legal hold ON elsewhere", ActionFor("PutObjectLegalHold", false), ObjectARN("other", "k"), ctx(KeyObjectLockLegalHold, "ON"), ImplicitDeny, ""},
		// The policy allows deleting a version; the legal hold (engine) is
		// what refuses it in step 3.
		{"delete version", ActionFor("DeleteObject", true), obj, ctx(KeyVersionID, "v1"), Allow, "Archive"},
		{"delete marker", ActionFor("DeleteObject", false), obj, nil, Allow, "Archive"},
		{"get legal hold", ActionFor("GetObjectLegalHold", false), obj, nil, Allow, "Archive"},
		{"list bucket", ActionFor("ListObjectsV2", false), BucketARN("archive"), ctx(KeyPrefix, "backups/"), Allow, "Archive"},
		{"list buckets", ActionFor("ListBuckets", false), ResourceFor("", ""), nil, Allow, "ListBuckets"},
		{"other bucket", ActionFor("GetObject", false), ObjectARN("other", "k"), nil, ImplicitDeny, ""},
		{"bucket with archive prefix", ActionFor("GetObject", false), ObjectARN("archive2", "k"), nil, ImplicitDeny, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := Request{Action: tt.action, Resource: tt.res, Principal: uploader, Username: "uploader", Context: tt.ctx}
			d := Evaluate([]*Policy{p}, nil, req)
			require.Equal(t, tt.want, d.Outcome, "decision %v", d)
			require.Equal(t, tt.wantSid, d.Sid)
			if tt.want != ImplicitDeny {
				require.Equal(t, "uploader", d.PolicyID)
				require.False(t, d.FromBucketPolicy)
			}
		})
	}
}

// TestRetentionFloor is a bucket policy that only lets retention be set
// in COMPLIANCE mode for at least 30 days.
func TestRetentionFloor(t *testing.T) {
	p := loadPolicy(t, "retention-floor.json", KindBucket)
	now := time.Date(2026, 4, 2, 10, 30, 0, 0, time.UTC)
	retention := func(mode string, until time.Time) map[string][]string {
		return ctx(
			KeyObjectLockMode, mode,
			KeyObjectLockRetainUntilDate, until.Format(time.RFC3339),
			KeyObjectLockRemainingRetentionDays, strconv.FormatInt(RemainingRetentionDays(now, until), 10),
			KeyCurrentTime, now.Format(time.RFC3339),
		)
	}
	obj := ObjectARN("archive", "db.dump")
	tests := []struct {
		name      string
		principal string
		action    string
		ctx       map[string][]string
		want      Outcome
		wantSid   string
	}{
		{"45 days compliance", uploader, "s3:PutObjectRetention", retention("COMPLIANCE", now.AddDate(0, 0, 45)), Allow, "Writer"},
		{"exactly 30 days", uploader, "s3:PutObjectRetention", retention("COMPLIANCE", now.AddDate(0, 0, 30)), Allow, "Writer"},
		{"30 days less a second", uploader, "s3:PutObjectRetention", retention("COMPLIANCE", now.AddDate(0, 0, 30).Add(-time.Second)), ExplicitDeny, "AtLeast30Days"},
		{"29 days", uploader, "s3:PutObjectRetention", retention("COMPLIANCE", now.AddDate(0, 0, 29)), ExplicitDeny, "AtLeast30Days"},
		{"governance", uploader, "s3:PutObjectRetention", retention("GOVERNANCE", now.AddDate(1, 0, 0)), ExplicitDeny, "ComplianceOnly"},
		{"remove retention", uploader, "s3:PutObjectRetention", nil, ExplicitDeny, "ComplianceOnly"},
		{"even root is floored", RootARN(account), "s3:PutObjectRetention", retention("COMPLIANCE", now.AddDate(0, 0, 1)), ExplicitDeny, "AtLeast30Days"},
		{"stranger", "arn:aws:iam::000000000000:user/mallory", "s3:PutObjectRetention", retention("COMPLIANCE", now.AddDate(1, 0, 0)), ImplicitDeny, ""},
		{"upload", uploader, "s3:PutObject", nil, Allow, "Writer"},
		{"get version", uploader, "s3:GetObjectVersion", nil, Allow, "Writer"},
		{"delete", uploader, "s3:DeleteObject", nil, ImplicitDeny, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Evaluate(nil, []*Policy{p}, Request{Action: tt.action, Resource: obj, Principal: tt.principal, Context: tt.ctx})
			require.Equal(t, tt.want, d.Outcome, "decision %v", d)
			require.Equal(t, tt.wantSid, d.Sid)
			if tt.want != ImplicitDeny {
				require.True(t, d.FromBucketPolicy)
				require.Equal(t, "retention-floor", d.PolicyID)
			}
		})
	}
}

func TestRemainingRetentionDays(t *testing.T) {
	now := time.Date(2026, 4, 2, 10, 30, 0, 500, time.UTC)
	tests := []struct {
		until time.Time
		want  int64
	}{
		{now, 0},
		{now.Add(24*time.Hour - time.Nanosecond), 0},
		{now.Add(24 * time.Hour), 1},
		{now.AddDate(0, 0, 30), 30},
		{now.AddDate(0, 0, 30).Add(-time.Nanosecond), 29},
		{now.Add(-time.Nanosecond), -1},
		{now.AddDate(0, 0, -2), -2},
		{time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC), 2912350},
	}
	for _, tt := range tests {
		got := RemainingRetentionDays(now, tt.until)
		require.Equal(t, tt.want, got, "until %v: got %d, want %d", tt.until, got, tt.want)
	}
}

func TestWildcards(t *testing.T) {
	tests := []struct {
		pattern  string // Action or Resource
		resource bool
		value    string
		want     bool
	}{
		{"s3:Get*", false, "s3:GetObject", true},
		{"s3:Get*", false, "S3:GETOBJECTVERSION", true},
		{"s3:get*", false, "s3:GetObject", true},
		{"s3:Get*", false, "s3:PutObject", false},
		{"s3:Get?bject", false, "s3:GetObject", true},
		{"s3:Get?bject", false, "s3:GetObjectVersion", false},
		{"s3:*Object*", false, "s3:DeleteObjectVersion", true},
		{"s3:*", false, "s3:ListAllMyBuckets", true},
		{"*", false, "s3:ListAllMyBuckets", true},
		{"s3:PutObject", false, "s3:PutObjectRetention", false},
		{"s3:PutObject", false, "s3:putobject", true},
		{"iam:*", false, "s3:GetObject", false},
		{"arn:aws:s3:::archive/*", true, ObjectARN("archive", "a/b/c"), true},
		{"arn:aws:s3:::archive/*", true, ObjectARN("archive", ""), true},
		{"arn:aws:s3:::archive/*", true, BucketARN("archive"), false},
		{"arn:aws:s3:::archive/*", true, ObjectARN("archive2", "x"), false},
		{"arn:aws:s3:::archive", true, ObjectARN("archive", "x"), false},
		{"arn:aws:s3:::archive*", true, ObjectARN("archive2", "x"), true},
		{"arn:aws:s3:::arch?ve/*", true, ObjectARN("archive", "x"), true},
		{"arn:aws:s3:::archive/*.tar", true, ObjectARN("archive", "a/b.tar"), true},
		{"arn:aws:s3:::archive/*.tar", true, ObjectARN("archive", "a/b.tar.gz"), false},
		{"arn:aws:s3:::archive/a?c", true, ObjectARN("archive", "aéc"), true},
		{"arn:aws:s3:::Archive/*", true, ObjectARN("archive", "x"), false}, // case-sensitive
		{"arn:aws:s3:::*", true, ResourceFor("", ""), true},
		{"arn:aws:s3:::*", true, ObjectARN("any", "x"), true},
		{"arn:aws:s3:::*/*", true, ResourceFor("", ""), false},
		{"*", true, ResourceFor("", ""), true},
		{"arn:aws:s3:::a*b*c", true, "arn:aws:s3:::aXbYbZc", true},
		{"arn:aws:s3:::a*b*c", true, "arn:aws:s3:::aXbYbZ", false},
	}
	for _, tt := range tests {
		t.Run(tt.pattern+"~"+tt.value, func(t *testing.T) {
			st := map[string]any{"Effect": "Allow", "Action": "*", "Resource": "*"}
			req := Request{Action: "s3:GetObject", Resource: ObjectARN("b", "k")}
			if tt.resource {
				st["Resource"], req.Resource = tt.pattern, tt.value
			} else {
				st["Action"], req.Action = tt.pattern, tt.value
			}
			p := mustParse(t, docJSON(t, map[string]any{"Version": Version2012, "Statement": st}), ParseOptions{})
			got := Evaluate([]*Policy{p}, nil, req).Allowed()
			require.Equal(t, tt.want, got, "got %v, want %v", got, tt.want)
		})
	}
}

func TestNotActionNotResource(t *testing.T) {
	p := loadPolicy(t, "not-action.json", KindIdentity)
	tests := []struct {
		name    string
		action  string
		res     string
		ctx     map[string][]string
		want    Outcome
		wantSid string
	}{
		{"get", "s3:GetObject", ObjectARN("archive", "x"), nil, Allow, "EverythingButDelete"},
		{"list buckets", "s3:ListAllMyBuckets", ResourceFor("", ""), nil, Allow, "EverythingButDelete"},
		{"delete excluded by NotAction", "s3:DeleteObject", ObjectARN("archive", "x"), nil, ImplicitDeny, ""},
		{"delete version excluded", "s3:DeleteObjectVersion", ObjectARN("archive", "x"), nil, ImplicitDeny, ""},
		{"bypass excluded", "s3:BypassGovernanceRetention", ObjectARN("archive", "x"), nil, ImplicitDeny, ""},
		{"secrets excluded by NotResource", "s3:GetObject", ObjectARN("secrets", "x"), nil, ImplicitDeny, ""},
		{"secrets bucket itself is not excluded", "s3:ListBucket", BucketARN("secrets"), nil, Allow, "EverythingButDelete"},
		{"versioned read of logs", "s3:GetObjectVersion", ObjectARN("logs", "x"), ctx(KeyVersionID, "v1"), ExplicitDeny, "NoVersionedReadsOfLogs"},
		{"ForAnyValue with absent key", "s3:GetObjectVersion", ObjectARN("logs", "x"), nil, Allow, "EverythingButDelete"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Evaluate([]*Policy{p}, nil, Request{Action: tt.action, Resource: tt.res, Principal: uploader, Context: tt.ctx})
			require.Equal(t, tt.want, d.Outcome, "decision %v", d)
			require.Equal(t, tt.wantSid, d.Sid)
		})
	}
}

func TestBucketPolicyPrincipals(t *testing.T) {
	p := loadPolicy(t, "secure-bucket.json", KindBucket)
	office := ctx(KeySecureTransport, "true", KeySourceIP, "192.0.2.10", KeyCurrentTime, "2026-04-02T10:30:00Z")
	outside := ctx(KeySecureTransport, "true", KeySourceIP, "198.51.100.7", KeyCurrentTime, "2026-04-02T10:30:00Z")
	outside6 := ctx(KeySecureTransport, "true", KeySourceIP, "2001:db8::7", KeyCurrentTime, "2026-04-02T10:30:00Z")
	plain := ctx(KeySecureTransport, "false", KeySourceIP, "192.0.2.10", KeyCurrentTime, "2026-04-02T10:30:00Z")
	late := ctx(KeySecureTransport, "true", KeySourceIP, "192.0.2.10", KeyCurrentTime, "2030-01-01T00:00:00Z")
	stranger := "arn:aws:iam::111111111111:user/x"
	pub := ObjectARN("archive", "public/readme")
	tests := []struct {
		name      string
		principal string
		action    string
		res       string
		ctx       map[string][]string
		want      Outcome
		wantSid   string
	}{
		{"anonymous public read", "", "s3:GetObject", pub, office, Allow, "PublicRead"},
		{"anonymous public read from outside", "", "s3:GetObject", pub, outside, ExplicitDeny, "OfficeOnly"},
		{"anonymous public read over IPv6 office", "", "s3:GetObject", pub, outside6, Allow, "PublicRead"},
		{"stranger from outside", stranger, "s3:GetObject", pub, outside, ExplicitDeny, "OfficeOnly"},
		{"account user from outside is exempt (NotPrincipal names the account)", uploader, "s3:GetObject", pub, outside, Allow, "PublicRead"},
		{"root from outside is exempt", account, "s3:GetObject", pub, outside, Allow, "PublicRead"},
		{"plain HTTP", uploader, "s3:GetObject", pub, plain, ExplicitDeny, "TLSOnly"},
		{"plain HTTP list", uploader, "s3:ListBucket", BucketARN("archive"), plain, ExplicitDeny, "TLSOnly"},
		{"after the date", "", "s3:GetObject", pub, late, ImplicitDeny, ""},
		{"not public", "", "s3:GetObject", ObjectARN("archive", "private/x"), office, ImplicitDeny, ""},
		{"no write", "", "s3:PutObject", pub, office, ImplicitDeny, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Evaluate(nil, []*Policy{p}, Request{Action: tt.action, Resource: tt.res, Principal: tt.principal, Context: tt.ctx})
			require.Equal(t, tt.want, d.Outcome, "decision %v", d)
			require.Equal(t, tt.wantSid, d.Sid)
		})
	}
}

// TestPrincipalMatching: an account grants only to its root in an Allow,
// but a Deny naming the account covers all its users.
func TestPrincipalMatching(t *testing.T) {
	doc := func(effect string, principal any) *Policy {
		return mustParse(t, docJSON(t, map[string]any{"Statement": map[string]any{
			"Sid": "S", "Effect": effect, "Principal": principal, "Action": "s3:GetObject", "Resource": "*",
		}}), ParseOptions{Kind: KindBucket})
	}
	allowAll := mustParse(t, `{"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}`, ParseOptions{Kind: KindIdentity})
	root := RootARN(account)
	tests := []struct {
		name      string
		policy    *Policy
		identity  bool // the caller also has allowAll as identity policy
		principal string
		want      Outcome
	}{
		{"star allows anonymous", doc("Allow", "*"), false, "", Allow},
		{"AWS star allows anonymous", doc("Allow", map[string]any{"AWS": "*"}), false, "", Allow},
		{"user ARN allows that user", doc("Allow", map[string]any{"AWS": uploader}), false, uploader, Allow},
		{"user ARN does not allow another", doc("Allow", map[string]any{"AWS": uploader}), false, UserARN(account, "bob"), ImplicitDeny},
		{"user ARN does not allow anonymous", doc("Allow", map[string]any{"AWS": uploader}), false, "", ImplicitDeny},
		{"list of ARNs", doc("Allow", map[string]any{"AWS": []string{UserARN(account, "bob"), uploader}}), false, uploader, Allow},
		{"account id allows root", doc("Allow", map[string]any{"AWS": account}), false, root, Allow},
		{"account id allows root given as id", doc("Allow", map[string]any{"AWS": account}), false, account, Allow},
		{"root ARN allows root", doc("Allow", map[string]any{"AWS": root}), false, account, Allow},
		{"account id does not allow its users by itself", doc("Allow", map[string]any{"AWS": account}), false, uploader, ImplicitDeny},
		{"account id delegates to identity policies", doc("Allow", map[string]any{"AWS": account}), true, uploader, Allow},
		{"deny naming the account covers its users", doc("Deny", map[string]any{"AWS": account}), true, uploader, ExplicitDeny},
		{"deny naming the account spares others", doc("Deny", map[string]any{"AWS": account}), false, "arn:aws:iam::111111111111:user/x", ImplicitDeny},
		{"deny naming a user", doc("Deny", map[string]any{"AWS": uploader}), true, uploader, ExplicitDeny},
		{"deny naming a user spares another", doc("Deny", map[string]any{"AWS": uploader}), true, UserARN(account, "bob"), Allow},
		{"service principal never matches", doc("Allow", map[string]any{"Service": "s3.amazonaws.com"}), false, uploader, ImplicitDeny},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var identity []*Policy
			if tt.identity {
				identity = []*Policy{allowAll}
			}
			d := Evaluate(identity, []*Policy{tt.policy}, Request{Action: "s3:GetObject", Resource: ObjectARN("b", "k"), Principal: tt.principal})
			require.Equal(t, tt.want, d.Outcome, "decision %v", d)
		})
	}
}

func TestNotPrincipal(t *testing.T) {
	p := mustParse(t, `{"Statement": [
		{"Sid": "A", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"},
		{"Sid": "D", "Effect": "Deny", "NotPrincipal": {"AWS": ["arn:aws:iam::000000000000:user/uploader"]},
		 "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/secret/*"}]}`, ParseOptions{Kind: KindBucket})
	tests := []struct {
		principal string
		res       string
		want      Outcome
	}{
		{uploader, ObjectARN("b", "secret/x"), Allow},
		{UserARN(account, "bob"), ObjectARN("b", "secret/x"), ExplicitDeny},
		{"", ObjectARN("b", "secret/x"), ExplicitDeny},
		{UserARN(account, "bob"), ObjectARN("b", "public/x"), Allow},
	}
	for _, tt := range tests {
		d := Evaluate(nil, []*Policy{p}, Request{Action: "s3:GetObject", Resource: tt.res, Principal: tt.principal})
		require.Equal(t, tt.want, d.Outcome, "%q on %s: decision %v", tt.principal, tt.res, d)
	}
}

// TestStatementWithoutPrincipal: a bucket-policy statement must name a
// principal to apply; an identity-policy statement need not, but one that
// does must match.
func TestStatementWithoutPrincipal(t *testing.T) {
	noPrincipal := mustParse(t, `{"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}`, ParseOptions{})
	withPrincipal := mustParse(t, `{"Statement": {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::000000000000:user/bob"}, "Action": "*", "Resource": "*"}}`, ParseOptions{})
	req := Request{Action: "s3:GetObject", Resource: ObjectARN("b", "k"), Principal: uploader}
	require.Equal(t, ImplicitDeny, Evaluate(nil, []*Policy{noPrincipal}, req).Outcome)
	require.Equal(t, Allow, Evaluate([]*Policy{noPrincipal}, nil, req).Outcome)
	require.Equal(t, ImplicitDeny, Evaluate([]*Policy{withPrincipal}, nil, req).Outcome)
	require.Equal(t, ImplicitDeny, Evaluate(nil, nil, req).Outcome)
	require.Equal(t, ImplicitDeny, Evaluate([]*Policy{nil}, []*Policy{nil}, req).Outcome)
}

func TestDenyBeatsAllow(t *testing.T) {
	allow := mustParse(t, `{"Id": "allow", "Statement": {"Sid": "All", "Effect": "Allow", "Action": "s3:*", "Resource": "*"}}`, ParseOptions{})
	deny := mustParse(t, `{"Id": "deny", "Statement": [
		{"Sid": "Ok", "Effect": "Allow", "Action": "s3:*", "Resource": "*"},
		{"Sid": "NoDelete", "Effect": "Deny", "Action": "s3:Delete*", "Resource": "*"}]}`, ParseOptions{})
	bucketAllow := mustParse(t, `{"Id": "bucket-allow", "Statement": {"Sid": "BucketAll", "Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"}}`, ParseOptions{Kind: KindBucket})
	bucketDeny := mustParse(t, `{"Id": "bucket-deny", "Statement": {"Sid": "BucketNoDelete", "Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject*", "Resource": "*"}}`, ParseOptions{Kind: KindBucket})
	del := Request{Action: "s3:DeleteObjectVersion", Resource: ObjectARN("b", "k"), Principal: uploader}
	get := Request{Action: "s3:GetObject", Resource: ObjectARN("b", "k"), Principal: uploader}
	tests := []struct {
		name     string
		identity []*Policy
		resource []*Policy
		req      Request
		want     Decision
	}{
		{"identity deny after allow", []*Policy{allow, deny}, nil, del,
			Decision{Outcome: ExplicitDeny, Sid: "NoDelete", PolicyID: "deny", Policy: 1, Statement: 1}},
		{"identity deny before allow", []*Policy{deny, allow}, nil, del,
			Decision{Outcome: ExplicitDeny, Sid: "NoDelete", PolicyID: "deny", Policy: 0, Statement: 1}},
		{"bucket deny beats identity allow", []*Policy{allow}, []*Policy{bucketDeny}, del,
			Decision{Outcome: ExplicitDeny, Sid: "BucketNoDelete", PolicyID: "bucket-deny", FromBucketPolicy: true, Policy: 0, Statement: 0}},
		{"identity deny beats bucket allow", []*Policy{deny}, []*Policy{bucketAllow}, del,
			Decision{Outcome: ExplicitDeny, Sid: "NoDelete", PolicyID: "deny", Policy: 0, Statement: 1}},
		{"first allow is reported", []*Policy{allow, deny}, []*Policy{bucketAllow}, get,
			Decision{Outcome: Allow, Sid: "All", PolicyID: "allow", Policy: 0, Statement: 0}},
		{"bucket allow alone", nil, []*Policy{bucketAllow}, get,
			Decision{Outcome: Allow, Sid: "BucketAll", PolicyID: "bucket-allow", FromBucketPolicy: true, Policy: 0, Statement: 0}},
		{"nothing applies", []*Policy{deny}, nil, Request{Action: "iam:CreateUser", Resource: "*"},
			Decision{Outcome: ImplicitDeny, Policy: -1, Statement: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Evaluate(tt.identity, tt.resource, tt.req)
			require.Equal(t, tt.want, got, "got %v, want %v", got, tt.want)
			require.Equal(t, tt.want.Outcome == Allow, got.Allowed())
		})
	}
}

func TestPolicyVariables(t *testing.T) {
	home := loadPolicy(t, "home-dirs.json", KindIdentity)
	alice := UserARN(account, "alice")
	tests := []struct {
		name     string
		username string
		action   string
		res      string
		ctx      map[string][]string
		want     bool
	}{
		{"list own home", "alice", "s3:ListBucket", BucketARN("home"), ctx(KeyPrefix, "home/alice/"), true},
		{"list own subdir", "alice", "s3:ListBucket", BucketARN("home"), ctx(KeyPrefix, "home/alice/photos/"), true},
		{"list root", "alice", "s3:ListBucket", BucketARN("home"), ctx(KeyPrefix, ""), true},
		{"list others' home", "alice", "s3:ListBucket", BucketARN("home"), ctx(KeyPrefix, "home/bob/"), false},
		{"list without prefix", "alice", "s3:ListBucket", BucketARN("home"), nil, false},
		{"get own object", "alice", "s3:GetObject", ObjectARN("home", "home/alice/a.txt"), nil, true},
		{"get others' object", "alice", "s3:GetObject", ObjectARN("home", "home/bob/a.txt"), nil, false},
		{"username is literal, not a wildcard", "a*", "s3:GetObject", ObjectARN("home", "home/alice/a.txt"), nil, false},
		{"username with star, own object", "a*", "s3:GetObject", ObjectARN("home", "home/a*/x"), nil, true},
		{"anonymous has no username", "", "s3:GetObject", ObjectARN("home", "home//a.txt"), nil, false},
		{"context cannot override username", "alice", "s3:GetObject", ObjectARN("home", "home/bob/a.txt"), ctx(KeyUsername, "bob"), false},
		{"username from context if not in request", "", "s3:GetObject", ObjectARN("home", "home/bob/a.txt"), ctx(KeyUsername, "bob"), true},
		{"multi-valued variable matches nothing", "", "s3:GetObject", ObjectARN("home", "home/bob/a.txt"), ctx(KeyUsername, []string{"bob", "eve"}), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := Request{Action: tt.action, Resource: tt.res, Principal: alice, Username: tt.username, Context: tt.ctx}
			got := Evaluate([]*Policy{home}, nil, req).Allowed()
			require.Equal(t, tt.want, got, "got %v, want %v", got, tt.want)
		})
	}

	t.Run("2008 version keeps variables literal", func(t *testing.T) {
		p := mustParse(t, `{"Version": "2008-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::b/${aws:username}/*"}}`, ParseOptions{})
		req := Request{Action: "s3:GetObject", Resource: ObjectARN("b", "alice/x"), Username: "alice"}
		require.False(t, Evaluate([]*Policy{p}, nil, req).Allowed())
		req.Resource = ObjectARN("b", "${aws:username}/x")
		require.True(t, Evaluate([]*Policy{p}, nil, req).Allowed())
	})
	t.Run("no version keeps variables literal", func(t *testing.T) {
		p := mustParse(t, `{"Statement": {"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::b/${aws:username}/*"}}`, ParseOptions{})
		req := Request{Action: "s3:GetObject", Resource: ObjectARN("b", "alice/x"), Username: "alice"}
		require.False(t, Evaluate([]*Policy{p}, nil, req).Allowed())
	})
	t.Run("default value", func(t *testing.T) {
		p := mustParse(t, `{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::b/${aws:username, 'guest'}/*"}}`, ParseOptions{})
		req := Request{Action: "s3:GetObject", Resource: ObjectARN("b", "guest/x")}
		require.True(t, Evaluate([]*Policy{p}, nil, req).Allowed())
		req.Username = "alice"
		require.False(t, Evaluate([]*Policy{p}, nil, req).Allowed())
	})
	t.Run("special characters", func(t *testing.T) {
		p := mustParse(t, `{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::b/${*}${?}${$}"}}`, ParseOptions{})
		require.True(t, Evaluate([]*Policy{p}, nil, Request{Action: "s3:GetObject", Resource: ObjectARN("b", "*?$")}).Allowed())
		require.False(t, Evaluate([]*Policy{p}, nil, Request{Action: "s3:GetObject", Resource: ObjectARN("b", "ab$")}).Allowed())
	})
	t.Run("variables in conditions", func(t *testing.T) {
		p := mustParse(t, `{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {
			"StringEquals": {"s3:prefix": "${aws:username}/"},
			"ArnEquals": {"aws:SourceArn": "${aws:PrincipalArn}"},
			"StringLike": {"s3:delimiter": "${aws:PrincipalAccount}*"}}}}`, ParseOptions{Kind: KindIdentity})
		req := Request{Action: "s3:ListBucket", Resource: BucketARN("b"), Principal: alice, Username: "alice",
			Context: ctx(KeyPrefix, "alice/", "aws:SourceArn", alice, KeyDelimiter, account+"/")}
		require.True(t, Evaluate([]*Policy{p}, nil, req).Allowed())
		req.Context[KeyPrefix] = []string{"bob/"}
		require.False(t, Evaluate([]*Policy{p}, nil, req).Allowed())
	})
	t.Run("numeric values take no variables", func(t *testing.T) {
		_, err := Parse([]byte(`{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"NumericEquals": {"s3:max-keys": "${aws:username}"}}}}`))
		require.ErrorIs(t, err, ErrMalformedPolicy)
	})
}

// TestEvaluateConcurrent exercises one policy from several goroutines
// (run with -race).
func TestEvaluateConcurrent(t *testing.T) {
	p := loadPolicy(t, "home-dirs.json", KindIdentity)
	done := make(chan bool)
	for i := 0; i < 4; i++ {
		go func() {
			ok := true
			for j := 0; j < 200; j++ {
				req := Request{Action: "s3:GetObject", Resource: ObjectARN("home", "home/alice/x"), Username: "alice"}
				ok = ok && Evaluate([]*Policy{p}, nil, req).Allowed()
			}
			done <- ok
		}()
	}
	for i := 0; i < 4; i++ {
		require.True(t, <-done)
	}
}
