package s3api

import (
	"net/http"
	"sort"
	"strings"

	"github.com/wormstore/wormstore/s3api/s3err"
)

// level is what a request path addresses.
type level int

const (
	levelService level = iota // "/"
	levelBucket               // "/bucket"
	levelObject               // "/bucket/key"
)

// routeKey is the route table's key: method, level and sub-resource (the
// one query key from subResources present in the request, "" for none).
type routeKey struct {
	method string
	level  level
	sub    string
}

type route struct {
	name string
	fn   func(*request) error
}

// subResources are the query keys that select an operation. All other
// query parameters (prefix, versionId, x-id, X-Amz-*, …) are arguments and
// never affect routing. A request naming more than one is refused.
func subResources() []string {
	return append([]string{
		"acl", "attributes", "cors", "delete", "legal-hold", "lifecycle", "location", "object-lock", "ownershipControls", "policy", "retention",
		"tagging", "uploadId", "uploads", "versioning", "versions",
	}, unsupportedSubResources()...)
}

// unsupportedSubResources are sub-resources of S3 operations wormstore does
// not implement; they answer 501 NotImplemented.
func unsupportedSubResources() []string {
	return []string{
		"accelerate", "analytics", "encryption", "intelligent-tiering", "inventory",
		"logging", "metadataTable", "metrics", "notification",
		"policyStatus", "publicAccessBlock", "replication", "requestPayment", "restore",
		"select", "session", "torrent", "website", "renameObject",
	}
}

// routeTable is the one table of supported operations. Routing never
// depends on the order of entries.
func routeTable() map[routeKey]route {
	t := map[routeKey]route{}
	add := func(method string, l level, sub, name string, fn func(*request) error) {
		k := routeKey{method, l, sub}
		if _, dup := t[k]; dup {
			panic("s3api: duplicate route " + name)
		}
		t[k] = route{name, fn}
	}
	const (
		GET, PUT, POST, DELETE, HEAD = http.MethodGet, http.MethodPut, http.MethodPost, http.MethodDelete, http.MethodHead
	)
	// Service.
	add(GET, levelService, "", "ListBuckets", (*request).listBuckets)

	// Buckets.
	add(PUT, levelBucket, "", "CreateBucket", (*request).createBucket)
	add(HEAD, levelBucket, "", "HeadBucket", (*request).headBucket)
	add(DELETE, levelBucket, "", "DeleteBucket", (*request).deleteBucket)
	add(GET, levelBucket, "", "ListObjects", (*request).listObjects)
	add(GET, levelBucket, "location", "GetBucketLocation", (*request).getBucketLocation)
	add(GET, levelBucket, "versioning", "GetBucketVersioning", (*request).getBucketVersioning)
	add(PUT, levelBucket, "versioning", "PutBucketVersioning", (*request).putBucketVersioning)
	add(GET, levelBucket, "object-lock", "GetObjectLockConfiguration", (*request).getObjectLockConfiguration)
	add(PUT, levelBucket, "object-lock", "PutObjectLockConfiguration", (*request).putObjectLockConfiguration)
	add(GET, levelBucket, "versions", "ListObjectVersions", (*request).listObjectVersions)
	add(GET, levelBucket, "uploads", "ListMultipartUploads", (*request).listMultipartUploads)
	add(POST, levelBucket, "delete", "DeleteObjects", (*request).deleteObjects)
	add(POST, levelBucket, "", "PostObject", (*request).postNotForm) // multipart/form-data: servePost
	add(GET, levelBucket, "policy", "GetBucketPolicy", (*request).getBucketPolicy)
	add(PUT, levelBucket, "policy", "PutBucketPolicy", (*request).putBucketPolicy)
	add(DELETE, levelBucket, "policy", "DeleteBucketPolicy", (*request).deleteBucketPolicy)
	add(GET, levelBucket, "lifecycle", "GetBucketLifecycleConfiguration", (*request).getBucketLifecycleConfiguration)
	add(PUT, levelBucket, "lifecycle", "PutBucketLifecycleConfiguration", (*request).putBucketLifecycleConfiguration)
	add(DELETE, levelBucket, "lifecycle", "DeleteBucketLifecycle", (*request).deleteBucketLifecycle)
	add(GET, levelBucket, "tagging", "GetBucketTagging", (*request).getBucketTagging)
	add(PUT, levelBucket, "tagging", "PutBucketTagging", (*request).putBucketTagging)
	add(DELETE, levelBucket, "tagging", "DeleteBucketTagging", (*request).deleteBucketTagging)
	add(GET, levelBucket, "acl", "GetBucketAcl", (*request).getBucketAcl)
	add(PUT, levelBucket, "acl", "PutBucketAcl", (*request).putBucketAcl)
	add(GET, levelBucket, "ownershipControls", "GetBucketOwnershipControls", (*request).getBucketOwnershipControls)
	add(PUT, levelBucket, "ownershipControls", "PutBucketOwnershipControls", (*request).putBucketOwnershipControls)
	add(DELETE, levelBucket, "ownershipControls", "DeleteBucketOwnershipControls", (*request).deleteBucketOwnershipControls)
	add(GET, levelBucket, "cors", "GetBucketCors", (*request).getBucketCors)
	add(PUT, levelBucket, "cors", "PutBucketCors", (*request).putBucketCors)
	add(DELETE, levelBucket, "cors", "DeleteBucketCors", (*request).deleteBucketCors)

	// Objects.
	add(PUT, levelObject, "", "PutObject", (*request).putObject) // or CopyObject (x-amz-copy-source)
	add(GET, levelObject, "", "GetObject", (*request).getObject)
	add(HEAD, levelObject, "", "HeadObject", (*request).getObject)
	add(DELETE, levelObject, "", "DeleteObject", (*request).deleteObject)
	add(GET, levelObject, "retention", "GetObjectRetention", (*request).getObjectRetention)
	add(PUT, levelObject, "retention", "PutObjectRetention", (*request).putObjectRetention)
	add(GET, levelObject, "legal-hold", "GetObjectLegalHold", (*request).getObjectLegalHold)
	add(PUT, levelObject, "legal-hold", "PutObjectLegalHold", (*request).putObjectLegalHold)
	add(GET, levelObject, "tagging", "GetObjectTagging", (*request).getObjectTagging)
	add(GET, levelObject, "attributes", "GetObjectAttributes", (*request).getObjectAttributes)
	add(PUT, levelObject, "tagging", "PutObjectTagging", (*request).putObjectTagging)
	add(DELETE, levelObject, "tagging", "DeleteObjectTagging", (*request).deleteObjectTagging)
	add(GET, levelObject, "acl", "GetObjectAcl", (*request).getObjectAcl)
	add(PUT, levelObject, "acl", "PutObjectAcl", (*request).putObjectAcl)

	// Multipart.
	add(POST, levelObject, "uploads", "CreateMultipartUpload", (*request).createMultipartUpload)
	add(PUT, levelObject, "uploadId", "UploadPart", (*request).uploadPart) // or UploadPartCopy
	add(POST, levelObject, "uploadId", "CompleteMultipartUpload", (*request).completeMultipartUpload)
	add(DELETE, levelObject, "uploadId", "AbortMultipartUpload", (*request).abortMultipartUpload)
	add(GET, levelObject, "uploadId", "ListParts", (*request).listParts)

	// Everything else on a known sub-resource is explicitly not
	// implemented.
	for _, sub := range append(unsupportedSubResources(), "acl", "tagging", "attributes", "lifecycle", "cors", "ownershipControls") {
		for _, m := range []string{GET, PUT, POST, DELETE, HEAD} {
			for _, l := range []level{levelBucket, levelObject} {
				k := routeKey{m, l, sub}
				if _, ok := t[k]; !ok {
					t[k] = route{"NotImplemented(" + sub + ")", (*request).notImplemented}
				}
			}
		}
	}
	return t
}

// lookup finds the route for rq.
func (s *Server) lookup(rq *request) (route, error) {
	l := levelService
	switch {
	case rq.bucket == "":
	case rq.key == "":
		l = levelBucket
	default:
		l = levelObject
	}
	var present []string
	for _, sub := range subResources() {
		if _, ok := rq.query[sub]; ok {
			present = append(present, sub)
		}
	}
	if len(present) > 1 {
		sort.Strings(present)
		return route{}, s3err.Errorf(s3err.InvalidRequest, "Conflicting sub-resources in the query string: %s", strings.Join(present, ", "))
	}
	sub := ""
	if len(present) == 1 {
		sub = present[0]
	}
	if rt, ok := s.routes[routeKey{rq.r.Method, l, sub}]; ok {
		return rt, nil
	}
	return route{}, s3err.New(s3err.MethodNotAllowed, "").With("Method", rq.r.Method).With("ResourceType", levelName(l, sub))
}

func levelName(l level, sub string) string {
	name := [...]string{"SERVICE", "BUCKET", "OBJECT"}[l]
	if sub != "" {
		name += "?" + sub
	}
	return name
}

func (rq *request) notImplemented() error {
	return s3err.New(s3err.NotImplemented, "")
}
