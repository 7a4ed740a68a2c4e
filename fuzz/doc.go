// Package fuzz holds the project's fuzz targets: the segment reader, WAL
// replay and the model-based deletion-invariant fuzzer for the engine. Run
// one with `go test -run '^$' -fuzz '^FuzzName$' -fuzztime 30s ./fuzz/`;
// the seed corpus under testdata/fuzz runs with every `go test`.
package fuzz
