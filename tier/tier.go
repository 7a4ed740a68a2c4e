// Package tier is the remote tier client: an engine.RemoteTier over the S3
// API (aws-sdk-go-v2) for any S3 store with Object Lock — AWS S3, Ceph RGW,
// MinIO, versitygw, or another wormstore.
//
// Remote layout: one object per tiered segment, key
// "<prefix>segments/<id %016x>.seg", holding the segment file byte for
// byte (header, block frames, footer), uploaded with a FULL_OBJECT
// CRC64NVME checksum and COMPLIANCE retention; every upload creates a new
// version and is addressed by its version id. The bucket must have
// versioning Enabled and Object Lock enabled; Check refuses it otherwise.
//
// The client does no retrying of its own (the SDK retryer is off): the
// engine retries with backoff and counts the retries.
package tier

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/minio/crc64nvme"
	"github.com/wormstore/wormstore/engine"
)

// Config configures a Client.
type Config struct {
	// Endpoint is the remote's URL, e.g. "https://s3.example.com". Empty
	// means AWS S3 for Region.
	Endpoint string `json:"endpoint"`
	// Bucket is the remote bucket (Object Lock enabled). Required.
	Bucket string `json:"bucket"`
	// Prefix is prepended to every key. Default "wormstore/".
	Prefix string `json:"prefix"`
	// Region signs requests. Default "us-east-1".
	Region string `json:"region"`
	// AccessKey and SecretKey are the remote credentials. Required.
	AccessKey string `json:"access_key"`
	SecretKey string `json:"secret_key"`
	// CAFile is a PEM bundle trusted for the remote's TLS certificate in
	// addition to the system roots.
	CAFile string `json:"ca_file,omitempty"`
	// Insecure skips TLS certificate verification (testing only).
	Insecure bool `json:"insecure,omitempty"`
	// PathStyle addresses the bucket in the path instead of the host name
	// (needed by most non-AWS stores). Default true unless Endpoint is empty.
	PathStyle *bool `json:"path_style,omitempty"`
	// PartSize is the multipart part size. Default 16 MiB; segments up to
	// it are uploaded in one PutObject.
	PartSize int64 `json:"part_size,omitempty"`
	// Timeout bounds each request's wait for response headers. Default 60 s.
	Timeout time.Duration `json:"timeout,omitempty"`
}

// Redacted returns c without its secret (for logs, status and audit).
func (c Config) Redacted() Config {
	if c.SecretKey != "" {
		c.SecretKey = "REDACTED"
	}
	return c
}

// Validate reports the first problem with c.
func (c *Config) Validate() error {
	switch {
	case c.Bucket == "":
		return errors.New("tier: bucket is required")
	case c.AccessKey == "" || c.SecretKey == "":
		return errors.New("tier: access key and secret key are required")
	case c.PartSize != 0 && c.PartSize < 5<<20:
		return fmt.Errorf("tier: part size %d is below S3's 5 MiB minimum", c.PartSize)
	}
	if c.Endpoint != "" && !strings.HasPrefix(c.Endpoint, "http://") && !strings.HasPrefix(c.Endpoint, "https://") {
		return fmt.Errorf("tier: endpoint %q must start with http:// or https://", c.Endpoint)
	}
	return nil
}

func (c *Config) ensureDefaults() {
	if c.Prefix == "" {
		c.Prefix = "wormstore/"
	}
	if c.Region == "" {
		c.Region = "us-east-1"
	}
	if c.PathStyle == nil {
		ps := c.Endpoint != ""
		c.PathStyle = &ps
	}
	if c.PartSize == 0 {
		c.PartSize = 16 << 20
	}
	if c.Timeout == 0 {
		c.Timeout = 60 * time.Second
	}
}

// Client is an engine.RemoteTier on one bucket. Safe for concurrent use.
type Client struct {
	cfg Config
	s3  *s3.Client
}

var _ engine.RemoteTier = (*Client)(nil)

// New returns a client for cfg. It does no I/O beyond reading CAFile;
// call Check before trusting the remote.
func New(cfg Config) (*Client, error) {
	cfg.ensureDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.ResponseHeaderTimeout = cfg.Timeout
	tr.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	if cfg.CAFile != "" || cfg.Insecure {
		tc := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: cfg.Insecure} // #nosec G402 -- operator's explicit flag
		if cfg.CAFile != "" {
			pem, err := os.ReadFile(cfg.CAFile)
			if err != nil {
				return nil, fmt.Errorf("tier: read CA file: %w", err)
			}
			pool, err := x509.SystemCertPool()
			if err != nil || pool == nil {
				pool = x509.NewCertPool()
			}
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("tier: CA file %s holds no PEM certificate", cfg.CAFile)
			}
			tc.RootCAs = pool
		}
		tr.TLSClientConfig = tc
	}
	awsCfg := aws.Config{
		Region:                     cfg.Region,
		Credentials:                credentials.NewStaticCredentialsProvider(cfg.AccessKey, cfg.SecretKey, ""),
		HTTPClient:                 &http.Client{Transport: tr},
		Retryer:                    func() aws.Retryer { return aws.NopRetryer{} },
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	}
	cl := s3.NewFromConfig(awsCfg, func(o *s3.Options) {
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(strings.TrimRight(cfg.Endpoint, "/"))
		}
		o.UsePathStyle = *cfg.PathStyle
	})
	return &Client{cfg: cfg, s3: cl}, nil
}

// Prefix returns the key prefix (engine.TierOptions.Prefix).
func (c *Client) Prefix() string { return c.cfg.Prefix }

// Config returns the effective configuration, without the secret.
func (c *Client) Config() Config { return c.cfg.Redacted() }

// Describe implements engine.RemoteTier.
func (c *Client) Describe() string {
	ep := c.cfg.Endpoint
	if ep == "" {
		ep = "s3://"
	} else {
		ep += "/"
	}
	return ep + c.cfg.Bucket + "/" + c.cfg.Prefix
}

// ErrNoObjectLock is returned by Check for a bucket that cannot lock.
var ErrNoObjectLock = errors.New("tier: remote bucket cannot hold locked data")

// Check implements engine.RemoteTier: the bucket exists and is reachable
// with the credentials, versioning is Enabled and Object Lock is enabled.
func (c *Client) Check(ctx context.Context) error {
	b := aws.String(c.cfg.Bucket)
	if _, err := c.s3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: b}); err != nil {
		return fmt.Errorf("tier: bucket %s at %s: %w", c.cfg.Bucket, c.Describe(), err)
	}
	v, err := c.s3.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: b})
	if err != nil {
		return fmt.Errorf("tier: versioning of bucket %s: %w", c.cfg.Bucket, err)
	}
	if v.Status != types.BucketVersioningStatusEnabled {
		return fmt.Errorf("%w: bucket %s has versioning %q, want Enabled (create it with --object-lock-enabled-for-bucket)", ErrNoObjectLock, c.cfg.Bucket, v.Status)
	}
	lc, err := c.s3.GetObjectLockConfiguration(ctx, &s3.GetObjectLockConfigurationInput{Bucket: b})
	if err != nil {
		return fmt.Errorf("%w: bucket %s: GetObjectLockConfiguration: %w (create the bucket with --object-lock-enabled-for-bucket)", ErrNoObjectLock, c.cfg.Bucket, err)
	}
	if lc.ObjectLockConfiguration == nil || lc.ObjectLockConfiguration.ObjectLockEnabled != types.ObjectLockEnabledEnabled {
		return fmt.Errorf("%w: bucket %s does not have Object Lock enabled (create it with --object-lock-enabled-for-bucket)", ErrNoObjectLock, c.cfg.Bucket)
	}
	return nil
}

// Put implements engine.RemoteTier: one PutObject up to PartSize, else a
// multipart upload whose parts carry their own CRC64NVME and whose
// completion carries the FULL_OBJECT CRC64NVME crc, so the remote checks
// the whole object end to end. A failed multipart upload is aborted.
func (c *Client) Put(ctx context.Context, key string, r io.ReaderAt, size int64, crc string, until time.Time) (string, error) {
	b, k := aws.String(c.cfg.Bucket), aws.String(key)
	if size <= c.cfg.PartSize {
		out, err := c.s3.PutObject(ctx, &s3.PutObjectInput{
			Bucket: b, Key: k, Body: io.NewSectionReader(r, 0, size), ContentLength: aws.Int64(size),
			ContentType:       aws.String("application/octet-stream"),
			ChecksumAlgorithm: types.ChecksumAlgorithmCrc64nvme, ChecksumCRC64NVME: aws.String(crc),
			ObjectLockMode: types.ObjectLockModeCompliance, ObjectLockRetainUntilDate: aws.Time(until),
		})
		if err != nil {
			return "", fmt.Errorf("tier: put %s: %w", key, err)
		}
		return versionOf(key, out.VersionId)
	}
	cr, err := c.s3.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{
		Bucket: b, Key: k, ContentType: aws.String("application/octet-stream"),
		ChecksumAlgorithm: types.ChecksumAlgorithmCrc64nvme, ChecksumType: types.ChecksumTypeFullObject,
		ObjectLockMode: types.ObjectLockModeCompliance, ObjectLockRetainUntilDate: aws.Time(until),
	})
	if err != nil {
		return "", fmt.Errorf("tier: create multipart upload %s: %w", key, err)
	}
	abort := func(err error) (string, error) {
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		_, _ = c.s3.AbortMultipartUpload(actx, &s3.AbortMultipartUploadInput{Bucket: b, Key: k, UploadId: cr.UploadId})
		return "", err
	}
	var parts []types.CompletedPart
	for n, off := int32(1), int64(0); off < size; n, off = n+1, off+c.cfg.PartSize {
		l := min(c.cfg.PartSize, size-off)
		pc, err := crcOfSection(io.NewSectionReader(r, off, l))
		if err != nil {
			return abort(fmt.Errorf("tier: read part %d of %s: %w", n, key, err))
		}
		up, err := c.s3.UploadPart(ctx, &s3.UploadPartInput{
			Bucket: b, Key: k, UploadId: cr.UploadId, PartNumber: aws.Int32(n),
			Body: io.NewSectionReader(r, off, l), ContentLength: aws.Int64(l),
			ChecksumAlgorithm: types.ChecksumAlgorithmCrc64nvme, ChecksumCRC64NVME: aws.String(pc),
		})
		if err != nil {
			return abort(fmt.Errorf("tier: upload part %d of %s: %w", n, key, err))
		}
		parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(n), ETag: up.ETag, ChecksumCRC64NVME: aws.String(pc)})
	}
	out, err := c.s3.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket: b, Key: k, UploadId: cr.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
		ChecksumCRC64NVME: aws.String(crc), ChecksumType: types.ChecksumTypeFullObject,
	})
	if err != nil {
		return abort(fmt.Errorf("tier: complete multipart upload %s: %w", key, err))
	}
	if out.ChecksumCRC64NVME != nil && *out.ChecksumCRC64NVME != crc {
		return "", fmt.Errorf("tier: %s: remote computed CRC64NVME %s, sent %s", key, *out.ChecksumCRC64NVME, crc)
	}
	return versionOf(key, out.VersionId)
}

func versionOf(key string, vid *string) (string, error) {
	if vid == nil || *vid == "" || *vid == "null" {
		return "", fmt.Errorf("%w: %s was stored without a version id (is versioning enabled?)", ErrNoObjectLock, key)
	}
	return *vid, nil
}

func crcOfSection(r io.Reader) (string, error) {
	h := crc64nvme.New()
	if _, err := io.Copy(h, r); err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(h.Sum(nil)), nil
}

// notFound wraps err with engine.ErrRemoteNotFound when the remote said
// the key or version does not exist (404), so the engine does not retry.
func notFound(err error) error {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "NoSuchKey", "NoSuchVersion", "NotFound":
			return fmt.Errorf("%w: %w", engine.ErrRemoteNotFound, err)
		}
	}
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) && re.HTTPStatusCode() == http.StatusNotFound {
		var nb *types.NoSuchBucket
		if !errors.As(err, &nb) {
			return fmt.Errorf("%w: %w", engine.ErrRemoteNotFound, err)
		}
	}
	return err
}

// GetRange implements engine.RemoteTier with a ranged GET of the version.
func (c *Client) GetRange(ctx context.Context, key, versionID string, off, n int64) (io.ReadCloser, error) {
	if n <= 0 {
		return io.NopCloser(bytes.NewReader(nil)), nil
	}
	out, err := c.s3.GetObject(ctx, &s3.GetObjectInput{
		Bucket: aws.String(c.cfg.Bucket), Key: aws.String(key), VersionId: aws.String(versionID),
		Range: aws.String(fmt.Sprintf("bytes=%d-%d", off, off+n-1)),
	})
	if err != nil {
		return nil, fmt.Errorf("tier: get %s version %s [%d, %d): %w", key, versionID, off, off+n, notFound(err))
	}
	return out.Body, nil
}

// Head implements engine.RemoteTier.
func (c *Client) Head(ctx context.Context, key, versionID string) (engine.RemoteObject, error) {
	out, err := c.s3.HeadObject(ctx, &s3.HeadObjectInput{
		Bucket: aws.String(c.cfg.Bucket), Key: aws.String(key), VersionId: aws.String(versionID),
		ChecksumMode: types.ChecksumModeEnabled,
	})
	if err != nil {
		return engine.RemoteObject{}, fmt.Errorf("tier: head %s version %s: %w", key, versionID, notFound(err))
	}
	ro := engine.RemoteObject{Size: aws.ToInt64(out.ContentLength), Mode: engine.Mode(out.ObjectLockMode),
		LegalHold: out.ObjectLockLegalHoldStatus == types.ObjectLockLegalHoldStatusOn}
	if out.ObjectLockRetainUntilDate != nil {
		ro.RetainUntil = out.ObjectLockRetainUntilDate.UTC()
	}
	if out.ChecksumCRC64NVME != nil && out.ChecksumType != types.ChecksumTypeComposite {
		ro.CRC64NVME = *out.ChecksumCRC64NVME
	}
	return ro, nil
}

// SetRetention implements engine.RemoteTier.
func (c *Client) SetRetention(ctx context.Context, key, versionID string, until time.Time) error {
	_, err := c.s3.PutObjectRetention(ctx, &s3.PutObjectRetentionInput{
		Bucket: aws.String(c.cfg.Bucket), Key: aws.String(key), VersionId: aws.String(versionID),
		Retention:         &types.ObjectLockRetention{Mode: types.ObjectLockRetentionModeCompliance, RetainUntilDate: aws.Time(until)},
		ChecksumAlgorithm: types.ChecksumAlgorithmCrc32,
	})
	if err != nil {
		return fmt.Errorf("tier: set retention of %s version %s until %s: %w", key, versionID, until.Format(time.RFC3339), err)
	}
	return nil
}

// SetLegalHold implements engine.RemoteTier.
func (c *Client) SetLegalHold(ctx context.Context, key, versionID string, on bool) error {
	st := types.ObjectLockLegalHoldStatusOff
	if on {
		st = types.ObjectLockLegalHoldStatusOn
	}
	_, err := c.s3.PutObjectLegalHold(ctx, &s3.PutObjectLegalHoldInput{
		Bucket: aws.String(c.cfg.Bucket), Key: aws.String(key), VersionId: aws.String(versionID),
		LegalHold: &types.ObjectLockLegalHold{Status: st}, ChecksumAlgorithm: types.ChecksumAlgorithmCrc32,
	})
	if err != nil {
		return fmt.Errorf("tier: set legal hold %s on %s version %s: %w", st, key, versionID, notFound(err))
	}
	return nil
}

// Delete implements engine.RemoteTier: the version is deleted permanently
// (never with a governance bypass).
func (c *Client) Delete(ctx context.Context, key, versionID string) error {
	_, err := c.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(c.cfg.Bucket), Key: aws.String(key), VersionId: aws.String(versionID)})
	if err != nil {
		return fmt.Errorf("tier: delete %s version %s: %w", key, versionID, notFound(err))
	}
	return nil
}

// List implements engine.RemoteTier with ListObjectVersions (delete
// markers are not versions with data and are left out).
func (c *Client) List(ctx context.Context, prefix string) ([]engine.RemoteVersion, error) {
	var out []engine.RemoteVersion
	p := s3.NewListObjectVersionsPaginator(c.s3, &s3.ListObjectVersionsInput{Bucket: aws.String(c.cfg.Bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("tier: list versions under %s: %w", prefix, err)
		}
		for _, v := range page.Versions {
			out = append(out, engine.RemoteVersion{Key: aws.ToString(v.Key), VersionID: aws.ToString(v.VersionId), Size: aws.ToInt64(v.Size)})
		}
	}
	return out, nil
}
