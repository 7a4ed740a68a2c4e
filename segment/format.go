package segment

import (
	"encoding/binary"
	"fmt"

	"github.com/cespare/xxhash/v2"
)

// Wire-format constants; see the package documentation for the layout.
const (
	// headerMagic starts every segment file. Do not change.
	headerMagic = "WORMSEG1"
	// footerMagic starts the footer of a sealed segment. Do not change.
	footerMagic = "WORMSEAL"
	// formatVersion is the header's format version. Do not change; a new
	// format gets a new number and keeps decoding this one.
	formatVersion = 1

	// headerSize is the size of the file header. Do not change.
	headerSize = 32
	// frameHeaderSize is the size of a block frame's header. Do not change.
	frameHeaderSize = 17
	// footerSize is the size of the footer of a sealed segment. Do not change.
	footerSize = 40

	// flagZstd marks a zstd-compressed frame payload. Do not change.
	flagZstd = 1 << 0
	// knownFlags are the flag bits a valid frame may carry.
	knownFlags = flagZstd

	// MaxBlockSize is the largest block size a Store accepts and a decoder
	// trusts in a segment header; it caps every allocation made while
	// decoding untrusted input.
	MaxBlockSize = 16 << 20
)

// File name suffixes. Do not change.
const (
	segSuffix  = ".seg"
	tmpSuffix  = ".tmp"
	markSuffix = ".removed"
)

// segName returns the file name of segment id.
func segName(id uint64) string { return fmt.Sprintf("%016x%s", id, segSuffix) }

// markName returns the name of the marker recording that segment id, the
// newest at the time, was removed, so its id is not reused.
func markName(id uint64) string { return fmt.Sprintf("%016x%s", id, markSuffix) }

// parseSegName returns the id of a segment file name.
func parseSegName(name string) (uint64, bool) { return parseIDName(name, segSuffix) }

// parseIDName returns the id of a file name "<id %016x><suffix>".
func parseIDName(name, suffix string) (uint64, bool) {
	if len(name) != 16+len(suffix) || name[16:] != suffix {
		return 0, false
	}
	var id uint64
	for _, c := range name[:16] {
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = byte(c - '0')
		case c >= 'a' && c <= 'f':
			d = byte(c-'a') + 10
		default:
			return 0, false
		}
		id = id<<4 | uint64(d)
	}
	return id, true
}

// fileHeader is the decoded segment file header.
type fileHeader struct {
	blockSize uint32
	id        uint64
}

func (h fileHeader) encode() []byte {
	b := make([]byte, headerSize)
	copy(b, headerMagic)
	binary.LittleEndian.PutUint32(b[8:], formatVersion)
	binary.LittleEndian.PutUint32(b[12:], h.blockSize)
	binary.LittleEndian.PutUint64(b[16:], h.id)
	binary.LittleEndian.PutUint64(b[24:], xxhash.Sum64(b[:24]))
	return b
}

// decodeHeader validates and decodes a file header. The error does not wrap
// ErrCorrupt; callers add the location.
func decodeHeader(b []byte) (fileHeader, error) {
	if len(b) < headerSize {
		return fileHeader{}, fmt.Errorf("short header (%d bytes)", len(b))
	}
	if string(b[:8]) != headerMagic {
		return fileHeader{}, fmt.Errorf("bad magic %q", b[:8])
	}
	if got, want := binary.LittleEndian.Uint64(b[24:]), xxhash.Sum64(b[:24]); got != want {
		return fileHeader{}, fmt.Errorf("header checksum %016x, want %016x", got, want)
	}
	if v := binary.LittleEndian.Uint32(b[8:]); v != formatVersion {
		return fileHeader{}, fmt.Errorf("unsupported format version %d", v)
	}
	h := fileHeader{
		blockSize: binary.LittleEndian.Uint32(b[12:]),
		id:        binary.LittleEndian.Uint64(b[16:]),
	}
	if h.blockSize == 0 || h.blockSize > MaxBlockSize {
		return fileHeader{}, fmt.Errorf("block size %d out of range", h.blockSize)
	}
	return h, nil
}

// frameHeader is a decoded block frame header.
type frameHeader struct {
	flags     uint8
	rawLen    uint32
	storedLen uint32
	sum       uint64
}

// size returns the frame's total stored size, header included.
func (f frameHeader) size() int64 { return frameHeaderSize + int64(f.storedLen) }

// putFrameHeader writes the header of a frame whose payload is b[frameHeaderSize:].
func putFrameHeader(b []byte, flags uint8, rawLen int) {
	b[0] = flags
	binary.LittleEndian.PutUint32(b[1:], uint32(rawLen))
	binary.LittleEndian.PutUint32(b[5:], uint32(len(b)-frameHeaderSize))
	binary.LittleEndian.PutUint64(b[9:], frameSum(b[:9], b[frameHeaderSize:]))
}

// frameSum is the checksum of a frame: XXH64 of header bytes [0,9) and payload.
func frameSum(hdr, payload []byte) uint64 {
	var d xxhash.Digest
	d.Reset()
	_, _ = d.Write(hdr[:9])
	_, _ = d.Write(payload)
	return d.Sum64()
}

// decodeFrameHeader decodes a frame header and checks its lengths against
// the segment's block size, so a corrupt header never causes an allocation
// above blockSize. It does not verify the checksum (see verifyFrame).
func decodeFrameHeader(b []byte, blockSize uint32) (frameHeader, error) {
	f := frameHeader{
		flags:     b[0],
		rawLen:    binary.LittleEndian.Uint32(b[1:]),
		storedLen: binary.LittleEndian.Uint32(b[5:]),
		sum:       binary.LittleEndian.Uint64(b[9:]),
	}
	switch {
	case f.flags&^knownFlags != 0:
		return f, fmt.Errorf("unknown frame flags %#x", f.flags)
	case f.rawLen == 0 || f.rawLen > blockSize:
		return f, fmt.Errorf("frame raw length %d out of range (block size %d)", f.rawLen, blockSize)
	case f.flags&flagZstd == 0 && f.storedLen != f.rawLen:
		return f, fmt.Errorf("raw frame stored length %d != raw length %d", f.storedLen, f.rawLen)
	case f.flags&flagZstd != 0 && (f.storedLen == 0 || f.storedLen >= f.rawLen):
		return f, fmt.Errorf("compressed frame stored length %d out of range (raw %d)", f.storedLen, f.rawLen)
	}
	return f, nil
}

// verifyFrame checks a whole frame (header and payload) against its checksum.
func verifyFrame(fh frameHeader, frame []byte) error {
	if got := frameSum(frame[:9], frame[frameHeaderSize:]); got != fh.sum {
		return fmt.Errorf("frame checksum %016x, want %016x", got, fh.sum)
	}
	return nil
}

// footer is the decoded footer of a sealed segment.
type footer struct {
	dataEnd  int64
	blocks   int64
	rawBytes int64
}

func (f footer) encode(id uint64) []byte {
	b := make([]byte, footerSize)
	copy(b, footerMagic)
	binary.LittleEndian.PutUint64(b[8:], uint64(f.dataEnd))
	binary.LittleEndian.PutUint64(b[16:], uint64(f.blocks))
	binary.LittleEndian.PutUint64(b[24:], uint64(f.rawBytes))
	binary.LittleEndian.PutUint64(b[32:], footerSum(b, id))
	return b
}

func footerSum(b []byte, id uint64) uint64 {
	var d xxhash.Digest
	d.Reset()
	_, _ = d.Write(b[:32])
	var idb [8]byte
	binary.LittleEndian.PutUint64(idb[:], id)
	_, _ = d.Write(idb[:])
	return d.Sum64()
}

// decodeFooter returns the footer in b and whether it is valid for segment id.
func decodeFooter(b []byte, id uint64) (footer, bool) {
	if len(b) != footerSize || string(b[:8]) != footerMagic {
		return footer{}, false
	}
	if binary.LittleEndian.Uint64(b[32:]) != footerSum(b, id) {
		return footer{}, false
	}
	f := footer{
		dataEnd:  int64(binary.LittleEndian.Uint64(b[8:])),
		blocks:   int64(binary.LittleEndian.Uint64(b[16:])),
		rawBytes: int64(binary.LittleEndian.Uint64(b[24:])),
	}
	if f.dataEnd < headerSize || f.blocks < 0 || f.rawBytes < 0 {
		return footer{}, false
	}
	return f, true
}

// looksLikeFooter reports whether b, the last footerSize bytes of a file of
// size bytes, is a footer that was written completely but fails validation
// (corruption of a sealed segment) rather than a torn or absent one: the
// magic and data end are right and the checksum field is set. Seal writes
// the footer last, so a crash leaves it missing or zero-filled, never with
// a wrong checksum.
func looksLikeFooter(b []byte, size int64) bool {
	return len(b) == footerSize && string(b[:8]) == footerMagic &&
		int64(binary.LittleEndian.Uint64(b[8:])) == size-footerSize &&
		binary.LittleEndian.Uint64(b[32:]) != 0
}
