// Package s3api is wormstore's S3 HTTP layer: a hand-written http.Handler
// that authenticates every request with SigV4 (package sigv4), routes it by
// one explicit table keyed on (method, service/bucket/object level,
// sub-resource query key), and serves it from the engine.
//
// See the full list of operations and headers further down in this file.
package s3api
