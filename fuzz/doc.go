// Package fuzz holds the project's fuzz targets:
//
//   - FuzzEngineModel: operations (puts, deletes, retention and legal-hold
//     changes, clock rewinds, compaction, crashes) against the engine and a
//     model; no protected version may ever be lost or altered.
//   - FuzzSegmentReader, FuzzWALReplay: hostile segment and WAL files.
//   - FuzzChunkedReader, FuzzAuthHeader: the SigV4 aws-chunked decoder and
//     Authorization parser.
//   - FuzzS3XML: every S3 XML request decoder.
//   - FuzzRetainUntilHTTP, FuzzChunkedPutHTTP: the s3api handler, driven
//     with httptest, given arbitrary retain-until dates and modes (retention
//     body, PutObject and CreateMultipartUpload headers) and arbitrary
//     aws-chunked bodies (also ending in a transport error); never a panic,
//     never a 5xx for client input.
//   - FuzzPolicy: IAM policy parsing and evaluation.
//
// Run one with `go test -run '^$' -fuzz '^FuzzName$' -fuzztime 30s ./fuzz/`;
// the seed corpus under testdata/fuzz runs with every `go test`, and
// `make test` gives each target a short coverage-guided run.
package fuzz
