// Package identity keeps wormstore's users: their access keys (with
// secrets) and the IAM identity policies attached to them, plus the root
// credentials from the server's configuration.
//
// Everything lives in one JSON file inside the data directory
// (conventionally <data>/identities.json), rewritten atomically on every
// change: written to a temporary file with mode 0600, synced, renamed over
// the old file, and the directory synced. The file holds secrets; it is
// never logged, and neither are secrets.
//
// A Store is safe for concurrent use. Changes take effect at once: a
// disabled or deleted access key fails the next Lookup. Store implements
// sigv4.CredentialStore (Lookup) and gives the S3 layer the Principal an
// access key stands for, with its parsed policies.
//
// The layout of the file (version 1):
//
//	{"version": 1,
//	 "users": {"<name>": {
//	   "created": "<RFC 3339>",
//	   "keys": [{"accessKey": "…", "secretKey": "…", "status": "Active"|"Inactive", "created": "…"}],
//	   "policies": {"<policy name>": <policy document>}}}}
package identity
