// Package s3xml holds the XML documents of the S3 API: the request bodies
// the server decodes (CompleteMultipartUpload, Delete, Retention, LegalHold,
// ObjectLockConfiguration, VersioningConfiguration,
// CreateBucketConfiguration) and the response documents it encodes.
//
// Decoders take the whole (size-capped) body and return a checked value or
// an *s3err.Error (MalformedXML, InvalidArgument); they never panic on any
// input (see FuzzS3XML). Element names are matched without namespace, so
// documents with and without xmlns="http://s3.amazonaws.com/doc/2006-03-01/"
// both decode. Response documents declare that namespace on the root.
package s3xml
