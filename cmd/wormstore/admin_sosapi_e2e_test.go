package main

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/require"
	"github.com/wormstore/wormstore/adminapi"
	"github.com/wormstore/wormstore/s3api"
)

// TestAdminSOSAPIEndToEnd switches Veeam SOSAPI on for a bucket of a real
// `wormstore server --dev` with `wormstore admin sosapi enable`, reads
// system.xml and capacity.xml with aws-sdk-go-v2 (capacity from the data
// directory's filesystem, then from --capacity), and switches it off.
func TestAdminSOSAPIEndToEnd(t *testing.T) {
	clearAdminEnv(t)
	dir := filepath.Join(t.TempDir(), "data")
	ts := startTestServer(t, "--dev", "--data", dir)
	ctx := context.Background()
	base := []string{"--admin-endpoint", "http://" + ts.admin, "--data", dir}
	ak, sk := devCredentials(t, dir)
	c := client(ts.addr, ak, sk)
	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("veeam")})
	require.NoError(t, err)
	capKey := s3api.SOSAPIFolder + "/capacity.xml"
	sysKey := s3api.SOSAPIFolder + "/system.xml"
	get := func(key string, v any) error {
		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("veeam"), Key: aws.String(key)})
		if err != nil {
			return err
		}
		defer out.Body.Close()
		b, err := io.ReadAll(out.Body)
		require.NoError(t, err)
		return xml.Unmarshal(b, v)
	}
	var ci struct {
		Capacity, Available, Used int64
	}
	require.Error(t, get(capKey, &ci), "off by default")

	out, _, err := runAdmin(t, append(base, "sosapi", "status", "veeam")...)
	require.NoError(t, err)
	require.Equal(t, "SOSAPI is disabled on bucket veeam.\n", out)
	out, _, err = runAdmin(t, append(base, "sosapi", "enable", "veeam")...)
	require.NoError(t, err)
	require.Contains(t, out, "SOSAPI is enabled on bucket veeam since ")
	require.Contains(t, out, "capacity: the data directory's filesystem")

	require.NoError(t, get(capKey, &ci))
	require.Positive(t, ci.Capacity)
	require.Positive(t, ci.Available)
	require.Equal(t, ci.Capacity-ci.Available, ci.Used)
	var si struct {
		ProtocolVersion      string
		ModelName            string
		ProtocolCapabilities struct{ CapacityInfo bool }
	}
	require.NoError(t, get(sysKey, &si))
	require.Equal(t, `"1.0"`, si.ProtocolVersion)
	require.True(t, si.ProtocolCapabilities.CapacityInfo)

	out, _, err = runAdmin(t, append(base, "--json", "sosapi", "enable", "veeam", "--capacity", "2TiB", "--kb-block-size", "1024")...)
	require.NoError(t, err)
	var st adminapi.SOSAPI
	require.NoError(t, json.Unmarshal([]byte(out), &st))
	require.True(t, st.Enabled)
	require.Equal(t, int64(2<<40), st.CapacityBytes)
	require.Equal(t, 1024, st.KbBlockSize)
	require.NoError(t, get(capKey, &ci))
	require.Equal(t, int64(2<<40), ci.Capacity)
	require.Zero(t, ci.Used)

	_, _, err = runAdmin(t, append(base, "sosapi", "enable", "veeam", "--kb-block-size", "1000")...)
	require.ErrorContains(t, err, "KbBlockSize")
	_, _, err = runAdmin(t, append(base, "sosapi", "enable", "nobucket")...)
	require.ErrorContains(t, err, "NoSuchBucket")

	out, _, err = runAdmin(t, append(base, "sosapi", "disable", "veeam")...)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(out, "SOSAPI is disabled"))
	require.Error(t, get(capKey, &ci))
}
