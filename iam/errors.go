package iam

import "errors"

// Sentinel errors returned by this package. Parse wraps them in a
// *MalformedError that names the problem; match them with errors.Is.
var (
	// ErrMalformedPolicy reports a policy document that is not valid JSON,
	// does not follow the IAM policy grammar, or is larger than the size
	// cap. The S3 layer maps it to MalformedPolicy (400).
	ErrMalformedPolicy = errors.New("iam: malformed policy")

	// ErrPolicyTooLarge reports a document larger than ParseOptions.MaxSize.
	// Errors that match it also match ErrMalformedPolicy.
	ErrPolicyTooLarge = errors.New("iam: policy too large")
)

// MalformedError is the error Parse returns for a rejected document. Msg
// names the problem and where it is, using zero-based statement indexes, e.g.
// "Statement[1].Effect must be Allow or Deny"; it is safe to show to the
// client (it never echoes more than the offending token). A MalformedError
// matches ErrMalformedPolicy, and also ErrPolicyTooLarge when the document
// exceeded the size cap.
type MalformedError struct {
	Msg string

	tooLarge bool
}

// Error implements error.
func (e *MalformedError) Error() string { return "iam: malformed policy: " + e.Msg }

// Unwrap makes errors.Is match ErrMalformedPolicy (and ErrPolicyTooLarge).
func (e *MalformedError) Unwrap() []error {
	if e.tooLarge {
		return []error{ErrMalformedPolicy, ErrPolicyTooLarge}
	}
	return []error{ErrMalformedPolicy}
}
