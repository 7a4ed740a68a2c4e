package wal

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/cespare/xxhash/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// Wire-format constants. See doc.go for the layout they describe.
const (
	// fileMagic opens every log file. Do not change.
	fileMagic = "WORMWAL1"
	// formatVersion is the file format version written in the header.
	// Do not change; a new layout needs a new version.
	formatVersion uint32 = 1
	// fileHeaderSize is the size of the file header:
	// magic (8) + version (4) + first LSN (8) + xxh64 (8). Do not change.
	fileHeaderSize = 28
	// recordHeaderSize is the size of a record header:
	// length (4) + LSN (8) + xxh64 (8). Do not change.
	recordHeaderSize = 20
	// MaxPayloadSize is the largest record payload, 16 MiB. Readers reject a
	// longer length field without allocating for it. Do not change.
	MaxPayloadSize = 16 << 20

	// fileSuffix names log files: <first LSN as %016x>.wal. Do not change.
	fileSuffix = ".wal"
	// tmpSuffix names the scratch copy written while repairing a torn tail.
	tmpSuffix = ".tmp"
	// maxFirstLSN bounds the first LSN a file header may claim, so LSN
	// arithmetic on hostile input cannot wrap.
	maxFirstLSN = 1 << 62
)

// fileName returns the name of the log file whose first record is first.
func fileName(first LSN) string {
	return fmt.Sprintf("%016x%s", uint64(first), fileSuffix)
}

// parseFileName parses a name produced by fileName. It reports false for
// anything else, including non-canonical spellings of a number.
func parseFileName(name string) (LSN, bool) {
	hex, ok := strings.CutSuffix(name, fileSuffix)
	if !ok || len(hex) != 16 {
		return 0, false
	}
	v, err := strconv.ParseUint(hex, 16, 64)
	if err != nil || fileName(LSN(v)) != name {
		return 0, false
	}
	return LSN(v), true
}

// encodeFileHeader returns the file header of a file whose first record
// has LSN first.
func encodeFileHeader(first LSN) []byte {
	b := make([]byte, fileHeaderSize)
	copy(b[0:8], fileMagic)
	binary.LittleEndian.PutUint32(b[8:12], formatVersion)
	binary.LittleEndian.PutUint64(b[12:20], uint64(first))
	binary.LittleEndian.PutUint64(b[20:28], xxhash.Sum64(b[:20]))
	return b
}

// errTornHeader reports a file header that never became durable: the file
// is shorter than a header, or its header bytes are a prefix of the header
// the file name implies followed by zeros (a crash between creating the
// file and syncing it leaves that).
var errTornHeader = errors.New("torn or missing file header")

// errBadHeader reports a complete header that fails its magic or checksum
// in a way a torn write cannot explain (a flipped bit, foreign bytes).
var errBadHeader = errors.New("bad file header")

// readFileHeader reads and validates the header of the file name (f, size
// bytes long), which should announce first. It returns errTornHeader for a
// header that never became durable, errBadHeader for a damaged one;
// ErrUnsupportedVersion for an unknown version; ErrCorrupt for a valid
// header announcing another first LSN; other errors are I/O errors. Errors
// other than errTornHeader and errBadHeader name the file.
func readFileHeader(f vfs.File, name string, size int64, first LSN) error {
	if size < fileHeaderSize {
		return errTornHeader
	}
	var b [fileHeaderSize]byte
	if _, err := f.ReadAt(b[:], 0); err != nil {
		return fmt.Errorf("wal: read %s header: %w", name, err)
	}
	if string(b[0:8]) != fileMagic ||
		binary.LittleEndian.Uint64(b[20:28]) != xxhash.Sum64(b[:20]) {
		if isTornPrefix(b[:], encodeFileHeader(first)) {
			return errTornHeader
		}
		return errBadHeader
	}
	if v := binary.LittleEndian.Uint32(b[8:12]); v != formatVersion {
		return fmt.Errorf("%w: %s: version %d", ErrUnsupportedVersion, name, v)
	}
	if got := LSN(binary.LittleEndian.Uint64(b[12:20])); got != first {
		return &CorruptError{File: name, Offset: -1, LSN: first,
			Reason: fmt.Sprintf("header first LSN %d contradicts file name", got)}
	}
	return nil
}

// isTornPrefix reports whether got is a prefix of want followed by zeros.
func isTornPrefix(got, want []byte) bool {
	i := 0
	for i < len(got) && got[i] == want[i] {
		i++
	}
	for ; i < len(got); i++ {
		if got[i] != 0 {
			return false
		}
	}
	return true
}

// appendRecord appends the encoding of record (lsn, payload) to dst. d is
// scratch state for the checksum.
func appendRecord(dst []byte, d *xxhash.Digest, lsn LSN, payload []byte) []byte {
	var h [recordHeaderSize]byte
	binary.LittleEndian.PutUint32(h[0:4], uint32(len(payload)))
	binary.LittleEndian.PutUint64(h[4:12], uint64(lsn))
	binary.LittleEndian.PutUint64(h[12:20], recordChecksum(d, h[:12], payload))
	dst = append(dst, h[:]...)
	return append(dst, payload...)
}

// recordChecksum returns xxh64 over the length and LSN fields (lenLSN, 12
// bytes) followed by the payload.
func recordChecksum(d *xxhash.Digest, lenLSN, payload []byte) uint64 {
	d.Reset()
	_, _ = d.Write(lenLSN)
	_, _ = d.Write(payload)
	return d.Sum64()
}

// recordError describes the first invalid record of a file. In the newest
// file it ends the valid prefix; whether the damage is a torn write or
// corruption is decided by classifyTail. Elsewhere it is corruption.
type recordError struct {
	off    int64 // offset of the invalid record in the file
	end    int64 // offset its length field claims it ends at (may be past EOF)
	reason string
}

func (e *recordError) Error() string { return fmt.Sprintf("off %d: %s", e.off, e.reason) }

// recordReader decodes the records of one log file sequentially.
type recordReader struct {
	r    *bufio.Reader
	off  int64 // offset of the next record
	size int64 // file size; no record extends past it
	next LSN   // LSN the next record must carry
	hdr  [recordHeaderSize]byte
	buf  []byte // payload of the last record; grows to the largest seen
	d    xxhash.Digest
}

// newRecordReader returns a reader for the records of f, which has the given
// size and a valid header announcing first.
func newRecordReader(f vfs.File, size int64, first LSN) *recordReader {
	const maxBuf = 64 << 10
	n := int(min(max(size-fileHeaderSize, 16), maxBuf))
	return &recordReader{
		r:    bufio.NewReaderSize(io.NewSectionReader(f, fileHeaderSize, size-fileHeaderSize), n),
		off:  fileHeaderSize,
		size: size,
		next: first,
	}
}

// Next returns the next record. The payload is valid until the next call.
// At a clean end of file it returns io.EOF. An invalid record yields a
// *recordError; the reader must not be used after that. Other errors are
// I/O errors.
func (rr *recordReader) Next() (LSN, []byte, error) {
	remaining := rr.size - rr.off
	if remaining == 0 {
		return 0, nil, io.EOF
	}
	if remaining < recordHeaderSize {
		return 0, nil, rr.bad(rr.off+recordHeaderSize, "truncated record header (%d bytes)", remaining)
	}
	if _, err := io.ReadFull(rr.r, rr.hdr[:]); err != nil {
		return 0, nil, rr.ioErr(err)
	}
	n := int64(binary.LittleEndian.Uint32(rr.hdr[0:4]))
	lsn := LSN(binary.LittleEndian.Uint64(rr.hdr[4:12]))
	sum := binary.LittleEndian.Uint64(rr.hdr[12:20])
	end := rr.off + recordHeaderSize + n
	if n > MaxPayloadSize {
		return 0, nil, rr.bad(end, "payload length %d exceeds %d", n, MaxPayloadSize)
	}
	if n > remaining-recordHeaderSize {
		return 0, nil, rr.bad(end, "truncated payload: length %d, %d bytes left", n, remaining-recordHeaderSize)
	}
	// n is bounded by both the cap and the bytes actually present.
	if int64(cap(rr.buf)) < n {
		rr.buf = make([]byte, n)
	}
	rr.buf = rr.buf[:n]
	if _, err := io.ReadFull(rr.r, rr.buf); err != nil {
		return 0, nil, rr.ioErr(err)
	}
	if recordChecksum(&rr.d, rr.hdr[:12], rr.buf) != sum {
		return 0, nil, rr.bad(end, "checksum mismatch")
	}
	if lsn != rr.next {
		return 0, nil, rr.bad(end, "LSN %d, want %d", lsn, rr.next)
	}
	rr.next++
	rr.off += recordHeaderSize + n
	return lsn, rr.buf, nil
}

func (rr *recordReader) bad(end int64, format string, args ...any) error {
	return &recordError{off: rr.off, end: end, reason: fmt.Sprintf(format, args...)}
}

func (rr *recordReader) ioErr(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		// The file shrank under us (it cannot in normal operation).
		return rr.bad(rr.size+1, "unexpected end of file: %v", err)
	}
	return fmt.Errorf("off %d: %w", rr.off, err)
}
