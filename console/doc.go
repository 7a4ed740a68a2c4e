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
// Every action goes through Console.authorize(request, principal, action,
// resource, condition keys), with S3 action names ("s3:PutObject", …),
// ARNs as resources and the condition keys the same S3 call would carry
// (s3:object-lock-legal-hold ON/OFF, s3:object-lock-mode, retain-until and
// remaining days, s3:prefix, s3:versionid, aws:SourceIp, aws:CurrentTime,
// …). With Config.Principals set (identity.Store in the server) it
// evaluates the principal's identity policies and the bucket policy with
// iam.Evaluate, exactly as the S3 API does; root is allowed everything.
// Policy changes and disabled keys take effect on the next request.
// Refusals answer 403 in words ("You are not allowed to turn the legal hold
// OFF: …"); controls a principal may not use, such as the GOVERNANCE bypass
// checkbox, are not shown. The bucket list needs s3:ListAllMyBuckets; the
// overview's server-wide figures need wormstore:GetStorageStats (root).
//
// The console imports engine, iam and identity (and sigv4 for the
// credential store) and knows nothing of cmd. A Handler is safe for concurrent use.
package console
