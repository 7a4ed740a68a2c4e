// Package sigv4 is the server side of AWS Signature Version 4 for S3: it
// authenticates requests and decodes and verifies their bodies. It knows
// nothing of buckets, objects or HTTP error documents; s3api maps the
// sentinel errors of errors.go to S3 error codes in its one table.
//
// # Use
//
//	v := &sigv4.Verifier{Region: "us-east-1", Creds: store} // Service "s3", Clock time.Now, MaxSkew 15m
//	rq, err := v.Verify(r)          // headers and query only; never reads the body
//	body, err := rq.Body(r.Body)    // checksum-header errors surface here
//	n, err := engine.Put(ctx, ..., body) // stream; discard the write unless Read ended in io.EOF
//	res, err := body.Result()       // Size, MD5 (ETag), Checksum{Algorithm, Value}
//
// Bytes read from the Reader are not trustworthy until it returns io.EOF:
// chunk signatures, payload hashes and checksums are checked as the data
// streams, and the last of them only at the end.
//
// # Authentication
//
// Two mechanisms are accepted, never both at once:
//
//   - Header: "Authorization: AWS4-HMAC-SHA256 Credential=AK/YYYYMMDD/region/s3/aws4_request,
//     SignedHeaders=h1;h2, Signature=hex", the time in X-Amz-Date (or a signed Date header),
//     the payload hash in x-amz-content-sha256 (required). The request time must be within
//     MaxSkew of the clock in both directions.
//   - Presigned query: X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date, X-Amz-Expires (1..604800
//     seconds, enforced with the clock), X-Amz-SignedHeaders, X-Amz-Signature; the payload
//     hash is UNSIGNED-PAYLOAD unless an X-Amz-Content-Sha256 parameter says otherwise.
//
// The scope date must be the day of the request time, the region must be
// Verifier.Region and the service Verifier.Service. Every x-amz-* header of
// the request must be signed. The signature is compared in constant time
// (hmac.Equal); derived signing keys are cached per (access key, date,
// region, service) in a bounded, concurrency-safe cache that never serves a
// key derived from a rotated secret.
//
// The canonical request is
//
//	<method>\n<canonical URI>\n<canonical query>\n<canonical headers>\n<signed headers>\n<payload hash>
//
// Canonical URI: the path as the client sent it (r.RequestURI, else
// r.URL.EscapedPath), percent-decoded and re-encoded with AWS UriEncode
// (unreserved A-Z a-z 0-9 - . _ ~ kept, '/' kept, all else %XX uppercase),
// an encoded slash staying %2F. There is no dot-segment or "//"
// normalisation: S3 keys contain them. Two alternative forms are tried
// when the first does not match: the raw path exactly as sent, and the
// decoding in which %2F becomes '/'. They all name the same key.
// Canonical query: pairs decoded ('+' is a space) and re-encoded with
// UriEncode ("%20", never '+'), sorted by encoded name then value; a bare
// name gets "="; presigned requests leave out X-Amz-Signature.
// Canonical headers: the client's SignedHeaders in its order, each
// "name:value\n" with values trimmed, runs of spaces collapsed and repeats
// joined by ','; host comes from r.Host.
//
// # Payload modes (x-amz-content-sha256)
//
//	UNSIGNED-PAYLOAD                            Unsigned: body as is
//	<64 hex digits>                             SignedSHA256: SHA-256 checked at EOF
//	STREAMING-AWS4-HMAC-SHA256-PAYLOAD          StreamingSigned: aws-chunked, signed chunks
//	STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER  StreamingSignedTrailer: signed chunks, signed trailer
//	STREAMING-UNSIGNED-PAYLOAD-TRAILER          StreamingUnsignedTrailer: unsigned chunks and trailer
//
// SigV4a (STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD…) is rejected with
// ErrUnsupportedPayload. The streaming modes require
// x-amz-decoded-content-length, the decoded size, checked exactly. The
// framing follows from x-amz-content-sha256 alone: "Content-Encoding:
// aws-chunked" is expected but not required, and s3api stores
// Content-Encoding through StripAWSChunked.
//
// # aws-chunked wire format
//
// Signed chunks (each signature chains the previous one, starting from the
// request signature, the "seed"):
//
//	<hex size>;chunk-signature=<64 hex>\r\n
//	<size bytes of data>\r\n
//	...
//	0;chunk-signature=<64 hex>\r\n
//	[trailers, signed-trailer mode only]
//	\r\n
//
// with the chunk string-to-sign
//
//	AWS4-HMAC-SHA256-PAYLOAD\n<X-Amz-Date>\n<scope>\n<previous signature>\n
//	e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n<hex sha256(data)>
//
// Trailers follow the zero-size chunk, one "name:value\r\n" per line; in
// the signed-trailer mode the last one is "x-amz-trailer-signature:<64 hex>\r\n"
// over
//
//	AWS4-HMAC-SHA256-TRAILER\n<X-Amz-Date>\n<scope>\n<final chunk signature>\n
//	<hex sha256 of the trailers, each as "name:value\n">
//
// Unsigned chunks are "<hex size>\r\n<data>\r\n", ended by "0\r\n", the
// trailers and "\r\n". Blank lines after the zero chunk are ignored (clients
// disagree on whether a CRLF precedes the trailers). Limits: a chunk-header
// or trailer line is at most 4096 bytes, a chunk size at most 16 hex digits
// and never beyond the remaining decoded length, at most 32 lines follow
// the final chunk. Chunk data is streamed, never buffered, so memory per
// request is the 32 KiB read buffer whatever the input.
//
// # Checksums
//
// Content-MD5 (base64 of 16 bytes) and one x-amz-checksum-{crc32, crc32c,
// crc64nvme, sha1, sha256} value (base64 of the big-endian digest), sent
// as a header or as the trailer declared by x-amz-trailer, are verified at
// EOF (ErrBadDigest). x-amz-sdk-checksum-algorithm must agree with them.
// Without a client checksum the Reader computes CRC64NVME, as S3 does, so
// the caller can store and return it (BodyWithDefault picks another
// algorithm, e.g. the one a multipart upload was created with).
// Request.ChecksumRequest shows what the headers asked for before the body
// is read. Checksums and ParseChecksumHeaders are exported for bodies that
// do not come through Verify.
//
// # Concurrency
//
// A Verifier is safe for concurrent use once configured; a Request is
// immutable; a Reader belongs to one goroutine.
package sigv4
