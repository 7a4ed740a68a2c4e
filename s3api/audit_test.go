package s3api_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/stretchr/testify/require"

	"github.com/wormstore/wormstore/engine"
)

// TestAuditTrail: mutating, lock-related and denied requests land in the
// engine's hash-chained audit stream with principal, outcome and lock
// states; plain reads do not.
func TestAuditTrail(t *testing.T) {
	env := newEnv(t, envOptions{})
	c := env.s3
	bg := context.Background()
	_, err := c.CreateBucket(bg, &s3.CreateBucketInput{Bucket: aws.String("archive"), ObjectLockEnabledForBucket: aws.Bool(true)})
	require.NoError(t, err)
	put, err := c.PutObject(bg, &s3.PutObjectInput{Bucket: aws.String("archive"), Key: aws.String("k"), Body: strings.NewReader("x")})
	require.NoError(t, err)
	_, err = c.GetObject(bg, &s3.GetObjectInput{Bucket: aws.String("archive"), Key: aws.String("k")})
	require.NoError(t, err)
	_, err = c.PutObjectLegalHold(bg, &s3.PutObjectLegalHoldInput{Bucket: aws.String("archive"), Key: aws.String("k"),
		VersionId: put.VersionId, LegalHold: &types.ObjectLockLegalHold{Status: types.ObjectLockLegalHoldStatusOn}})
	require.NoError(t, err)
	_, err = c.DeleteObject(bg, &s3.DeleteObjectInput{Bucket: aws.String("archive"), Key: aws.String("k"), VersionId: put.VersionId})
	require.Error(t, err)

	var got []engine.AuditEntry
	require.Eventually(t, func() bool {
		got = got[:0]
		require.NoError(t, env.eng.AuditEntries(bg, 1, func(a engine.AuditEntry) error { got = append(got, a); return nil }))
		return len(got) == 4
	}, 5*time.Second, 10*time.Millisecond)
	ops := []string{}
	for _, a := range got {
		ops = append(ops, a.Operation+":"+a.Outcome)
		require.Equal(t, testAccessKey, a.Principal)
		require.Equal(t, "127.0.0.1", a.Source)
		require.NotEmpty(t, a.RequestID)
	}
	require.Equal(t, []string{"CreateBucket:ok", "PutObject:ok", "PutObjectLegalHold:ok", "DeleteObject:denied"}, ops)
	hold := got[2]
	require.False(t, hold.OldLock.LegalHold)
	require.True(t, hold.NewLock.LegalHold)
	require.Equal(t, *put.VersionId, hold.VersionID)
	require.Equal(t, 403, got[3].Status)
	rep, err := env.eng.VerifyAudit(bg)
	require.NoError(t, err)
	require.True(t, rep.OK(), "%v", rep.Problems)
}
