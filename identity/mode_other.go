//go:build !unix

package identity

import "github.com/cockroachdb/pebble/v2/vfs"

// restrictMode is a no-op where file modes do not exist.
func restrictMode(vfs.File) error { return nil }
