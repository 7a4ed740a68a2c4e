// Package wal implements the write-ahead log of metadata mutations. The
// payloads are opaque here; the engine encodes them. The log frames each
// record with a length and a checksum, rotates between files, batches
// concurrent commits into one fsync (group commit), and on Open recovers
// the durable prefix: it stops cleanly at a torn record and never replays a
// partial one. All file I/O goes through a pebble vfs.FS.
//
// # Files
//
// Options.Dir holds the log files, each named after the LSN of its first
// record as 16 lower-case hex digits plus ".wal" (0000000000000001.wal), and
// the lock file wal.lock. LSNs are contiguous across files: a file starts at
// the LSN after the last record of its predecessor, and the first file
// starts at 1, or at the LSN the RETIRED marker names once Retire moved
// older files to the archive/ subdirectory (see retire.go). The log never
// deletes a file holding records.
//
// All integers are little-endian. A file starts with a 28-byte header:
//
//	+---------------+-----------+---------------+---------------+
//	| magic (8)     | version   | first LSN     | xxh64 (8)     |
//	| "WORMWAL1"    | u32 = 1   | u64           | of bytes 0-19 |
//	+---------------+-----------+---------------+---------------+
//	 0               8           12              20              28
//
// followed by records, back to back, up to the end of the file:
//
//	+------------+------------+-----------------+------------------+
//	| length u32 | LSN u64    | xxh64 u64       | payload          |
//	|            |            | of bytes 0-11   | (length bytes)   |
//	|            |            | then payload    |                  |
//	+------------+------------+-----------------+------------------+
//	 0            4            12                20
//
// The checksum is xxh64 (seed 0) over the 12 bytes of length and LSN
// followed by the payload. length is at most MaxPayloadSize (16 MiB); a
// reader rejects a larger value before allocating, and never allocates more
// than the bytes left in the file. A record is valid only if its checksum
// matches and its LSN is its predecessor's plus one (the file's first LSN
// for the first record). The constants fileMagic, formatVersion,
// fileHeaderSize, recordHeaderSize, MaxPayloadSize and fileSuffix define
// this format; do not change them. testdata/v1 holds files in this format
// that must keep decoding.
//
// # Writing
//
// Append encodes a record into an in-memory buffer. Sync makes records
// durable: the first caller that finds no batch being prepared becomes the
// leader, takes the whole buffer, runs Options.BeforeSync (the engine
// fsyncs the data and audit entries the records point at), waits until the
// previous batch's write has ended, then writes the batch and syncs it with
// one fdatasync, while other callers wait and new Appends fill a fresh
// buffer. So one batch's BeforeSync overlaps the previous batch's write and
// fdatasync (a two-stage pipeline); batches are written in LSN order, and
// a batch prepared behind a failed one is not written. A file exceeds SegmentSize by at most one batch. When the current
// file has reached SegmentSize, the next batch starts a new file (the old
// one was fully synced by the batch that filled it): create, write header
// and batch, fsync the file, fsync the directory, and only then report the
// batch durable. Hence every file but the newest is complete and synced, and
// only the newest can have a torn tail or a torn header. A write or fsync
// error is sticky (ErrFailed): it is returned to every waiter of the batch
// and the log refuses further work.
//
// # Recovery
//
// Open first scans the files in LSN order without modifying anything. In
// every file but the newest, any invalid header or record, or trailing
// bytes, is corruption; so is a missing or overlapping file (an LSN gap).
// In the newest file the valid prefix ends at the first invalid record,
// and the bytes from there on are either a torn write (an incomplete final
// batch, which a crash can leave) or corruption. As in etcd's WAL, only
// these count as torn:
//
//   - the file is zero from the bad record to its end, or from inside the
//     bad record to its end (at least minZeroTail bytes): the file grew,
//     the data never landed;
//   - a sector (sectorSize, 512 bytes) touched by the bad record is zero
//     from the record's offset or the sector's start to the sector's end: a
//     crash lost that part of an unsynced write (a flipped bit never
//     zeroes a sector);
//   - the record's length runs past the end of the file and no valid
//     record with a later LSN follows it (one would mean the length field
//     was damaged).
//
// Anything else, in particular a complete record that fails its checksum
// or carries the wrong LSN, is corruption. A newest file whose header is
// shorter than fileHeaderSize, or a prefix of the expected header followed
// by zeros, was created but never synced and is torn; any other bad
// header is corruption.
//
// On corruption Open returns a *CorruptError (wrapping ErrCorrupt) naming
// the file, the offset of the first bad record, the first LSN it cannot
// vouch for, the reason, and the highest valid-looking LSN found past the
// damage; it removes, cuts and rewrites nothing. Inspect reports the same
// findings without opening the log, and Repair, an explicit operator
// action, preserves the damaged file and every later one in a quarantine
// directory before cutting the log at the damage.
//
// Otherwise Open cuts the torn tail off the newest file (everything after
// the valid prefix, even valid-looking records: the log syncs in order, so
// none of them was acknowledged) in place: fsx.Truncate to the valid
// prefix, then Sync, so recovery needs no free space (a full disk does not
// stop a restart). A crash before the Sync leaves the file uncut or cut;
// either way the next Open finds the same valid prefix. Only where the file
// cannot be truncated in place (fsx.ErrTruncateUnsupported, e.g. a bare
// vfs.MemFS) is the prefix copied to <name>.tmp, synced, renamed over the
// file and the directory synced; that fallback is logged, and needs free
// space for the prefix. Repair cuts a corrupt file the same way after
// preserving it. A newest file with a torn header is removed. Leftover <name>.tmp
// files are removed. The newest file and the directory are then synced, so
// everything Open keeps is durable. New records always go to a new file,
// created at the first Sync: the log never appends after a repaired tail.
//
// A torn tail is indistinguishable from the loss of the last acknowledged
// records (a cut at a record boundary leaves a valid log). The log cannot
// detect that; its user keeps the last LSN it knows durable elsewhere and
// refuses a log that ends before it (the engine does).
package wal
