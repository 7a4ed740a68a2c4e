package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/require"
)

// TestAdminCLIAuditEndToEnd runs `wormstore server --dev`, makes S3
// requests and reads them back with `admin audit tail` and `verify`.
func TestAdminCLIAuditEndToEnd(t *testing.T) {
	clearAdminEnv(t)
	dir := filepath.Join(t.TempDir(), "data")
	ts := startTestServer(t, "--dev", "--data", dir, "--console-address", "")
	addr, admin := ts.addr, ts.admin
	ctx := context.Background()

	base := []string{"--admin-endpoint", "http://" + admin, "--data", dir}
	rootAK, rootSK := devCredentials(t, dir)
	c := client(addr, rootAK, rootSK)
	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("archive"), ObjectLockEnabledForBucket: aws.Bool(true)})
	require.NoError(t, err)
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("archive"), Key: aws.String("k"), Body: strings.NewReader("x")})
	require.NoError(t, err)

	out, errOut, err := runAdmin(t, append(base, "audit", "tail")...)
	require.NoError(t, err, "%s%s", out, errOut)
	es := decodeAuditLines(t, []byte(out))
	require.NotEmpty(t, es)
	last := es[len(es)-1]
	require.Equal(t, "archive", last.Bucket)
	require.Equal(t, "k", last.Key)

	out, errOut, err = runAdmin(t, append(base, "audit", "verify")...)
	require.NoError(t, err, "%s%s", out, errOut)
	require.Regexp(t, `^audit chain OK: \d+ entries, head `+last.Hash+`\n$`, out)
}
