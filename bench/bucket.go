package bench

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// httpStatus returns the HTTP status of an SDK error, or 0.
func httpStatus(err error) int {
	var re interface{ HTTPStatusCode() int }
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// needsLock reports whether w needs an Object Lock bucket.
func needsLock(w Workload) bool { return w == WorkloadRetention || w == WorkloadLegalHold }

// setupBucket checks that the bucket suits the workload, or creates it.
// An existing bucket is never reconfigured.
func (r *runner) setupBucket(ctx context.Context) error {
	b := aws.String(r.bucket)
	_, err := r.s3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: b})
	switch {
	case err == nil:
		if needsLock(r.w) {
			out, err := r.s3.GetObjectLockConfiguration(ctx, &s3.GetObjectLockConfigurationInput{Bucket: b})
			if err != nil || out.ObjectLockConfiguration == nil || out.ObjectLockConfiguration.ObjectLockEnabled != types.ObjectLockEnabledEnabled {
				return fmt.Errorf("bench: bucket %q exists without Object Lock; the %s workload needs an Object Lock bucket: choose another --bucket and it will be created", r.bucket, r.w)
			}
		}
		if r.w == WorkloadVersioned {
			out, err := r.s3.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: b})
			if err != nil || out.Status != types.BucketVersioningStatusEnabled {
				return fmt.Errorf("bench: bucket %q exists without versioning; the versioned workload needs a versioned bucket: choose another --bucket and it will be created", r.bucket)
			}
		}
		return nil
	case httpStatus(err) == 404:
	case httpStatus(err) == 403:
		return fmt.Errorf("bench: bucket %q: access denied (check --access-key, --secret-key and --region): %w", r.bucket, err)
	default:
		ep, _ := EndpointURL(r.cfg)
		return fmt.Errorf("bench: cannot reach %s (bucket %q): %w", ep, r.bucket, err)
	}
	in := &s3.CreateBucketInput{Bucket: b}
	if needsLock(r.w) {
		in.ObjectLockEnabledForBucket = aws.Bool(true)
	}
	if r.cfg.Region != "us-east-1" {
		in.CreateBucketConfiguration = &types.CreateBucketConfiguration{LocationConstraint: types.BucketLocationConstraint(r.cfg.Region)}
	}
	if _, err := r.s3.CreateBucket(ctx, in); err != nil {
		return fmt.Errorf("bench: create bucket %q: %w", r.bucket, err)
	}
	r.created = true
	if r.w == WorkloadVersioned {
		if _, err := r.s3.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{
			Bucket: b, VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled},
		}); err != nil {
			return fmt.Errorf("bench: enable versioning on %q: %w", r.bucket, err)
		}
	}
	return nil
}

// cleanup aborts the run's open multipart uploads, lifts the legal holds
// it placed, deletes every version and delete marker under the run's
// prefix except those under a COMPLIANCE retention it placed, and
// deletes the bucket if the run created it and it is now empty. It runs
// even when ctx is done, bounded by cleanupTimeout.
func (r *runner) cleanup(parent context.Context) ([]LockedVersion, CleanupReport) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(parent), cleanupTimeout)
	defer cancel()
	var rep CleanupReport
	fail := func(format string, args ...any) {
		if len(rep.Errors) < 20 {
			rep.Errors = append(rep.Errors, fmt.Sprintf(format, args...))
		}
	}
	b := aws.String(r.bucket)

	r.mu.Lock()
	uploads := r.uploads
	r.uploads = map[string]string{}
	r.mu.Unlock()
	for id, key := range uploads {
		if _, err := r.s3.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: b, Key: aws.String(key), UploadId: aws.String(id)}); err != nil {
			fail("abort upload %s of %s: %v", id, key, err)
			continue
		}
		rep.AbortedUploads++
	}

	// Versions this run locked, by key and version id.
	type kv struct{ key, version string }
	var locked []LockedVersion
	keep := map[kv]bool{}
	for _, w := range r.workers {
		for _, v := range w.own {
			switch {
			case r.w == WorkloadLegalHold && (v.hold || v.uncertain):
				_, err := r.s3.PutObjectLegalHold(ctx, &s3.PutObjectLegalHoldInput{
					Bucket: b, Key: aws.String(v.key), VersionId: optional(v.version),
					LegalHold: &types.ObjectLockLegalHold{Status: types.ObjectLockLegalHoldStatusOff},
				})
				if err != nil {
					fail("lift legal hold of %s: %v", v.key, err)
					locked = append(locked, LockedVersion{Key: v.key, VersionID: v.version, LegalHold: true})
					keep[kv{v.key, v.version}] = true
				}
			case r.w == WorkloadRetention:
				until := v.until
				if v.uncertain {
					out, err := r.s3.GetObjectRetention(ctx, &s3.GetObjectRetentionInput{Bucket: b, Key: aws.String(v.key), VersionId: optional(v.version)})
					if err == nil && out.Retention != nil {
						until = aws.ToTime(out.Retention.RetainUntilDate)
					}
				}
				locked = append(locked, LockedVersion{Key: v.key, VersionID: v.version, Mode: string(types.ObjectLockModeCompliance), RetainUntil: until.UTC()})
				keep[kv{v.key, v.version}] = true
			}
		}
	}

	// Everything else under the prefix: versions and delete markers.
	var todo []types.ObjectIdentifier
	p := s3.NewListObjectVersionsPaginator(r.s3, &s3.ListObjectVersionsInput{Bucket: b, Prefix: aws.String(r.prefix)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			// A server without ListObjectVersions: fall back to keys.
			todo = nil
			lp := s3.NewListObjectsV2Paginator(r.s3, &s3.ListObjectsV2Input{Bucket: b, Prefix: aws.String(r.prefix)})
			for lp.HasMorePages() {
				out, lerr := lp.NextPage(ctx)
				if lerr != nil {
					fail("list %s: %v", r.prefix, errors.Join(err, lerr))
					break
				}
				for _, o := range out.Contents {
					todo = append(todo, types.ObjectIdentifier{Key: o.Key})
				}
			}
			break
		}
		for _, v := range out.Versions {
			if !keep[kv{aws.ToString(v.Key), aws.ToString(v.VersionId)}] {
				todo = append(todo, types.ObjectIdentifier{Key: v.Key, VersionId: v.VersionId})
			}
		}
		for _, m := range out.DeleteMarkers {
			todo = append(todo, types.ObjectIdentifier{Key: m.Key, VersionId: m.VersionId})
		}
	}
	for batch := range slices.Chunk(todo, 1000) {
		out, err := r.s3.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: b, Delete: &types.Delete{Objects: batch, Quiet: aws.Bool(true)}})
		if err != nil {
			fail("delete %d versions: %v", len(batch), err)
			continue
		}
		rep.DeletedVersions += len(batch) - len(out.Errors)
		for _, e := range out.Errors {
			if aws.ToString(e.Code) == "AccessDenied" {
				// Locked by something else, e.g. a default retention.
				locked = append(locked, r.lockOf(ctx, aws.ToString(e.Key), aws.ToString(e.VersionId)))
				continue
			}
			fail("delete %s (version %s): %s %s", aws.ToString(e.Key), aws.ToString(e.VersionId), aws.ToString(e.Code), aws.ToString(e.Message))
		}
	}
	slices.SortFunc(locked, func(a, b LockedVersion) int { return strings.Compare(a.Key, b.Key) })

	if r.created && len(locked) == 0 && len(rep.Errors) == 0 {
		if _, err := r.s3.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: b}); err != nil {
			var ae smithy.APIError
			if !errors.As(err, &ae) || ae.ErrorCode() != "BucketNotEmpty" {
				fail("delete bucket %s: %v", r.bucket, err)
			}
		} else {
			rep.BucketDeleted = true
		}
	}
	return locked, rep
}

// lockOf reads the lock state of a version the run could not delete.
func (r *runner) lockOf(ctx context.Context, key, version string) LockedVersion {
	lv := LockedVersion{Key: key, VersionID: version}
	out, err := r.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(r.bucket), Key: aws.String(key), VersionId: optional(version)})
	if err != nil {
		return lv
	}
	lv.Mode = string(out.ObjectLockMode)
	if out.ObjectLockRetainUntilDate != nil {
		lv.RetainUntil = out.ObjectLockRetainUntilDate.UTC()
	}
	lv.LegalHold = out.ObjectLockLegalHoldStatus == types.ObjectLockLegalHoldStatusOn
	return lv
}

// lockedUntil is the latest retain-until among locked.
func lockedUntil(locked []LockedVersion) time.Time {
	var t time.Time
	for _, l := range locked {
		if l.RetainUntil.After(t) {
			t = l.RetainUntil
		}
	}
	return t
}
