// Package console is wormstore's web console: server-rendered pages
// (html/template) with a little JavaScript, for the tasks Object Lock users
// do beside the S3 API — sign in, create buckets with Object Lock and a
// default retention, browse, upload, download and delete objects, list
// versions and delete markers with their lock state, and change an object's
// retention and legal hold.
//
// All assets are embedded; the console needs no CDN and no build step.
//
// # Security
//
// Sign-in takes an access key and secret key, checked against a
// sigv4.CredentialStore with a constant-time compare. Failed sign-ins are
// limited per client IP (Config.MaxFailures per minute, then 429). A
// session is a random 256-bit id in an HttpOnly, SameSite=Strict cookie
// (Secure when Config.Secure); it expires after Config.IdleTimeout without
// use and Config.MaxAge after sign-in. Every POST carries the session's
// CSRF token (form field "csrf" or header X-CSRF-Token); the sign-in form
// itself uses a double-submit cookie.
//
// # Authorisation
//
// Every action goes through Console.authorize(principal, action, resource),
// with S3 action names ("s3:PutObject", …) and ARNs as resources. Only the
// root principal exists today and it is allowed everything; the IAM work
// replaces this one hook with the policy evaluation the S3 API uses.
//
// The console imports engine (and sigv4 for the credential store) and knows
// nothing of cmd. A Handler is safe for concurrent use.
package console
