package bench

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// EndpointURL returns cfg.Endpoint as a base URL: an endpoint with a
// scheme is used as given (and must agree with cfg.TLS when that is set);
// a bare host:port gets https:// with cfg.TLS and http:// without. An
// empty endpoint means 127.0.0.1:9000, as for warp.
func EndpointURL(cfg Config) (string, error) {
	ep := strings.TrimSpace(cfg.Endpoint)
	if ep == "" {
		ep = DefaultEndpoint
	}
	if !strings.Contains(ep, "://") {
		scheme := "http://"
		if cfg.TLS {
			scheme = "https://"
		}
		ep = scheme + ep
	}
	u, err := url.Parse(ep)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("bench: endpoint %q: want host:port or http(s)://host:port", cfg.Endpoint)
	}
	switch u.Scheme {
	case "http":
		if cfg.TLS {
			return "", fmt.Errorf("bench: endpoint %q is http:// but --tls was given", cfg.Endpoint)
		}
	case "https":
	default:
		return "", fmt.Errorf("bench: endpoint %q: scheme must be http or https", cfg.Endpoint)
	}
	return strings.TrimSuffix(u.String(), "/"), nil
}

// NewClient returns the aws-sdk-go-v2 S3 client Run uses for cfg: static
// credentials, path-style addressing, no retries (a benchmark counts
// errors rather than hiding them), the SDK's default integrity behaviour
// (request checksums and response validation "when supported", as
// LoadDefaultConfig sets them), and a transport that keeps one idle
// connection per worker. cfg.Insecure skips TLS certificate checks.
func NewClient(cfg Config) (*s3.Client, error) {
	ep, err := EndpointURL(cfg)
	if err != nil {
		return nil, err
	}
	conns := max(cfg.Concurrent, 1)
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          conns + 16,
		MaxIdleConnsPerHost:   conns + 16,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
		// Objects are stored as sent: never let the transport gunzip a
		// body, and do not ask for compressed listings either.
		DisableCompression: true,
		WriteBufferSize:    64 << 10,
		ReadBufferSize:     64 << 10,
		ForceAttemptHTTP2:  false,
	}
	if cfg.Insecure {
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // asked for with --insecure
	}
	region := cfg.Region
	if region == "" {
		region = DefaultRegion
	}
	acfg := aws.Config{
		Region:                     region,
		Credentials:                credentials.NewStaticCredentialsProvider(cfg.AccessKey, cfg.SecretKey, ""),
		HTTPClient:                 &http.Client{Transport: tr},
		Retryer:                    func() aws.Retryer { return aws.NopRetryer{} },
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenSupported,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenSupported,
	}
	return s3.NewFromConfig(acfg, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(ep)
		o.UsePathStyle = true
	}), nil
}
