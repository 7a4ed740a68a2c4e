package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/stretchr/testify/require"
	"github.com/wormstore/wormstore/adminapi"
	"github.com/wormstore/wormstore/tier/tiertest"
)

// TestAdminTierCLI drives `wormstore admin tier` against a running server
// with a second wormstore as the remote: status and move without a tier
// fail clearly; `tier add` refuses a bucket without Object Lock, then
// attaches and persists a good one (tier.json 0600, secret never in the
// audit stream); `tier move` moves a sealed segment, `segments` shows it
// remote, `tier status` lists it, `verify --remote` is clean, metrics and
// /health/ready report the tier, the moved data reads back, and a
// restarted server picks the tier up from tier.json.
func TestAdminTierCLI(t *testing.T) {
	clearAdminEnv(t)
	r := tiertest.StartWormstore(t)
	ctx := context.Background()
	_, err := r.S3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("no-lock")})
	require.NoError(t, err)

	dir := filepath.Join(t.TempDir(), "data")
	ts := startTestServer(t, "--dev", "--data", dir, "--segment-size", "2097152", "--tier-interval", "0", "--tier-min-retention", "1h")
	base := []string{"--admin-endpoint", "http://" + ts.admin, "--data", dir}

	out, _, err := runAdmin(t, append(base, "tier", "status")...)
	require.NoError(t, err)
	require.Contains(t, out, "No remote tier configured.")
	_, _, err = runAdmin(t, append(base, "tier", "move", "1")...)
	require.ErrorContains(t, err, "TierNotConfigured")

	add := append(base, "tier", "add", "--endpoint", r.Endpoint, "--remote-key", r.AccessKey, "--remote-secret", r.Secret, "--prefix", "cli/")
	_, _, err = runAdmin(t, append(add, "--bucket", "no-lock")...)
	require.ErrorContains(t, err, "TierCannotLock")
	out, _, err = runAdmin(t, append(add, "--bucket", r.Bucket)...)
	require.NoError(t, err)
	require.Contains(t, out, "checked (versioning and Object Lock enabled) and attached")
	fi, err := os.Stat(filepath.Join(dir, tierConfigFile))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	ak, sk := devCredentials(t, dir)
	c := client(ts.addr, ak, sk)
	_, err = c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("archive"), ObjectLockEnabledForBucket: aws.Bool(true)})
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(1, 2))
	bodies := map[string][]byte{}
	until := time.Now().Add(3 * time.Hour).UTC().Truncate(time.Second)
	for i := 0; i < 12; i++ {
		b := make([]byte, 400_000)
		for j := range b {
			b[j] = byte(rng.Uint32())
		}
		k := fmt.Sprintf("doc-%02d", i)
		bodies[k] = b
		_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("archive"), Key: aws.String(k), Body: bytes.NewReader(b),
			ObjectLockMode: types.ObjectLockModeCompliance, ObjectLockRetainUntilDate: aws.Time(until)})
		require.NoError(t, err)
	}
	out, _, err = runAdmin(t, append(base, "--json", "segments")...)
	require.NoError(t, err)
	var segs struct {
		Segments []adminapi.Segment `json:"segments"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &segs), out)
	var sealed uint64
	for _, s := range segs.Segments {
		if s.State == "sealed" {
			sealed = s.ID
			break
		}
	}
	require.NotZero(t, sealed, out)
	out, _, err = runAdmin(t, append(base, "tier", "move", strconv.FormatUint(sealed, 10))...)
	require.NoError(t, err)
	require.Contains(t, out, fmt.Sprintf("Moved segment %d to cli/segments/", sealed))
	_, _, err = runAdmin(t, append(base, "tier", "move", strconv.FormatUint(sealed, 10))...)
	require.ErrorContains(t, err, "TierNotEligible")

	out, _, err = runAdmin(t, append(base, "segments")...)
	require.NoError(t, err)
	require.Contains(t, out, "remote")
	out, _, err = runAdmin(t, append(base, "tier", "status")...)
	require.NoError(t, err)
	require.Contains(t, out, "Tiered: 1 segment")
	require.Contains(t, out, until.Format(time.RFC3339)) // the latest retain-until it holds, exactly
	out, _, err = runAdmin(t, append(base, "tier", "test")...)
	require.NoError(t, err)
	require.Contains(t, out, "Object Lock enabled")
	_, _, err = runAdmin(t, append(base, "verify", "--remote")...)
	require.NoError(t, err)
	out, _, err = runAdmin(t, append(base, "tier", "orphans")...)
	require.NoError(t, err)
	require.Contains(t, out, "No orphan remote versions.")
	// With segments tiered, the target cannot change (they would become
	// unreadable); the same target with new credentials is fine.
	other := append(base, "tier", "add", "--endpoint", r.Endpoint, "--remote-key", r.AccessKey, "--remote-secret", r.Secret, "--bucket", r.Bucket)
	_, _, err = runAdmin(t, append(other, "--prefix", "elsewhere/")...)
	require.ErrorContains(t, err, "TierInUse")
	_, _, err = runAdmin(t, append(other, "--prefix", "cli/")...)
	require.NoError(t, err)

	resp, err := http.Get("http://" + ts.admin + "/metrics")
	require.NoError(t, err)
	mb, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Contains(t, string(mb), "wormstore_tier_segments 1")
	require.Contains(t, string(mb), "wormstore_tier_uploads_total 1")

	for k, b := range bodies {
		o, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("archive"), Key: aws.String(k)})
		require.NoError(t, err)
		got, _ := io.ReadAll(o.Body)
		o.Body.Close()
		require.True(t, bytes.Equal(b, got), k)
	}

	// The secret key never reaches the audit stream.
	names, err := filepath.Glob(filepath.Join(dir, "audit", "*.wal"))
	require.NoError(t, err)
	require.NotEmpty(t, names)
	for _, n := range names {
		b, err := os.ReadFile(n)
		require.NoError(t, err)
		require.False(t, bytes.Contains(b, []byte(r.Secret)), "remote secret in the audit log %s", n)
		if bytes.Contains(b, []byte("AdminSetTier")) {
			require.True(t, bytes.Contains(b, []byte("REDACTED")))
		}
	}

	// A restart finds the tier in tier.json and reads the tiered data.
	require.NoError(t, ts.stop())
	ts = startTestServer(t, "--dev", "--data", dir, "--segment-size", "2097152", "--tier-interval", "0", "--tier-min-retention", "1h",
		"--tier-cache-size", "1") // nothing cached: every read of tiered data is a ranged GET
	c = client(ts.addr, ak, sk)
	for k, b := range bodies {
		o, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("archive"), Key: aws.String(k)})
		require.NoError(t, err)
		got, _ := io.ReadAll(o.Body)
		o.Body.Close()
		require.True(t, bytes.Equal(b, got), k)
	}
	resp, err = http.Get("http://" + ts.admin + "/health/ready")
	require.NoError(t, err)
	rb, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	require.False(t, strings.Contains(string(rb), "remote tier"), "no tier warning while the remote answers: %s", rb)

	// The remote goes away: a read of tiered data fails (never returns
	// wrong bytes), /health/ready stays 200 and names the remote error.
	r.Stop()
	o, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("archive"), Key: aws.String("doc-00")}, func(o *s3.Options) { o.Retryer = aws.NopRetryer{} })
	if err == nil {
		got, rerr := io.ReadAll(o.Body)
		o.Body.Close()
		require.False(t, rerr == nil && bytes.Equal(bodies["doc-00"], got), "tiered data read with the remote down")
	}
	resp, err = http.Get("http://" + ts.admin + "/health/ready")
	require.NoError(t, err)
	rb, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	require.Contains(t, string(rb), "warning: remote tier: read failed")
}
