package identity

import "errors"

// Sentinel errors returned by Store. Match them with errors.Is; the admin
// API maps each to one HTTP status.
var (
	// ErrUserExists: CreateUser with a name already taken.
	ErrUserExists = errors.New("identity: user already exists")
	// ErrNoSuchUser: the user does not exist.
	ErrNoSuchUser = errors.New("identity: no such user")
	// ErrInvalidName: a user or policy name that is empty, too long or
	// has characters outside [A-Za-z0-9+=,.@_-], or the reserved name of
	// the root user.
	ErrInvalidName = errors.New("identity: invalid name")
	// ErrNoSuchAccessKey: the access key does not exist or belongs to
	// another user.
	ErrNoSuchAccessKey = errors.New("identity: no such access key")
	// ErrNoSuchPolicy: no policy of that name is attached to the user.
	ErrNoSuchPolicy = errors.New("identity: no such policy")
	// ErrCorrupt: the identities file does not decode.
	ErrCorrupt = errors.New("identity: corrupt identities file")
)
