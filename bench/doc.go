// Package bench measures the raw limits of the disk under a directory, so
// that storage-engine benchmarks can report their figures as a fraction of
// what the hardware allows rather than as bare numbers that mean nothing
// on another machine.
//
// Two limits matter to a durable object store:
//
//   - SeqWriteBandwidth: large sequential writes followed by one fdatasync,
//     the ceiling for large-object puts.
//   - SerialFsyncRate: one small append followed by fdatasync, repeated by a
//     single writer, the ceiling for small durable puts without group
//     commit.
//
// The probes go through pebble's vfs.Default, the same file layer (and so
// the same system calls: write, fdatasync) the engine uses on a real
// directory. They write random data, so that neither compressing nor
// deduplicating storage can flatter them.
//
// The package also holds the load generator behind `wormstore bench`
// (load.go, report.go, html.go): warp's workloads (put, get, stat, list,
// delete, mixed, multipart, versioned, retention, legalhold) against any S3
// endpoint through aws-sdk-go-v2, so checksums and signing are on the
// measured path, with warp's summary vocabulary, --json and a
// self-contained --html report. s3_bench_test.go compares the HTTP + SigV4
// path with the engine in the same process.
//
// Only cmd/wormstore (the bench command) and tests import this package.
package bench
