package s3api_test

import (
	"encoding/xml"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/stretchr/testify/require"

	"github.com/wormstore/wormstore/engine"
	"github.com/wormstore/wormstore/s3api"
)

type sosapiSystem struct {
	XMLName              xml.Name `xml:"SystemInfo"`
	ProtocolVersion      string   `xml:"ProtocolVersion"`
	ModelName            string   `xml:"ModelName"`
	ProtocolCapabilities struct {
		CapacityInfo   string `xml:"CapacityInfo"`
		UploadSessions string `xml:"UploadSessions"`
		IAMSTS         string `xml:"IAMSTS"`
	} `xml:"ProtocolCapabilities"`
	SystemRecommendations *struct {
		KbBlockSize int `xml:"KbBlockSize"`
	} `xml:"SystemRecommendations"`
}

type sosapiCapacity struct {
	XMLName   xml.Name `xml:"CapacityInfo"`
	Capacity  int64    `xml:"Capacity"`
	Available int64    `xml:"Available"`
	Used      int64    `xml:"Used"`
}

func (e *testEnv) enableSOSAPI(bucket string, c s3api.SOSAPIConfig) {
	e.t.Helper()
	c.Enabled = time.Now().UTC().Truncate(time.Second)
	doc, err := s3api.EncodeSOSAPIConfig(c)
	require.NoError(e.t, err)
	require.NoError(e.t, e.eng.SetBucketConfig(ctx(), bucket, engine.ConfigSOSAPI, doc))
}

func (e *testEnv) getXML(bucket, key string, v any) *s3.GetObjectOutput {
	e.t.Helper()
	out, err := e.s3.GetObject(ctx(), &s3.GetObjectInput{Bucket: &bucket, Key: &key})
	require.NoError(e.t, err)
	b, err := io.ReadAll(out.Body)
	require.NoError(e.t, err)
	out.Body.Close()
	require.True(e.t, strings.HasPrefix(string(b), `<?xml version="1.0" encoding="UTF-8"?>`), "%s", b)
	require.NoError(e.t, xml.Unmarshal(b, v), "%s", b)
	return out
}

// TestSOSAPI reads the Veeam SOSAPI files with aws-sdk-go-v2 as Veeam does:
// absent until enabled for the bucket, then system.xml per the SOSAPI 1.0
// spec and capacity.xml with the configured quota and the bucket's stored
// bytes; the files appear in a listing of their folder.
func TestSOSAPI(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.mustCreateBucket("veeam", true)
	sys, capKey := s3api.SOSAPIFolder+"/system.xml", s3api.SOSAPIFolder+"/capacity.xml"

	_, err := e.s3.GetObject(ctx(), &s3.GetObjectInput{Bucket: aws.String("veeam"), Key: &sys})
	requireCode(t, err, "NoSuchKey", 404)

	e.enableSOSAPI("veeam", s3api.SOSAPIConfig{CapacityBytes: 1 << 30, KbBlockSize: 4096})
	var si sosapiSystem
	out := e.getXML("veeam", sys, &si)
	require.Equal(t, `"1.0"`, si.ProtocolVersion)
	require.Equal(t, `"wormstore"`, si.ModelName)
	require.Equal(t, "true", si.ProtocolCapabilities.CapacityInfo)
	require.Equal(t, "false", si.ProtocolCapabilities.UploadSessions)
	require.Equal(t, "false", si.ProtocolCapabilities.IAMSTS)
	require.NotNil(t, si.SystemRecommendations)
	require.Equal(t, 4096, si.SystemRecommendations.KbBlockSize)
	require.Equal(t, "application/xml", aws.ToString(out.ContentType))
	require.NotEmpty(t, aws.ToString(out.ETag))

	var ci sosapiCapacity
	e.getXML("veeam", capKey, &ci)
	require.Equal(t, sosapiCapacity{XMLName: ci.XMLName, Capacity: 1 << 30, Available: 1 << 30, Used: 0}, ci)

	// Used counts every version's bytes.
	e.mustPut("veeam", "backup/1.vbk", strings.Repeat("a", 1000))
	e.mustPut("veeam", "backup/1.vbk", strings.Repeat("b", 500))
	e.getXML("veeam", capKey, &ci)
	require.Equal(t, int64(1500), ci.Used)
	require.Equal(t, int64(1<<30-1500), ci.Available)

	head, err := e.s3.HeadObject(ctx(), &s3.HeadObjectInput{Bucket: aws.String("veeam"), Key: &sys})
	require.NoError(t, err)
	require.Positive(t, aws.ToInt64(head.ContentLength))

	// Listing the folder shows both files; a delimiter listing shows the
	// folder.
	lo, err := e.s3.ListObjectsV2(ctx(), &s3.ListObjectsV2Input{Bucket: aws.String("veeam"), Prefix: aws.String(s3api.SOSAPIFolder + "/")})
	require.NoError(t, err)
	var keys []string
	for _, o := range lo.Contents {
		keys = append(keys, aws.ToString(o.Key))
		require.Positive(t, aws.ToInt64(o.Size))
	}
	require.Equal(t, []string{capKey, sys}, keys)
	require.Equal(t, int32(2), aws.ToInt32(lo.KeyCount))
	lo, err = e.s3.ListObjectsV2(ctx(), &s3.ListObjectsV2Input{Bucket: aws.String("veeam"), Delimiter: aws.String("/")})
	require.NoError(t, err)
	var prefixes []string
	for _, p := range lo.CommonPrefixes {
		prefixes = append(prefixes, aws.ToString(p.Prefix))
	}
	require.Equal(t, []string{s3api.SOSAPIFolder + "/", "backup/"}, prefixes)
	lo, err = e.s3.ListObjectsV2(ctx(), &s3.ListObjectsV2Input{Bucket: aws.String("veeam"), Prefix: aws.String("backup/")})
	require.NoError(t, err)
	require.Len(t, lo.Contents, 1, "other prefixes are unaffected")

	// max-keys holds with the virtual files merged in: pages of one key
	// walk the whole bucket in order, each entry once.
	var paged []string
	var token *string
	for page := 0; page < 10; page++ {
		lo, err = e.s3.ListObjectsV2(ctx(), &s3.ListObjectsV2Input{Bucket: aws.String("veeam"), MaxKeys: aws.Int32(1), ContinuationToken: token})
		require.NoError(t, err)
		require.LessOrEqual(t, len(lo.Contents)+len(lo.CommonPrefixes), 1)
		for _, o := range lo.Contents {
			paged = append(paged, aws.ToString(o.Key))
		}
		if !aws.ToBool(lo.IsTruncated) {
			break
		}
		token = lo.NextContinuationToken
	}
	require.Equal(t, []string{capKey, sys, "backup/1.vbk"}, paged)

	// Disabled again: gone.
	require.NoError(t, e.eng.SetBucketConfig(ctx(), "veeam", engine.ConfigSOSAPI, nil))
	_, err = e.s3.GetObject(ctx(), &s3.GetObjectInput{Bucket: aws.String("veeam"), Key: &capKey})
	requireCode(t, err, "NoSuchKey", 404)
	lo, err = e.s3.ListObjectsV2(ctx(), &s3.ListObjectsV2Input{Bucket: aws.String("veeam"), Prefix: aws.String(s3api.SOSAPIFolder + "/")})
	require.NoError(t, err)
	require.Empty(t, lo.Contents)
}

// TestSOSAPIFilesystemCapacity: without a configured capacity,
// capacity.xml reports the data directory's filesystem.
func TestSOSAPIFilesystemCapacity(t *testing.T) {
	mem := vfs.NewMem()
	mem.TestingSetDiskUsage(vfs.DiskUsage{TotalBytes: 8 << 40, AvailBytes: 3 << 40, UsedBytes: 5 << 40})
	e := newEnv(t, envOptions{fs: mem})
	e.mustCreateBucket("fsveeam", false)
	e.enableSOSAPI("fsveeam", s3api.SOSAPIConfig{})
	var ci sosapiCapacity
	e.getXML("fsveeam", s3api.SOSAPIFolder+"/capacity.xml", &ci)
	require.Equal(t, int64(8<<40), ci.Capacity)
	require.Equal(t, int64(3<<40), ci.Available)
	require.Equal(t, int64(5<<40), ci.Used)
	var si sosapiSystem
	e.getXML("fsveeam", s3api.SOSAPIFolder+"/system.xml", &si)
	require.Nil(t, si.SystemRecommendations, "no SystemRecommendations unless a block size was set")

	// A quota larger than the free space reports the free space.
	e.enableSOSAPI("fsveeam", s3api.SOSAPIConfig{CapacityBytes: 100 << 40})
	e.getXML("fsveeam", s3api.SOSAPIFolder+"/capacity.xml", &ci)
	require.Equal(t, int64(100<<40), ci.Capacity)
	require.Equal(t, int64(3<<40), ci.Available)

	_, err := s3api.EncodeSOSAPIConfig(s3api.SOSAPIConfig{KbBlockSize: 1000})
	require.Error(t, err)
}
