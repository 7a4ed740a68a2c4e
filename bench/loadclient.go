package bench

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"

	"crypto/tls"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// The load clients (Config.Client).
const (
	ClientAWS   = "aws"   // aws-sdk-go-v2
	ClientMinio = "minio" // minio-go v7, configured as warp configures it
)

// Clients returns the load clients, the default first.
func Clients() []string { return []string{ClientAWS, ClientMinio} }

// loadClient issues the measured operations of the workloads with one
// SDK. Every method is one request (List one per page) and never
// retries: errors are counted by the caller.
type loadClient interface {
	// put writes key from body (size bytes); a non-zero lockUntil adds
	// a COMPLIANCE lock to that date. It returns the version id, if any.
	put(ctx context.Context, key string, body *objectBody, size int64, lockUntil time.Time) (string, error)
	// get reads key (at version, if set) to the end through buf and
	// returns the bytes read and the time to first byte (aws: response
	// headers in; minio: first Read returned, as minio-go's GetObject
	// sends nothing before it).
	get(ctx context.Context, key, version string, buf []byte) (n int64, ttfb time.Duration, err error)
	// head returns the size of key (at version, if set).
	head(ctx context.Context, key, version string) (int64, error)
	deleteObject(ctx context.Context, key, version string) error
	// deleteKeys deletes keys with one DeleteObjects (quiet) and fails
	// if any key failed.
	deleteKeys(ctx context.Context, keys []string) error
	// list lists prefix to the end and returns the number of keys.
	list(ctx context.Context, prefix string) (int, error)
	createUpload(ctx context.Context, key string) (string, error)
	uploadPart(ctx context.Context, key, id string, n int, body *objectBody, size int64) (uploadedPart, error)
	complete(ctx context.Context, key, id string, parts []uploadedPart) error
	// putRetention sets COMPLIANCE retention of a version until until.
	putRetention(ctx context.Context, key, version string, until time.Time) error
	putLegalHold(ctx context.Context, key, version string, on bool) error
}

// uploadedPart is a part of a multipart upload as Complete needs it.
type uploadedPart struct {
	n           int
	etag, crc32 string
}

// newLoadClient returns the load client cfg.Client names; awsc is the
// aws-sdk-go-v2 client the run also uses for set-up and clean-up.
func newLoadClient(cfg Config, awsc *s3.Client) (loadClient, error) {
	switch cfg.Client {
	case "", ClientAWS:
		return &awsClient{s3: awsc, bucket: aws.String(cfg.Bucket)}, nil
	case ClientMinio:
		return newMinioClient(cfg)
	}
	return nil, fmt.Errorf("bench: unknown client %q (want aws or minio)", cfg.Client)
}

// awsClient is the aws-sdk-go-v2 load client.
type awsClient struct {
	s3     *s3.Client
	bucket *string // shared, never written
}

func (c *awsClient) put(ctx context.Context, key string, body *objectBody, size int64, lockUntil time.Time) (string, error) {
	in := &s3.PutObjectInput{Bucket: c.bucket, Key: aws.String(key), Body: body, ContentLength: aws.Int64(size)}
	if !lockUntil.IsZero() {
		in.ObjectLockMode = types.ObjectLockModeCompliance
		in.ObjectLockRetainUntilDate = aws.Time(lockUntil)
	}
	out, err := c.s3.PutObject(ctx, in)
	if err != nil {
		return "", err
	}
	return aws.ToString(out.VersionId), nil
}

func (c *awsClient) get(ctx context.Context, key, version string, buf []byte) (int64, time.Duration, error) {
	t0 := time.Now()
	out, err := c.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: c.bucket, Key: aws.String(key), VersionId: optional(version)})
	ttfb := time.Since(t0)
	if err != nil {
		return 0, ttfb, err
	}
	n, err := drain(out.Body, buf, 0)
	return n, ttfb, err
}

// drain reads body to the end through buf (n bytes already read) and
// closes it.
func drain(body io.ReadCloser, buf []byte, n int64) (int64, error) {
	for {
		k, err := body.Read(buf)
		n += int64(k)
		if err == io.EOF {
			break
		}
		if err != nil {
			body.Close()
			return n, err
		}
	}
	return n, body.Close()
}

func (c *awsClient) head(ctx context.Context, key, version string) (int64, error) {
	out, err := c.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: c.bucket, Key: aws.String(key), VersionId: optional(version)})
	if err != nil {
		return 0, err
	}
	return aws.ToInt64(out.ContentLength), nil
}

func (c *awsClient) deleteObject(ctx context.Context, key, version string) error {
	_, err := c.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: c.bucket, Key: aws.String(key), VersionId: optional(version)})
	return err
}

func (c *awsClient) deleteKeys(ctx context.Context, keys []string) error {
	ids := make([]types.ObjectIdentifier, len(keys))
	for i, k := range keys {
		ids[i] = types.ObjectIdentifier{Key: aws.String(k)}
	}
	out, err := c.s3.DeleteObjects(ctx, &s3.DeleteObjectsInput{
		Bucket: c.bucket, Delete: &types.Delete{Objects: ids, Quiet: aws.Bool(true)},
	})
	if err != nil {
		return err
	}
	if len(out.Errors) > 0 {
		e := out.Errors[0]
		return fmt.Errorf("DeleteObjects: %d of %d keys failed, first %s: %s %s",
			len(out.Errors), len(ids), aws.ToString(e.Key), aws.ToString(e.Code), aws.ToString(e.Message))
	}
	return nil
}

func (c *awsClient) list(ctx context.Context, prefix string) (int, error) {
	p := s3.NewListObjectsV2Paginator(c.s3, &s3.ListObjectsV2Input{
		Bucket: c.bucket, Prefix: aws.String(prefix), MaxKeys: aws.Int32(1000),
	})
	var keys int
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return keys, err
		}
		keys += len(out.Contents)
	}
	return keys, nil
}

func (c *awsClient) createUpload(ctx context.Context, key string) (string, error) {
	out, err := c.s3.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{
		Bucket: c.bucket, Key: aws.String(key), ChecksumAlgorithm: types.ChecksumAlgorithmCrc32,
	})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.UploadId), nil
}

func (c *awsClient) uploadPart(ctx context.Context, key, id string, n int, body *objectBody, size int64) (uploadedPart, error) {
	out, err := c.s3.UploadPart(ctx, &s3.UploadPartInput{
		Bucket: c.bucket, Key: aws.String(key), UploadId: aws.String(id),
		PartNumber: aws.Int32(int32(n)), Body: body, ContentLength: aws.Int64(size),
		ChecksumAlgorithm: types.ChecksumAlgorithmCrc32,
	})
	if err != nil {
		return uploadedPart{}, err
	}
	return uploadedPart{n: n, etag: aws.ToString(out.ETag), crc32: aws.ToString(out.ChecksumCRC32)}, nil
}

func (c *awsClient) complete(ctx context.Context, key, id string, parts []uploadedPart) error {
	cp := make([]types.CompletedPart, len(parts))
	for i, p := range parts {
		cp[i] = types.CompletedPart{PartNumber: aws.Int32(int32(p.n)), ETag: optional(p.etag), ChecksumCRC32: optional(p.crc32)}
	}
	_, err := c.s3.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket: c.bucket, Key: aws.String(key), UploadId: aws.String(id),
		MultipartUpload: &types.CompletedMultipartUpload{Parts: cp},
	})
	return err
}

func (c *awsClient) putRetention(ctx context.Context, key, version string, until time.Time) error {
	_, err := c.s3.PutObjectRetention(ctx, &s3.PutObjectRetentionInput{
		Bucket: c.bucket, Key: aws.String(key), VersionId: optional(version),
		Retention: &types.ObjectLockRetention{Mode: types.ObjectLockRetentionModeCompliance, RetainUntilDate: aws.Time(until)},
	})
	return err
}

func (c *awsClient) putLegalHold(ctx context.Context, key, version string, on bool) error {
	status := types.ObjectLockLegalHoldStatusOff
	if on {
		status = types.ObjectLockLegalHoldStatusOn
	}
	_, err := c.s3.PutObjectLegalHold(ctx, &s3.PutObjectLegalHoldInput{
		Bucket: c.bucket, Key: aws.String(key), VersionId: optional(version),
		LegalHold: &types.ObjectLockLegalHold{Status: status},
	})
	return err
}

// minioClient is the minio-go load client, set up as warp sets up its
// client with default flags: path-style lookup, one idle connection per
// worker, 32 KiB socket buffers, no compression, and per request the
// SDK's defaults (signed payload SHA-256, no Content-MD5, no extra
// checksum) with single-part puts. minio-go retries failed requests
// itself; MaxRetries 1 turns that off, so errors are counted.
type minioClient struct {
	c      *minio.Client
	core   minio.Core
	bucket string
}

func newMinioClient(cfg Config) (*minioClient, error) {
	ep, err := EndpointURL(cfg)
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(ep)
	if err != nil {
		return nil, err
	}
	conns := max(cfg.Concurrent, 1)
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 10 * time.Second}).DialContext,
		MaxIdleConnsPerHost:   conns,
		WriteBufferSize:       32 << 10,
		ReadBufferSize:        32 << 10,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   15 * time.Second,
		ExpectContinueTimeout: 10 * time.Second,
		ResponseHeaderTimeout: 2 * time.Minute,
		DisableCompression:    true,
	}
	if cfg.Insecure {
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // asked for with --insecure
	}
	region := cfg.Region
	if region == "" {
		region = DefaultRegion
	}
	c, err := minio.New(u.Host, &minio.Options{
		Creds:        credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure:       u.Scheme == "https",
		Region:       region,
		BucketLookup: minio.BucketLookupPath,
		Transport:    tr,
		MaxRetries:   1,
	})
	if err != nil {
		return nil, fmt.Errorf("bench: minio client: %w", err)
	}
	return &minioClient{c: c, core: minio.Core{Client: c}, bucket: cfg.Bucket}, nil
}

func (c *minioClient) put(ctx context.Context, key string, body *objectBody, size int64, lockUntil time.Time) (string, error) {
	opts := minio.PutObjectOptions{DisableMultipart: true}
	if !lockUntil.IsZero() {
		opts.Mode = minio.Compliance
		opts.RetainUntilDate = lockUntil
	}
	info, err := c.c.PutObject(ctx, c.bucket, key, body, size, opts)
	if err != nil {
		return "", err
	}
	return info.VersionID, nil
}

func (c *minioClient) get(ctx context.Context, key, version string, buf []byte) (int64, time.Duration, error) {
	t0 := time.Now()
	o, err := c.c.GetObject(ctx, c.bucket, key, minio.GetObjectOptions{VersionID: version})
	if err != nil {
		return 0, time.Since(t0), err
	}
	// GetObject is lazy: the first Read sends the GET (o.Stat first
	// would send a HEAD as well), so the first byte is when it returns.
	k, err := o.Read(buf)
	ttfb := time.Since(t0)
	if err == io.EOF {
		return int64(k), ttfb, o.Close()
	}
	if err != nil {
		o.Close()
		return int64(k), ttfb, err
	}
	n, err := drain(o, buf, int64(k))
	return n, ttfb, err
}

func (c *minioClient) head(ctx context.Context, key, version string) (int64, error) {
	info, err := c.c.StatObject(ctx, c.bucket, key, minio.StatObjectOptions{VersionID: version})
	if err != nil {
		return 0, err
	}
	return info.Size, nil
}

func (c *minioClient) deleteObject(ctx context.Context, key, version string) error {
	return c.c.RemoveObject(ctx, c.bucket, key, minio.RemoveObjectOptions{VersionID: version})
}

func (c *minioClient) deleteKeys(ctx context.Context, keys []string) error {
	ch := make(chan minio.ObjectInfo, len(keys))
	for _, k := range keys {
		ch <- minio.ObjectInfo{Key: k}
	}
	close(ch)
	var failed int
	var first minio.RemoveObjectError
	for e := range c.c.RemoveObjects(ctx, c.bucket, ch, minio.RemoveObjectsOptions{}) {
		if failed == 0 {
			first = e
		}
		failed++
	}
	if failed > 0 {
		return fmt.Errorf("DeleteObjects: %d of %d keys failed, first %s: %v", failed, len(keys), first.ObjectName, first.Err)
	}
	return nil
}

func (c *minioClient) list(ctx context.Context, prefix string) (int, error) {
	var keys int
	for o := range c.c.ListObjects(ctx, c.bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true, MaxKeys: 1000}) {
		if o.Err != nil {
			return keys, o.Err
		}
		keys++
	}
	return keys, nil
}

func (c *minioClient) createUpload(ctx context.Context, key string) (string, error) {
	return c.core.NewMultipartUpload(ctx, c.bucket, key, minio.PutObjectOptions{})
}

func (c *minioClient) uploadPart(ctx context.Context, key, id string, n int, body *objectBody, size int64) (uploadedPart, error) {
	p, err := c.core.PutObjectPart(ctx, c.bucket, key, id, n, body, size, minio.PutObjectPartOptions{})
	if err != nil {
		return uploadedPart{}, err
	}
	return uploadedPart{n: n, etag: p.ETag, crc32: p.ChecksumCRC32}, nil
}

func (c *minioClient) complete(ctx context.Context, key, id string, parts []uploadedPart) error {
	cp := make([]minio.CompletePart, len(parts))
	for i, p := range parts {
		cp[i] = minio.CompletePart{PartNumber: p.n, ETag: p.etag, ChecksumCRC32: p.crc32}
	}
	_, err := c.core.CompleteMultipartUpload(ctx, c.bucket, key, id, cp, minio.PutObjectOptions{})
	return err
}

func (c *minioClient) putRetention(ctx context.Context, key, version string, until time.Time) error {
	mode := minio.Compliance
	return c.c.PutObjectRetention(ctx, c.bucket, key, minio.PutObjectRetentionOptions{
		Mode: &mode, RetainUntilDate: &until, VersionID: version,
	})
}

func (c *minioClient) putLegalHold(ctx context.Context, key, version string, on bool) error {
	status := minio.LegalHoldDisabled
	if on {
		status = minio.LegalHoldEnabled
	}
	return c.c.PutObjectLegalHold(ctx, c.bucket, key, minio.PutObjectLegalHoldOptions{VersionID: version, Status: &status})
}
