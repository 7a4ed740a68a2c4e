// Package s3api is wormstore's S3 HTTP layer: an http.Handler that
// authenticates every request with SigV4 (package sigv4), routes it through
// one explicit table and serves it from the engine. Error codes come from one
// table in package s3err; XML documents live in package s3xml.
//
// # Request flow
//
//	ServeHTTP
//	  ├─ x-amz-request-id, x-amz-id-2, Server headers on every response
//	  ├─ parseTarget: bucket and key, path-style ("/bucket/key") or
//	  │  virtual-hosted-style ("bucket.<VirtualHostDomain>/key"); the path is
//	  │  used exactly as sent (decoded once): "//", "." and ".." are key bytes
//	  ├─ request header section > 8 KiB: 400 RequestHeaderSectionTooLarge
//	  ├─ a multipart/form-data POST to a bucket is PostObject: servePost
//	  │  reads the form up to the file and authenticates by its signed
//	  │  policy (sigv4.Verifier.VerifyPost), then the same principal,
//	  │  authorization and handler steps as below
//	  ├─ OPTIONS: CORS preflight, answered from the bucket's CORS rules
//	  │  without authentication (gate op OptionsPreflight; see CORS);
//	  │  other requests with Origin get the matching rule's CORS headers
//	  ├─ sigv4.Verifier.Verify: headers and query only, so a rejected
//	  │  "Expect: 100-continue" upload never sends its body; anonymous
//	  │  requests are 403 AccessDenied
//	  ├─ Config.Principals: who the access key is (a key disabled or
//	  │  deleted since is 403 InvalidAccessKeyId)
//	  ├─ route table lookup on (method, service/bucket/object, sub-resource)
//	  ├─ authorize (see Authorization)
//	  ├─ x-amz-expected-bucket-owner check
//	  └─ handler → engine; any error → s3err.FromError → <Error> document
//
// # Authorization
//
// Without Config.Principals every authenticated caller is root. With it,
// root may do everything a policy could allow (COMPLIANCE retention still
// binds root: the engine enforces it), and a user's request is decided by
// iam.Evaluate over the user's identity policies and the bucket's policy;
// a refusal is 403 AccessDenied (and audited as denied). The action is
// iam.ActionFor(operation, versionId present) on iam.ResourceFor(bucket,
// key), with these extra checks:
//
//   - PutObject, CopyObject, CreateMultipartUpload with
//     x-amz-object-lock-mode/-retain-until-date also need
//     s3:PutObjectRetention, with x-amz-object-lock-legal-hold also
//     s3:PutObjectLegalHold; the s3:object-lock-* keys come from the headers.
//   - CopyObject and UploadPartCopy also need s3:GetObject (or
//     s3:GetObjectVersion) on the source object.
//   - CreateBucket with Object Lock also needs
//     s3:PutBucketObjectLockConfiguration and s3:PutBucketVersioning.
//   - PutObjectLegalHold and PutObjectRetention are checked inside the
//     handler once the XML body is parsed (s3:object-lock-* from the body),
//     before the engine is called.
//   - DeleteObjects is checked per key as DeleteObject(Version); a refused
//     key is an AccessDenied entry.
//   - GetObjectAttributes needs s3:GetObject(Version) as well as
//     s3:GetObject(Version)Attributes, as on AWS.
//   - PostObject (browser form upload) is authorized as s3:PutObject on
//     the form's key, lock fields as for PutObject; the caller is the
//     access key of the form's x-amz-credential.
//   - PutObject, CreateMultipartUpload and CopyObject (with
//     x-amz-tagging-directive REPLACE) carrying x-amz-tagging also need
//     s3:PutObjectTagging; s3:RequestObjectTag/<k> and
//     s3:RequestObjectTagKeys come from the header. PutObjectTagging is
//     checked inside the handler once its body is parsed (the same keys
//     from the body). Object reads and lock/tag/ACL operations on a version
//     see s3:ExistingObjectTag/<k> from its tags. CopyObject copying a
//     tagged source's tags (directive COPY) also needs s3:GetObjectTagging
//     on the source.
//   - x-amz-bypass-governance-retention: true is honoured only if the
//     caller is allowed s3:BypassGovernanceRetention on the object;
//     otherwise the lock applies as if no bypass had been asked for.
//
// Condition keys supplied: aws:SecureTransport, aws:SourceIp,
// aws:CurrentTime, aws:EpochTime, aws:username, aws:userid,
// aws:PrincipalArn, s3:versionid, s3:prefix/s3:delimiter/s3:max-keys on
// listings, the s3:object-lock-* keys and the object-tag keys above.
//
// Bucket policies: PutBucketPolicy (iam.ParseBucketPolicy; 400
// MalformedPolicy with the parser's message; every Resource must lie within
// the bucket), GetBucketPolicy (404 NoSuchBucketPolicy when none),
// DeleteBucketPolicy (204).
//
// The sub-resource is the one query key out of a fixed set (acl,
// attributes, cors, delete, legal-hold, lifecycle, location, object-lock,
// ownershipControls, policy, retention, tagging, uploadId, uploads,
// versioning, versions and the unsupported ones below) present in the
// request; every other query parameter (x-id, prefix, versionId, X-Amz-*…)
// is an argument and never affects routing. Naming two sub-resources is
// 400 InvalidRequest; a method the table does not list for the target is
// 405 MethodNotAllowed. net/http.ServeMux is deliberately not used: it
// redirects paths containing "//", "." or "..".
//
// Request bodies are read through the sigv4 Reader, so payload hashes,
// chunk signatures, trailers, Content-MD5 and x-amz-checksum-* are verified
// before anything is committed: object bodies stream into engine.PutObject /
// UploadPart and the verified checksum reaches the engine through
// PutOptions.Finalize, which fails the write (nothing stored) if the body
// did not verify. XML bodies are capped at Config.MaxXMLBody (default
// 1 MiB; larger is 400 MaxMessageLengthExceeded).
//
// # Supported operations
//
// Service: ListBuckets (prefix, max-buckets, continuation-token).
//
// Buckets: CreateBucket (S3 naming rules → InvalidBucketName;
// LocationConstraint must be empty or the configured region, else
// InvalidLocationConstraint for a malformed value or for "us-east-1" (the
// empty constraint spelled out, refused as by AWS) or
// IllegalLocationConstraintException; x-amz-bucket-object-lock-enabled;
// an existing bucket is 200 when the server's region is us-east-1 and 409
// BucketAlreadyOwnedByYou in any other region, as AWS), HeadBucket
// (x-amz-bucket-region), DeleteBucket (409 BucketNotEmpty while any version
// or delete marker remains; in-progress multipart uploads of an otherwise
// empty bucket are aborted, each abort audited under DeleteBucket, as AWS
// deletes them), GetBucketLocation,
// Put/GetBucketVersioning (409 InvalidBucketState when suspending an Object
// Lock bucket; MfaDelete Enabled is 501), Put/GetObjectLockConfiguration
// (Days or Years; 404 ObjectLockConfigurationNotFoundError without lock;
// 409 InvalidBucketState unless versioning is Enabled; MalformedXML for bad
// documents), Put/Get/DeleteBucketTagging (≤ 50 tags; 404 NoSuchTagSet),
// Get/PutBucketAcl, Get/Put/DeleteBucketOwnershipControls,
// Put/Get/DeleteBucketCors (404 NoSuchCORSConfiguration).
//
// Lifecycle (s3api/lifecycle.go, package lifecycle applies the rules):
// PutBucketLifecycleConfiguration (Content-MD5 or x-amz-checksum-*
// required: 400 InvalidRequest; up to 1000 rules, else InvalidRequest;
// Rule ID ≤ 255 and unique, else InvalidArgument; a missing ID is
// generated; Status Enabled/Disabled; Filter with exactly one of Prefix,
// Tag, And{Prefix, Tags, ObjectSizeGreaterThan, ObjectSizeLessThan},
// ObjectSizeGreaterThan, ObjectSizeLessThan, or the legacy top-level
// Prefix — both or neither is MalformedXML; Expiration with exactly one of
// Days, Date (midnight UTC, else InvalidArgument "'Date' must be at
// midnight GMT") and ExpiredObjectDeleteMarker; NoncurrentVersionExpiration
// {NoncurrentDays, NewerNoncurrentVersions ≤ 100};
// AbortIncompleteMultipartUpload{DaysAfterInitiation} (not with Tag or
// size filters: InvalidRequest); non-positive numbers are InvalidArgument
// "'X' for Y action must be a positive integer"; a rule without an action
// is InvalidRequest; Transition and NoncurrentVersionTransition are
// refused with 400 InvalidStorageClass, since there is one storage class),
// GetBucketLifecycleConfiguration (404 NoSuchLifecycleConfiguration when
// none; x-amz-transition-default-minimum-object-size answered, without
// effect), DeleteBucketLifecycle (204, also when there was none). IAM:
// s3:PutLifecycleConfiguration (Put and Delete), s3:GetLifecycleConfiguration.
//
// Objects: PutObject, GetObject, HeadObject, DeleteObject, DeleteObjects,
// CopyObject, Put/GetObjectRetention, Put/GetObjectLegalHold,
// Put/Get/DeleteObjectTagging (versionId, x-amz-version-id; see Tagging),
// Get/PutObjectAcl (see ACLs), GetObjectAttributes (x-amz-object-attributes: ETag
// (unquoted), Checksum, ObjectParts with x-amz-max-parts and
// x-amz-part-number-marker pages and each part's checksum of the object's
// algorithm, StorageClass, ObjectSize; versionId; Last-Modified and
// x-amz-version-id headers; a missing or unknown attribute is 400
// InvalidArgument; delete markers answer as GetObject), PostObject (see
// "Browser POST uploads").
//
// # Browser POST uploads
//
// A POST to a bucket with a multipart/form-data body (postpolicy.go): the
// fields before the file (at most 20 KiB, else
// MaxPostPreDataLengthExceededError; fields after the file are ignored)
// carry key (with ${filename} replaced by the file's name), policy
// (base64 JSON: expiration, conditions), x-amz-algorithm
// (AWS4-HMAC-SHA256), x-amz-credential, x-amz-date and x-amz-signature
// (hex HMAC-SHA256 of the base64 policy under the scope's signing key;
// sigv4.Verifier.VerifyPost). Conditions: {"field": "value"}, ["eq",
// "$field", "value"], ["starts-with", "$field", "prefix"] (for
// Content-Type each comma-separated type), ["content-length-range", min,
// max]; field names are case-insensitive; $key is the key after
// ${filename}, $bucket the request's bucket. Every field but policy,
// x-amz-signature, file and x-ignore-* must be named by a condition. The
// fields Content-Type (the file part's own header is ignored, as by S3),
// Cache-Control,
// Content-Disposition, Content-Encoding, Content-Language, Expires,
// Content-MD5, x-amz-meta-*, x-amz-storage-class,
// x-amz-website-redirect-location, x-amz-object-lock-mode,
// -retain-until-date, -legal-hold (with an integrity field: Content-MD5
// or x-amz-checksum-*), x-amz-checksum-<alg> (verified) and
// x-amz-checksum-algorithm mean what the PutObject headers mean. Answers:
// success_action_redirect (or redirect) → 303 to it with bucket, key and
// etag; else success_action_status 200, 201 (PostResponse document:
// Location, Bucket, Key, ETag) or 204 (default); ETag, Location and (non-
// null versions) x-amz-version-id headers. Errors as AWS: no policy nor
// signature is anonymous (403 AccessDenied); a missing auth field or key
// is 400 InvalidArgument; a bad signature 403 SignatureDoesNotMatch; an
// undecodable policy 400 InvalidPolicyDocument; an expired policy, a
// failed condition or an extra field 403 AccessDenied "Invalid according
// to Policy: …"; outside content-length-range 400 EntityTooLarge /
// EntityTooSmall (nothing stored); no file 400
// IncorrectNumberOfFilesInPostRequest; a broken form 400
// MalformedPOSTRequest; a POST to a bucket that is not a form 412
// PreconditionFailed. The tagging field (a Tagging document, AWS's tag
// rules, s3:PutObjectTagging as for x-amz-tagging) tags the object; the
// acl field is x-amz-acl (see ACLs).
//
// Tagging (tagging.go): tags are stored per version (engine tags) and may
// change under retention or legal hold, as on AWS. x-amz-tagging
// (URL-encoded query form) on PutObject, CreateMultipartUpload and
// CopyObject with x-amz-tagging-directive REPLACE (COPY, the default,
// keeps the source version's tags); GET/HEAD answer x-amz-tagging-count.
// AWS's limits and messages (400 InvalidTag): ≤ 10 tags per object, ≤ 50
// per bucket, keys 1-128 and values ≤ 256 UTF-16 units of letters, digits,
// white space and + - = . _ : / @, no duplicate keys, no "aws:" prefix;
// a document without TagSet, Key or Value is MalformedXML. Tagging a key
// whose current version is a delete marker is 404 NoSuchKey; a delete
// marker by version id is 405 MethodNotAllowed.
//
// ACLs (acl.go) behave as on an AWS bucket with Object Ownership
// BucketOwnerEnforced, the default for new AWS buckets: GetBucketAcl and
// GetObjectAcl answer the owner (as ListBuckets reports it) with
// FULL_CONTROL; PutBucketAcl, PutObjectAcl and the x-amz-acl /
// x-amz-grant-* headers of PutObject, CopyObject and CreateMultipartUpload
// accept only the owner's full control (private, bucket-owner-full-control,
// x-amz-grant-full-control: id="<owner>", or the equivalent document) and
// refuse anything else with 400 AccessControlListNotSupported; CreateBucket
// refuses such an ACL with 400 InvalidBucketAclWithObjectOwnership.
// GetBucketOwnershipControls answers BucketOwnerEnforced (404
// OwnershipControlsNotFoundError after DeleteBucketOwnershipControls);
// PutBucketOwnershipControls and CreateBucket's x-amz-object-ownership
// accept only BucketOwnerEnforced (ObjectWriter and BucketOwnerPreferred
// are 400 InvalidArgument: ACLs are not implemented).
//
// CORS (cors.go): PutBucketCors validates as AWS (1-100 rules, each with
// an AllowedMethod of GET, PUT, POST, DELETE, HEAD and an AllowedOrigin;
// at most one '*' per AllowedOrigin/AllowedHeader). A preflight OPTIONS
// needs Origin and Access-Control-Request-Method (else 400 BadRequest);
// the first rule matching origin, method and every
// Access-Control-Request-Headers entry answers 200 with
// Access-Control-Allow-Origin (the origin, or "*" for a "*" rule),
// -Allow-Methods, -Allow-Headers, -Max-Age, -Expose-Headers,
// -Allow-Credentials and Vary; otherwise 403 AccessForbidden
// ("CORSResponse: …", also for a bucket without CORS or that does not
// exist). Actual requests carrying Origin get the same headers from the
// first rule matching origin and method, error answers included.
//
// Veeam SOSAPI (sosapi.go): a bucket switched on with `wormstore admin
// sosapi enable` (its ConfigSOSAPI document) serves
// .system-d26a9498-cb7c-4a87-a44a-8ae204f5ba6c/system.xml and capacity.xml
// to GetObject/HeadObject (s3:GetObject applies) and lists them in
// ListObjects/V2 of their folder.
//
// Listing: ListObjects (V1: prefix, delimiter, marker, NextMarker,
// max-keys ≤ 1000), ListObjectsV2 (continuation-token = base64url of the
// last key or prefix returned, start-after, fetch-owner, KeyCount),
// ListObjectVersions (key-marker, version-id-marker, delimiter, IsLatest,
// <DeleteMarker> entries in order with <Version>, "null" version ids,
// NextKeyMarker/NextVersionIdMarker). encoding-type=url encodes Key,
// Prefix, Delimiter, StartAfter, Marker, NextMarker, KeyMarker,
// NextKeyMarker and CommonPrefixes (every byte but A-Z a-z 0-9 - . _ ~ /).
// max-keys=0 answers an empty page.
//
// Multipart: CreateMultipartUpload (metadata, lock headers,
// x-amz-checksum-algorithm and x-amz-checksum-type with S3's allowed
// combinations), UploadPart, UploadPartCopy (x-amz-copy-source-range),
// CompleteMultipartUpload (absolute Location: scheme and Host as the
// request reached the server, path-style or virtual-hosted as used;
// x-amz-mp-object-size must equal the parts' total, else 400
// InvalidRequest; repeating the Complete of an upload that completed,
// with the same parts, answers 200 with the same result and writes
// nothing, as long as the version it made exists), AbortMultipartUpload,
// ListParts, ListMultipartUploads.
//
// # Headers
//
// PutObject, CopyObject (REPLACE) and CreateMultipartUpload store
// Content-Type, x-amz-meta-* (≤ 2 KiB, else MetadataTooLarge),
// Cache-Control, Content-Disposition, Content-Encoding (without
// "aws-chunked"), Content-Language, Expires and
// x-amz-website-redirect-location (starting with "/", "http://" or
// "https://", ≤ 2 KiB, else 400 InvalidRedirectLocation; returned on
// GET/HEAD; not carried over by CopyObject, which may set one, as AWS),
// and honour
// x-amz-object-lock-mode + x-amz-object-lock-retain-until-date (both or
// neither) and x-amz-object-lock-legal-hold. PutObject and
// CompleteMultipartUpload honour If-None-Match: * and If-Match (412
// PreconditionFailed). Content-MD5 and one x-amz-checksum-{crc32, crc32c,
// crc64nvme, sha1, sha256, sha512, md5, xxhash64, xxhash3, xxhash128}, in
// a header or an aws-chunked trailer, are verified (400 BadDigest) and
// stored; without one, CRC64NVME is computed and stored, as S3 does. The
// values are base64 of the big-endian digest: MD5 16 bytes (of the whole
// object, unlike the ETag of a multipart object), SHA512 64, XXHASH64
// and XXHASH3 8, XXHASH128 16 (high half first). User metadata names are
// returned lower case, as stored ("x-amz-meta-foo"), as AWS.
//
// A PutObject with lock headers needs an integrity signal (Content-MD5, an
// x-amz-checksum-* header or trailer, or a signed payload: a hex
// x-amz-content-sha256 or signed aws-chunked), else 400 InvalidRequest.
// This is AWS's rule relaxed as the notes recommend: minio-go over plain
// HTTP signs every chunk but sends no Content-MD5. DeleteObjects,
// PutObjectRetention, PutObjectLegalHold and PutObjectLockConfiguration
// require Content-MD5 or an x-amz-checksum-* header/trailer (AWS since
// 2025). Uploads that only inherit a bucket's default retention need no
// integrity signal (AWS would ask for one; restic-style clients rely on
// default retention).
//
// GetObject/HeadObject: versionId; Range (one range; 206 + Content-Range;
// unsatisfiable is 416 InvalidRange with "Content-Range: bytes */size";
// malformed or multiple ranges serve the whole object: "bytes= -1", with
// a space, is malformed, not a suffix range; a suffix range of an empty
// object is the whole, empty object, 200); partNumber (206,
// x-amz-mp-parts-count; 416 InvalidPartNumber; not with Range);
// If-Match, If-Unmodified-Since, If-None-Match, If-Modified-Since in RFC 9110
// order (412 / 304); response-content-type, -content-language, -expires,
// -cache-control, -content-disposition, -content-encoding; lock headers
// (x-amz-object-lock-mode, -retain-until-date, -legal-hold); ETag quoted;
// Last-Modified; x-amz-checksum-* and x-amz-checksum-type only with
// x-amz-checksum-mode: ENABLED and never for ranged or part GETs.
// A latest version that is a delete marker is 404 NoSuchKey with
// x-amz-delete-marker: true and its x-amz-version-id; a version id naming
// a delete marker is 405 MethodNotAllowed with the same headers.
//
// x-amz-version-id is returned for version ids, and "null" only on buckets
// whose versioning has ever been enabled; a write that made a null
// version (PutObject, CopyObject, CompleteMultipartUpload, PostObject on
// an unversioned or Suspended bucket) answers none, as AWS.
// x-amz-expected-bucket-owner (and, on copies,
// x-amz-source-expected-bucket-owner) other than the server's account id
// (identity.AccountID, "000000000000") is 403 AccessDenied. DeleteObject answers 204 with
// x-amz-delete-marker / x-amz-version-id; a version id that names nothing is
// 204 (as AWS); x-amz-bypass-governance-retention: true lets a caller
// allowed s3:BypassGovernanceRetention bypass GOVERNANCE retention (also
// needed to change GOVERNANCE to COMPLIANCE while it is in force).
// COMPLIANCE retention and legal holds are never bypassed (403
// AccessDenied). DeleteObjects (≤ 1000
// keys, Quiet) attempts every key and reports failures as per-key <Error>
// in a 200 answer.
//
// CopyObject: x-amz-copy-source ("bucket/key[?versionId=]", URL-encoded),
// x-amz-metadata-directive COPY (default) or REPLACE, the four
// x-amz-copy-source-if-* conditions (412), lock headers for the new
// version, x-amz-checksum-algorithm; copying an object onto itself with
// COPY and no source version is 400 InvalidRequest; a source version id
// naming a delete marker is 400 InvalidRequest. The data is streamed
// through a new checksum (and, for a whole source with a stored full-object
// checksum of the same algorithm, checked against it).
//
// Multipart checksums: each part's checksum (client-sent or computed with
// the upload's algorithm, else CRC64NVME) is stored; parts sent with
// another algorithm than the upload's are 400 InvalidRequest. Complete
// checks the ChecksumXXX elements of the request against the stored parts
// (InvalidPart) and stores COMPOSITE base64(hash(concat(raw part
// checksums)))-N or FULL_OBJECT (the CRC of the whole object, combined from
// the part CRCs); an x-amz-checksum-* header on Complete must equal that
// value, a COMPOSITE one with or without its "-N" (BadDigest), and
// x-amz-checksum-type on Complete must be the upload's (InvalidRequest).
// An upload created without an algorithm gets the FULL_OBJECT CRC its
// parts share (CRC64NVME by default). Allowed at Create: CRC32/CRC32C
// COMPOSITE or FULL_OBJECT, CRC64NVME FULL_OBJECT only, SHA1, SHA256,
// SHA512, XXHASH64, XXHASH3, XXHASH128 COMPOSITE only; MD5 is refused
// (400 InvalidRequest: a whole-object MD5 cannot be derived from parts).
//
// # Not implemented (501 NotImplemented)
//
// Sub-resources accelerate, analytics, encryption, intelligent-tiering,
// inventory, logging, metadataTable, metrics, notification, policyStatus,
// publicAccessBlock, renameObject, replication, requestPayment, restore,
// select, session, torrent, website (router.go's unsupportedSubResources),
// with any method on a bucket or an object; on acl, attributes, cors,
// lifecycle, ownershipControls and tagging, every method and level the
// route table does not list: POST and HEAD on all of them, DELETE on acl,
// PUT and DELETE on an object's attributes, any method on an object's
// lifecycle, cors or ownershipControls and on a bucket's attributes;
// server-side encryption headers (x-amz-server-side-encryption*, SSE-C);
// MFA Delete; If-None-Match other than "*" on PutObject. SigV2 (headers, presigned URLs, POST
// policies) is not supported (400). x-amz-storage-class is accepted for the
// known S3 classes and ignored (objects are reported as STANDARD).
//
// # Errors
//
// Every error is an S3 <Error> document with Code, Message, the code's
// extra elements (BucketName, Key, Condition, …), Resource, RequestId and
// HostId, and AWS's status for the code; HEAD and 304 answers carry no
// body. As AWS: InvalidAccessKeyId names the key (AWSAccessKeyId),
// InvalidArgument names the argument (ArgumentName, ArgumentValue) for
// bad lock headers, part numbers, markers and the like, an empty body
// where one is required is MissingRequestBodyError (CompleteMultipartUpload:
// MalformedXML), a malformed aws-chunked trailer section
// MalformedTrailerError, a short body IncompleteBody, and a request
// header section above 8 KiB 400 RequestHeaderSectionTooLarge, answered
// before authentication (net/http's own MaxHeaderBytes, 1 MiB by default,
// is above it). Server errors (5xx) are logged with the request id. Disk full is
// 507 InsufficientStorage (AWS has no code for it; see package s3err).
//
// # Logging
//
// One Info line per request ("s3 request": request_id, op, method, bucket,
// key, version, status, bytes_out, duration, access_key, user, err).
//
// # Audit
//
// Every request goes through the gate (package gate): one gate.Scope per
// request. A mutation's entry is written by the engine in the mutation's
// own commit, from what it did (version, old and new lock state, bypass
// exercised), durable before the WAL record. Denied (403) requests and
// failed mutating requests get their entry from Scope.Finish, written and
// anchored in the WAL just before the status line is sent. DeleteObjects
// writes one entry per key with its outcome. Successful reads, lock-state
// reads included, are not audited. Unauthenticated refusals are
// rate-limited per source address into AnonymousDenialsSummarized entries,
// and every field is truncated (engine.AuditMaxKey). If the entry cannot be
// written the request is not carried out and the answer is 503
// ServiceUnavailable (engine.ErrAuditFailed; sticky until restart).
//
// A Server is safe for concurrent use.
package s3api
