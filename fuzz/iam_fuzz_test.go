package fuzz

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/wormstore/wormstore/iam"
)

// FuzzPolicy feeds arbitrary documents to the IAM policy parser and every
// policy it accepts, with arbitrary requests, to the evaluator. Nothing
// may panic. Parse either fails with a *iam.MalformedError (matching
// iam.ErrMalformedPolicy) or returns a well-formed policy; a bucket policy
// that parses also parses with KindAny; decisions are deterministic, name
// a statement whose Effect agrees with them, and an explicit Deny survives
// adding an allow-everything policy. Seeds: the policies in
// ../iam/testdata, testdata/fuzz/FuzzPolicy and the f.Add calls.
func FuzzPolicy(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("..", "iam", "testdata", "*.json"))
	if err != nil {
		f.Fatal(err)
	}
	if len(files) == 0 {
		f.Fatal("no seed policies in ../iam/testdata")
	}
	for _, name := range files {
		doc, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(doc, "s3:PutObjectLegalHold", iam.ObjectARN("archive", "k"), "OFF")
		f.Add(doc, "s3:GetObject", iam.ObjectARN("home", "home/alice/x"), "alice")
	}
	for _, doc := range []string{
		``, `{`, `[]`, `{"Statement": []}`, `{"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}`,
		`{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b/${aws:username, 'x'}/${*}*",
		  "Condition": {"ForAllValues:StringLikeIfExists": {"s3:prefix": ["${aws:username}/*", "?"]},
		                "NumericGreaterThanEquals": {"s3:object-lock-remaining-retention-days": 30},
		                "IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "::1"]}, "Null": {"s3:versionid": true}}}}`,
	} {
		f.Add([]byte(doc), "s3:GetObject", iam.ObjectARN("b", "alice/x"), "alice")
	}

	allowAll, err := iam.Parse([]byte(`{"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}`))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, doc []byte, action, resource, value string) {
		policies := map[iam.Kind]*iam.Policy{}
		for _, kind := range []iam.Kind{iam.KindAny, iam.KindIdentity, iam.KindBucket} {
			p, err := iam.ParseWithOptions(doc, iam.ParseOptions{Kind: kind})
			if err != nil {
				var me *iam.MalformedError
				if !errors.Is(err, iam.ErrMalformedPolicy) || !errors.As(err, &me) || me.Msg == "" {
					t.Fatalf("kind %d: error %v is not a *MalformedError", kind, err)
				}
				continue
			}
			checkPolicy(t, p)
			policies[kind] = p
		}
		if policies[iam.KindBucket] != nil && policies[iam.KindAny] == nil {
			t.Fatal("accepted as a bucket policy but refused by KindAny")
		}
		if policies[iam.KindIdentity] != nil && policies[iam.KindAny] == nil {
			t.Fatal("accepted as an identity policy but refused by KindAny")
		}
		p := policies[iam.KindAny]
		if p == nil {
			return
		}
		reqs := []iam.Request{
			{Action: action, Resource: resource, Principal: value, Username: value},
			{Action: action, Resource: resource, Principal: "arn:aws:iam::000000000000:user/" + value, Username: value,
				Context: map[string][]string{
					iam.KeyObjectLockLegalHold: {value}, iam.KeyObjectLockMode: {value},
					iam.KeyObjectLockRetainUntilDate: {value}, iam.KeyObjectLockRemainingRetentionDays: {value},
					iam.KeyPrefix: {value, ""}, iam.KeyDelimiter: {value}, iam.KeyMaxKeys: {value},
					iam.KeyVersionID: {value}, iam.KeySecureTransport: {value}, iam.KeySourceIP: {value},
					iam.KeyCurrentTime: {value}, iam.KeyEpochTime: {value}, iam.KeyUserID: {value},
					value: {value, value},
				}},
		}
		for _, req := range reqs {
			for _, sets := range [][2][]*iam.Policy{{{p}, nil}, {nil, {p}}, {{p, nil}, {p}}} {
				d := iam.Evaluate(sets[0], sets[1], req)
				if again := iam.Evaluate(sets[0], sets[1], req); again != d {
					t.Fatalf("not deterministic: %v then %v", d, again)
				}
				checkDecision(t, d, sets[0], sets[1])
				// Adding an allow-everything identity policy can turn an
				// implicit deny into an allow, but never overrides a Deny.
				d2 := iam.Evaluate(append([]*iam.Policy{allowAll}, sets[0]...), sets[1], req)
				switch {
				case d.Outcome == iam.ExplicitDeny && d2.Outcome != iam.ExplicitDeny:
					t.Fatalf("explicit deny %v overridden by allow-all: %v", d, d2)
				case d.Outcome != iam.ExplicitDeny && d2.Outcome != iam.Allow:
					t.Fatalf("with allow-all: %v, want allow (without: %v)", d2, d)
				}
			}
		}
	})
}

// checkPolicy checks the structural guarantees of a parsed policy.
func checkPolicy(t *testing.T, p *iam.Policy) {
	t.Helper()
	if p == nil || len(p.Statements) == 0 {
		t.Fatal("accepted policy has no statements")
	}
	for i, s := range p.Statements {
		if s.Effect != iam.EffectAllow && s.Effect != iam.EffectDeny {
			t.Fatalf("Statement[%d]: effect %v", i, s.Effect)
		}
		if (len(s.Action) == 0) == (len(s.NotAction) == 0) {
			t.Fatalf("Statement[%d]: Action %q, NotAction %q", i, s.Action, s.NotAction)
		}
		if (len(s.Resource) == 0) == (len(s.NotResource) == 0) {
			t.Fatalf("Statement[%d]: Resource %q, NotResource %q", i, s.Resource, s.NotResource)
		}
		if s.Principal != nil && s.NotPrincipal != nil {
			t.Fatalf("Statement[%d]: both Principal and NotPrincipal", i)
		}
		for _, c := range s.Conditions {
			if c.Operator == "" || c.Key == "" || len(c.Values) == 0 {
				t.Fatalf("Statement[%d]: condition %+v", i, c)
			}
		}
	}
}

// checkDecision checks that a decision names a statement that exists and
// whose effect agrees with the outcome.
func checkDecision(t *testing.T, d iam.Decision, identity, resource []*iam.Policy) {
	t.Helper()
	if d.Outcome == iam.ImplicitDeny {
		if d.Policy != -1 || d.Statement != -1 || d.Sid != "" || d.Allowed() {
			t.Fatalf("implicit deny names a statement: %+v", d)
		}
		return
	}
	set := identity
	if d.FromBucketPolicy {
		set = resource
	}
	if d.Policy < 0 || d.Policy >= len(set) || set[d.Policy] == nil {
		t.Fatalf("decision names policy %d of %d: %+v", d.Policy, len(set), d)
	}
	p := set[d.Policy]
	if d.Statement < 0 || d.Statement >= len(p.Statements) {
		t.Fatalf("decision names statement %d of %d: %+v", d.Statement, len(p.Statements), d)
	}
	s := p.Statements[d.Statement]
	want := iam.EffectAllow
	if d.Outcome == iam.ExplicitDeny {
		want = iam.EffectDeny
	}
	if s.Effect != want || s.Sid != d.Sid || p.ID != d.PolicyID || d.Allowed() != (want == iam.EffectAllow) {
		t.Fatalf("decision %+v does not match statement %+v", d, s)
	}
}
