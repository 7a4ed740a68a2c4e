package s3api_test

import (
	"encoding/xml"
	"net/http"
	"net/url"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/stretchr/testify/require"
)

// TestListObjects pages through ListObjectsV2 and V1 with prefix,
// delimiter, start-after and marker.
func TestListObjects(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.s3
	e.mustCreateBucket("list", false)
	keys := []string{"a", "b/1", "b/2", "b/c/3", "c", "d+e", "d e", "z"}
	for _, k := range keys {
		e.mustPut("list", k, "x")
	}
	_, err := c.DeleteObject(ctx(), &s3.DeleteObjectInput{Bucket: aws.String("list"), Key: aws.String("z")})
	require.NoError(t, err)

	// V2 pages of 2 with a delimiter: a, b/, c, "d e", d+e.
	var got []string
	var token *string
	pages := 0
	for {
		out, err := c.ListObjectsV2(ctx(), &s3.ListObjectsV2Input{Bucket: aws.String("list"), Delimiter: aws.String("/"), MaxKeys: aws.Int32(2), ContinuationToken: token})
		require.NoError(t, err)
		pages++
		for _, o := range out.Contents {
			got = append(got, aws.ToString(o.Key))
		}
		for _, p := range out.CommonPrefixes {
			got = append(got, aws.ToString(p.Prefix))
		}
		require.Equal(t, int32(len(out.Contents)+len(out.CommonPrefixes)), aws.ToInt32(out.KeyCount))
		if !aws.ToBool(out.IsTruncated) {
			break
		}
		token = out.NextContinuationToken
		require.NotEmpty(t, aws.ToString(token))
	}
	require.ElementsMatch(t, []string{"a", "b/", "c", "d e", "d+e"}, got)
	require.Equal(t, 3, pages)

	out, err := c.ListObjectsV2(ctx(), &s3.ListObjectsV2Input{Bucket: aws.String("list"), Prefix: aws.String("b/"), StartAfter: aws.String("b/1")})
	require.NoError(t, err)
	require.Len(t, out.Contents, 2)
	require.Equal(t, "b/2", aws.ToString(out.Contents[0].Key))
	require.Equal(t, "b/1", aws.ToString(out.StartAfter))

	v1, err := c.ListObjects(ctx(), &s3.ListObjectsInput{Bucket: aws.String("list"), Marker: aws.String("b/2"), MaxKeys: aws.Int32(2)})
	require.NoError(t, err)
	require.Len(t, v1.Contents, 2)
	require.Equal(t, "b/c/3", aws.ToString(v1.Contents[0].Key))
	require.True(t, aws.ToBool(v1.IsTruncated))
	require.Equal(t, "c", aws.ToString(v1.NextMarker))
	require.NotNil(t, v1.Contents[0].Owner)

	zero, err := c.ListObjectsV2(ctx(), &s3.ListObjectsV2Input{Bucket: aws.String("list"), MaxKeys: aws.Int32(0)})
	require.NoError(t, err)
	require.Empty(t, zero.Contents)

	_, err = c.ListObjectsV2(ctx(), &s3.ListObjectsV2Input{Bucket: aws.String("list"), ContinuationToken: aws.String("!!")})
	requireCode(t, err, "InvalidArgument", http.StatusBadRequest)
	_, err = c.ListObjectsV2(ctx(), &s3.ListObjectsV2Input{Bucket: aws.String("nobucket")})
	requireCode(t, err, "NoSuchBucket", http.StatusNotFound)
	r := e.do("GET", "/list?max-keys=-1", nil, nil)
	require.Equal(t, "InvalidArgument", r.errorDoc(t).Code)
}

// TestListEncodingURL checks encoding-type=url on every key-ish field of
// V1, V2 and ListObjectVersions, including a key with a control character
// that XML cannot carry.
func TestListEncodingURL(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.mustCreateBucket("enc", false)
	key := "dir one/a+b%c\x01.txt"
	r := e.do("PUT", "/enc/"+escapeKey(key), nil, []byte("x"))
	require.Equal(t, 200, r.status, "%s", r.body)

	r = e.do("GET", "/enc?list-type=2&encoding-type=url&prefix="+url.QueryEscape("dir one/")+"&delimiter=%2B", nil, nil)
	require.Equal(t, 200, r.status, "%s", r.body)
	var v2 struct {
		Prefix, Delimiter, EncodingType string
		CommonPrefixes                  []struct{ Prefix string }
	}
	require.NoError(t, xml.Unmarshal(r.body, &v2))
	require.Equal(t, "url", v2.EncodingType)
	require.Equal(t, "dir%20one/", v2.Prefix)
	require.Equal(t, "%2B", v2.Delimiter)
	require.Len(t, v2.CommonPrefixes, 1)
	require.Equal(t, "dir%20one/a%2B", v2.CommonPrefixes[0].Prefix)

	for _, q := range []string{"list-type=2&encoding-type=url", "encoding-type=url", "versions&encoding-type=url"} {
		r = e.do("GET", "/enc?"+q, nil, nil)
		require.Equal(t, 200, r.status, "%s", r.body)
		var res struct {
			Contents []struct{ Key string }
			Version  []struct{ Key string }
		}
		require.NoError(t, xml.Unmarshal(r.body, &res), "%s", r.body)
		var k string
		if len(res.Contents) > 0 {
			k = res.Contents[0].Key
		} else {
			require.Len(t, res.Version, 1)
			k = res.Version[0].Key
		}
		require.Equal(t, "dir%20one/a%2Bb%25c%01.txt", k, q)
		dec, err := url.QueryUnescape(k)
		require.NoError(t, err)
		require.Equal(t, key, dec)
	}
	r = e.do("GET", "/enc?encoding-type=base64", nil, nil)
	require.Equal(t, "InvalidArgument", r.errorDoc(t).Code)
}

// TestListObjectVersions pages through versions and delete markers with
// key-marker / version-id-marker.
func TestListObjectVersions(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.s3
	e.mustCreateBucket("vers", false)
	e.mustPut("vers", "a", "pre-versioning") // the null version
	_, err := c.PutBucketVersioning(ctx(), &s3.PutBucketVersioningInput{Bucket: aws.String("vers"),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}})
	require.NoError(t, err)
	a2 := e.mustPut("vers", "a", "2")
	_, err = c.DeleteObject(ctx(), &s3.DeleteObjectInput{Bucket: aws.String("vers"), Key: aws.String("a")})
	require.NoError(t, err)
	e.mustPut("vers", "b", "1")
	e.mustPut("vers", "p/x", "1")

	type entry struct {
		key, id      string
		latest, mark bool
	}
	var all []entry
	var km, vm *string
	for {
		out, err := c.ListObjectVersions(ctx(), &s3.ListObjectVersionsInput{Bucket: aws.String("vers"), MaxKeys: aws.Int32(2),
			KeyMarker: km, VersionIdMarker: vm, Delimiter: aws.String("/")})
		require.NoError(t, err)
		// Versions and markers are separate lists in the SDK; the server
		// keeps them in one order. Merge by (key, position) is not needed
		// here because each page is checked for its count only.
		n := len(out.Versions) + len(out.DeleteMarkers) + len(out.CommonPrefixes)
		require.LessOrEqual(t, n, 2)
		for _, v := range out.Versions {
			all = append(all, entry{aws.ToString(v.Key), aws.ToString(v.VersionId), aws.ToBool(v.IsLatest), false})
		}
		for _, d := range out.DeleteMarkers {
			all = append(all, entry{aws.ToString(d.Key), aws.ToString(d.VersionId), aws.ToBool(d.IsLatest), true})
		}
		for _, p := range out.CommonPrefixes {
			all = append(all, entry{key: aws.ToString(p.Prefix)})
		}
		if !aws.ToBool(out.IsTruncated) {
			break
		}
		km, vm = out.NextKeyMarker, out.NextVersionIdMarker
	}
	require.Len(t, all, 5)
	var nulls, marks, latest int
	for _, en := range all {
		if en.id == "null" {
			nulls++
			require.False(t, en.latest)
		}
		if en.mark {
			marks++
			require.True(t, en.latest)
		}
		if en.latest {
			latest++
		}
		if en.id == a2 {
			require.False(t, en.latest)
		}
	}
	require.Equal(t, 1, nulls)
	require.Equal(t, 1, marks)
	require.Equal(t, 2, latest, "the delete marker of a and b")

	// Raw order: the delete marker of a comes before its versions.
	r := e.do("GET", "/vers?versions&prefix=a", nil, nil)
	require.Equal(t, 200, r.status)
	type elem struct {
		XMLName   xml.Name
		VersionID string `xml:"VersionId"`
	}
	var doc struct {
		Entries []elem `xml:",any"`
	}
	require.NoError(t, xml.Unmarshal(r.body, &doc))
	var kinds []string
	for _, el := range doc.Entries {
		if el.XMLName.Local == "Version" || el.XMLName.Local == "DeleteMarker" {
			kinds = append(kinds, el.XMLName.Local+":"+el.VersionID)
		}
	}
	require.Len(t, kinds, 3)
	require.Equal(t, "DeleteMarker", kinds[0][:len("DeleteMarker")])
	require.Equal(t, "Version:"+a2, kinds[1])
	require.Equal(t, "Version:null", kinds[2])

	r = e.do("GET", "/vers?versions&version-id-marker=x", nil, nil)
	require.Equal(t, "InvalidArgument", r.errorDoc(t).Code)
}
