package engine

import (
	"context"
	"fmt"
	"time"
)

// SetBucketConfig stores (or, with an empty doc, deletes) one of a bucket's
// configuration documents. The engine keeps the document as bytes and
// never interprets it; validating it is the caller's business (the S3 layer
// parses lifecycle, CORS, tagging and ownership documents before storing).
// Like every mutation it is logged, fsynced and audited before it returns.
func (e *Engine) SetBucketConfig(ctx context.Context, bucket string, name BucketConfig, doc []byte) error {
	if name == "" {
		return fmt.Errorf("%w: empty bucket configuration name", ErrInvalidArgument)
	}
	_, err := e.commit(ctx, func(now time.Time, seq uint64) (*record, error) {
		if _, err := e.loadBucket(bucket); err != nil {
			return nil, err
		}
		return &record{Type: recBucketConfig, Bucket: bucket, Config: name, ConfigDoc: string(doc)}, nil
	})
	return err
}

// setBucketConfig applies a configuration document to bi (empty deletes).
func setBucketConfig(bi *BucketInfo, name BucketConfig, doc string) {
	if doc == "" {
		delete(bi.Configs, name)
		if len(bi.Configs) == 0 {
			bi.Configs = nil
		}
		return
	}
	if bi.Configs == nil {
		bi.Configs = map[BucketConfig]string{}
	}
	bi.Configs[name] = doc
}

// PutObjectTagging replaces the tag set of a version (versionID "" = the
// current version); an empty or nil set deletes the tags. Tags are metadata:
// they may change on a version under retention or legal hold, as on AWS.
// Validation (count, lengths, characters) is the caller's business. It
// returns the version ID the tags were set on. A delete marker has no tags
// (a *DeleteMarkerError wrapping ErrMethodNotAllowed).
func (e *Engine) PutObjectTagging(ctx context.Context, bucket, key, versionID string, tags map[string]string) (string, error) {
	if len(tags) == 0 {
		tags = nil
	}
	var vid string
	_, err := e.commit(ctx, func(now time.Time, seq uint64) (*record, error) {
		v, err := e.tagTarget(bucket, key, versionID)
		if err != nil {
			return nil, err
		}
		vid = v.id()
		return &record{Type: recObjectTags, Bucket: bucket, Key: key, Seq: v.Seq, Tags: copyTags(tags)}, nil
	})
	return vid, err
}

// GetObjectTagging returns a version's tag set (nil when it has none) and
// its version ID.
func (e *Engine) GetObjectTagging(ctx context.Context, bucket, key, versionID string) (map[string]string, string, error) {
	if err := ctx.Err(); err != nil {
		return nil, "", err
	}
	v, err := e.tagTarget(bucket, key, versionID)
	if err != nil {
		return nil, "", err
	}
	return copyTags(v.Tags), v.id(), nil
}

// tagTarget resolves the version a tagging call acts on.
func (e *Engine) tagTarget(bucket, key, versionID string) (*version, error) {
	if _, err := e.loadBucket(bucket); err != nil {
		return nil, err
	}
	v, err := e.findVersion(bucket, key, versionID)
	if err != nil {
		return nil, err
	}
	if v.DeleteMarker {
		return nil, &DeleteMarkerError{Err: ErrMethodNotAllowed, VersionID: v.id(), ModTime: time.Unix(0, v.ModTime).UTC()}
	}
	return v, nil
}

func copyTags(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
