// Package segment stores object data in immutable, append-only segment files.
//
// A Store owns one directory of segment files named "<id %016x>.seg". At most
// one segment is active (being appended to); every other segment is sealed
// and never written again. Object data is cut into blocks of Options.BlockSize
// raw bytes; each block becomes one self-checking frame, compressed with zstd
// when that saves at least 5%. An object is described by a list of Extents,
// each a run of consecutive frames in one segment. The package knows nothing
// of buckets, keys or versions: callers (the engine) keep the extents.
//
// All file I/O goes through the pebble vfs.FS in Options.FS, so one
// vfs.NewCrashableMem and CrashClone cover segments, WAL and index in tests.
//
// # File layout
//
// All integers are little-endian. A segment file is a header, zero or more
// block frames, and, once sealed, a footer:
//
//	+--------+---------+---------+-----+---------+--------+
//	| header | frame 0 | frame 1 | ... | frame n | footer |
//	+--------+---------+---------+-----+---------+--------+
//	0        32                              dataEnd  dataEnd+40
//
// Header (headerSize = 32 bytes), written and synced, and the directory
// synced, before the segment receives its first frame:
//
//	+----------------+-----------+-------------+------------+-----------+
//	| magic [8]      | version   | block size  | segment id | checksum  |
//	| "WORMSEG1"     | u32 (= 1) | u32         | u64        | u64       |
//	+----------------+-----------+-------------+------------+-----------+
//	0                8           12            16           24          32
//
// The checksum is XXH64 of bytes [0, 24). Block size is the largest raw
// length of any frame in the file (1 <= block size <= MaxBlockSize); decoders
// use it to cap allocations. The segment id must match the file name.
//
// Block frame (frameHeaderSize = 17 bytes of header, then the payload):
//
//	+-------+---------+------------+----------+--------------------+
//	| flags | raw len | stored len | checksum | payload            |
//	| u8    | u32     | u32        | u64      | [stored len] bytes |
//	+-------+---------+------------+----------+--------------------+
//	0       1         5            9          17
//
// Flags bit 0 (flagZstd) means the payload is one zstd frame that decodes to
// exactly raw len bytes; otherwise the payload is the raw bytes and stored
// len == raw len. Other flag bits must be zero. 1 <= raw len <= block size;
// a zstd payload is shorter than raw len. The checksum is XXH64 over the
// frame header bytes [0, 9) followed by the payload. Frames do not depend on
// their position, so compaction copies them verbatim between segments.
//
// Footer (footerSize = 40 bytes), appended when the segment is sealed:
//
//	+----------------+----------+-------------+-----------+----------+
//	| magic [8]      | data end | block count | raw bytes | checksum |
//	| "WORMSEAL"     | u64      | u64         | u64       | u64      |
//	+----------------+----------+-------------+-----------+----------+
//	0                8          16            24          32         40
//
// Data end is the file offset where the footer starts. The checksum is XXH64
// of footer bytes [0, 32) followed by the segment id as a u64, which ties a
// footer to its file. A segment is sealed if and only if its last 40 bytes are
// a valid footer whose data end is the file size minus 40. Open trusts a
// sealed segment's footer (Verify walks its frames); a complete footer with
// the right magic and data end but a bad checksum or impossible counts fails
// Open with ErrCorrupt, while a missing or torn (zero-filled) footer marks an
// unsealed segment.
//
// # Durability
//
// Writer.Finish and CopyExtent only append; Store.Sync makes extents durable,
// sharing one fsync among concurrent callers (group commit). Seal syncs the
// frames, appends the footer and syncs again, so a valid footer implies
// durable frames. Recovery in Open seals every unsealed segment. Its valid
// prefix ends at the first incomplete or checksum-failing frame. The file is
// synced, truncated in place to the valid prefix if it has a torn tail
// (fsx.Truncate), the footer is written at the prefix's end, and the file
// synced again: recovery needs O(1) free space. A crash at any point
// leaves the old file, the bare prefix, the prefix with the footer over
// the start of the old tail (the footer's first byte is not a valid frame
// flag, so the prefix still ends there), or the sealed file; Open recovers
// each to the same prefix. Only where the file cannot be truncated in
// place (fsx.ErrTruncateUnsupported, e.g. a bare vfs.MemFS) are the header
// and valid prefix copied to "<id>.seg.tmp" with a footer, synced and
// renamed over the original, and the directory synced; that fallback is
// logged and needs free space for the prefix. New writes always go
// to a fresh segment whose id is one more than the largest id seen; ids are
// never reused. Removing the newest segment leaves an empty marker file
// "<id %016x>.removed" so its id counts as seen; Open deletes markers older
// than the newest segment. A file shorter than the header, or all zeros, is
// a segment whose creation never became durable and is deleted.
//
// # Failures
//
// If a write or sync of the active segment fails (EIO, ENOSPC, ...), the
// segment is sealed off logically: it is marked broken, never appended to
// again, and the next write starts a new segment; the failing call returns an
// error wrapping ErrBroken and the original error (errors.Is works for
// both). Frames appended before the failure stay readable. After a failed
// write, Sync still makes those earlier frames durable (a torn frame past
// them is harmless); after a failed fsync nothing not yet durable can be
// trusted, so Sync of such an extent returns the sticky error. The broken
// file is recovered (torn tail truncated, sealed) by the next Open.
package segment
