package bench_test

import "github.com/cockroachdb/pebble/v2/vfs"

func readDir(dir string) ([]string, error) { return vfs.Default.List(dir) }
