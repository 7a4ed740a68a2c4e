package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/stretchr/testify/require"
	"github.com/wormstore/wormstore/engine"
)

// TestAdminBypassGrantAuditTrail: granting s3:BypassGovernanceRetention,
// using it over S3 and revoking it each leave entries in the one audit
// stream, in order, identifiable (policy name and SHA-256), and the chain
// verifies. A denied admin request is on record too.
func TestAdminBypassGrantAuditTrail(t *testing.T) {
	clearAdminEnv(t)
	dir := filepath.Join(t.TempDir(), "data")
	ts := startTestServer(t, "--dev", "--data", dir, "--console-address", "")
	ctx := context.Background()
	base := []string{"--admin-endpoint", "http://" + ts.admin, "--data", dir}
	admin := func(args ...string) string {
		t.Helper()
		out, errOut, err := runAdmin(t, append(base, args...)...)
		require.NoError(t, err, "%s%s", out, errOut)
		return out
	}
	rootAK, rootSK := devCredentials(t, dir)
	root := client(ts.addr, rootAK, rootSK)

	// A GOVERNANCE-locked version.
	_, err := root.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("archive"), ObjectLockEnabledForBucket: aws.Bool(true)})
	require.NoError(t, err)
	put, err := root.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("archive"), Key: aws.String("ledger"), Body: strings.NewReader("2026"),
		ObjectLockMode: types.ObjectLockModeGovernance, ObjectLockRetainUntilDate: aws.Time(time.Now().Add(24 * time.Hour))})
	require.NoError(t, err)

	// The user, its key, and the grant.
	admin("user", "add", "alice")
	var key struct {
		AccessKey string `json:"access_key"`
		SecretKey string `json:"secret_key"`
	}
	require.NoError(t, json.Unmarshal([]byte(admin("--json", "user", "key", "add", "alice")), &key))
	alice := client(ts.addr, key.AccessKey, key.SecretKey)

	// Without admin rights, alice cannot grant herself anything.
	pfile := filepath.Join(t.TempDir(), "bypass.json")
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:DeleteObject","s3:DeleteObjectVersion","s3:BypassGovernanceRetention"],"Resource":"arn:aws:s3:::archive/*"}]}`
	require.NoError(t, os.WriteFile(pfile, []byte(doc), 0o600))
	_, _, err = runAdmin(t, "--admin-endpoint", "http://"+ts.admin, "--access-key", key.AccessKey, "--secret-key", key.SecretKey,
		"policy", "attach", "alice", "bypass", "--file", pfile)
	require.ErrorContains(t, err, "AccessDenied")

	admin("policy", "attach", "alice", "bypass", "--file", pfile)
	_, err = alice.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("archive"), Key: aws.String("ledger"),
		VersionId: put.VersionId, BypassGovernanceRetention: aws.Bool(true)})
	require.NoError(t, err, "the grant allows the bypass")
	admin("policy", "detach", "alice", "bypass")

	// The trail.
	var es []engine.AuditEntry
	for _, line := range strings.Split(strings.TrimSpace(admin("audit", "export")), "\n") {
		var e engine.AuditEntry
		require.NoError(t, json.Unmarshal([]byte(line), &e), line)
		es = append(es, e)
	}
	sum := sha256.Sum256([]byte(doc))
	find := func(from int, match func(e engine.AuditEntry) bool, what string) int {
		t.Helper()
		for i := from; i < len(es); i++ {
			if match(es[i]) {
				return i
			}
		}
		t.Fatalf("no %s in the audit stream after entry %d", what, from)
		return -1
	}
	aliceKey := key.AccessKey + " (alice)"
	denied := find(0, func(e engine.AuditEntry) bool {
		return e.Operation == "AdminAttachUserPolicy" && e.Outcome == "denied" && e.Principal == aliceKey
	}, "denied self-grant")
	intent := find(denied, func(e engine.AuditEntry) bool {
		return e.Operation == "AdminAttachUserPolicy" && e.Outcome == "intent" && e.Principal == rootAK &&
			strings.Contains(e.Detail, "user=alice policy=bypass sha256="+hex.EncodeToString(sum[:])) &&
			strings.Contains(e.Detail, "s3:BypassGovernanceRetention")
	}, "grant intent with the policy hash")
	granted := find(intent, func(e engine.AuditEntry) bool {
		return e.Operation == "AdminAttachUserPolicy" && e.Outcome == "ok" && e.RequestID == es[intent].RequestID
	}, "grant result")
	used := find(granted, func(e engine.AuditEntry) bool {
		return e.Operation == "DeleteObject" && e.Outcome == "ok" && e.Bypass && e.Principal == aliceKey &&
			e.Bucket == "archive" && e.Key == "ledger" && e.VersionID == aws.ToString(put.VersionId)
	}, "bypass use")
	revoked := find(used, func(e engine.AuditEntry) bool {
		return e.Operation == "AdminDetachUserPolicy" && e.Outcome == "intent" && strings.Contains(e.Detail, "user=alice policy=bypass")
	}, "revocation intent")
	find(revoked, func(e engine.AuditEntry) bool {
		return e.Operation == "AdminDetachUserPolicy" && e.Outcome == "ok"
	}, "revocation result")
	for _, e := range es {
		if strings.HasPrefix(e.Operation, "Admin") {
			require.True(t, strings.HasPrefix(e.Source, "admin:"), "entry %d source %q", e.Seq, e.Source)
		}
	}

	out := admin("audit", "verify")
	require.Contains(t, out, "audit chain OK")
}
