package iam

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPolicyCache(t *testing.T) {
	var c PolicyCache
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`
	p1, err := c.BucketPolicy(doc)
	require.NoError(t, err)
	p2, err := c.BucketPolicy(doc)
	require.NoError(t, err)
	require.Same(t, p1, p2, "second lookup comes from the cache")
	_, err = c.BucketPolicy(`{`)
	require.True(t, errors.Is(err, ErrMalformedPolicy))
	for i := 0; i < MaxCachedPolicies+10; i++ {
		_, err := c.BucketPolicy(fmt.Sprintf(`{"Version":"2012-10-17","Id":"%d","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b"}]}`, i))
		require.NoError(t, err)
	}
	c.mu.Lock()
	n := len(c.m)
	c.mu.Unlock()
	require.LessOrEqual(t, n, MaxCachedPolicies)
}
