package engine

import (
	"encoding/binary"
	"fmt"
	"strconv"
)

// Index key layout (Pebble). Every key starts with a one-byte table tag.
// Object keys are escaped so that byte order of encoded keys equals byte
// order of the raw keys and no key is a prefix-collision of another:
// 0x00 → 0x00 0xff, and each escaped key ends with the terminator 0x00 0x01.
//
//	'M' name                                   → engine metadata (applied LSN, last record time)
//	'B' bucket                                 → bucketRecord (JSON)
//	'V' bucket 0x00 esc(key) 0x00 0x01 ^seq:8  → Version (JSON); newest first per key
//	'N' bucket 0x00 esc(key) 0x00 0x01         → seq:8 of the key's null version
//	'U' bucket 0x00 esc(key) 0x00 0x01 seq:8   → Upload (JSON); seq = the upload's creating LSN
//	'P' uploadSeq:8 partNumber:4               → Part (JSON)
//	'C' bucket 0x00 esc(key) 0x00 0x01 'u' upSeq:8 → seq:8 of the version a completed upload made
//	'C' bucket 0x00 esc(key) 0x00 0x01 'v' seq:8   → upSeq:8 (the reverse entry, so removal is a point lookup)
//
// Do not change: the layout is reproduced exactly by Rebuild and compared by
// Verify.
const (
	tagMeta    = 'M'
	tagBucket  = 'B'
	tagVersion = 'V'
	tagNull    = 'N'
	tagUpload  = 'U'
	tagPart    = 'P'
	// tagCompleted entries remember completed uploads, so that a repeated
	// CompleteMultipartUpload answers the same result; one lives as long
	// as the version it names (applyRemove deletes it).
	tagCompleted = 'C'
)

var (
	keyApplied  = []byte("Mapplied")
	keyLastTime = []byte("Mlasttime")
	keyAuditSeq = []byte("Mauditseq")
	// keyAuditHash holds the hash of audit entry keyAuditSeq.
	keyAuditHash = []byte("Maudithash")
)

func appendEscaped(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			dst = append(dst, 0, 0xff)
		} else {
			dst = append(dst, s[i])
		}
	}
	return dst
}

func unescape(b []byte) (key string, rest []byte, err error) {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		if b[i] != 0 {
			out = append(out, b[i])
			continue
		}
		if i+1 >= len(b) {
			return "", nil, fmt.Errorf("%w: truncated escaped key", ErrCorrupt)
		}
		switch b[i+1] {
		case 0xff:
			out = append(out, 0)
			i++
		case 0x01:
			return string(out), b[i+2:], nil
		default:
			return "", nil, fmt.Errorf("%w: bad escape in key", ErrCorrupt)
		}
	}
	return "", nil, fmt.Errorf("%w: unterminated key", ErrCorrupt)
}

// bucketPrefix is tag bucket 0x00.
func bucketPrefix(tag byte, bucket string) []byte {
	b := make([]byte, 0, len(bucket)+2)
	b = append(b, tag)
	b = append(b, bucket...)
	return append(b, 0)
}

// objectPrefix is the prefix shared by every entry of one key.
func objectPrefix(tag byte, bucket, key string) []byte {
	b := bucketPrefix(tag, bucket)
	b = appendEscaped(b, key)
	return append(b, 0, 1)
}

// keyPrefixBound is the prefix shared by every key that starts with the raw
// string p (no terminator).
func keyPrefixBound(tag byte, bucket, p string) []byte {
	return appendEscaped(bucketPrefix(tag, bucket), p)
}

func versionKey(bucket, key string, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(objectPrefix(tagVersion, bucket, key), ^seq)
}

func nullKey(bucket, key string) []byte { return objectPrefix(tagNull, bucket, key) }

func uploadKey(bucket, key string, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(objectPrefix(tagUpload, bucket, key), seq)
}

// completedKey is the key of a completed upload's entry (upload seq →
// version seq).
func completedKey(bucket, key string, upSeq uint64) []byte {
	return binary.BigEndian.AppendUint64(append(objectPrefix(tagCompleted, bucket, key), 'u'), upSeq)
}

// completedVersionKey is the reverse entry of a completed upload (version
// seq → upload seq).
func completedVersionKey(bucket, key string, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(append(objectPrefix(tagCompleted, bucket, key), 'v'), seq)
}

func partKey(uploadSeq uint64, num int) []byte {
	b := []byte{tagPart}
	b = binary.BigEndian.AppendUint64(b, uploadSeq)
	return binary.BigEndian.AppendUint32(b, uint32(num))
}

func partPrefix(uploadSeq uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte{tagPart}, uploadSeq)
}

func bucketKey(bucket string) []byte { return append([]byte{tagBucket}, bucket...) }

// decodeObjectKey splits a 'V' or 'U' key into object key and trailing seq.
func decodeObjectKey(k []byte, bucketLen int) (key string, seq uint64, err error) {
	if len(k) < 2+bucketLen {
		return "", 0, fmt.Errorf("%w: short index key", ErrCorrupt)
	}
	key, rest, err := unescape(k[2+bucketLen:])
	if err != nil {
		return "", 0, err
	}
	if len(rest) != 8 {
		return "", 0, fmt.Errorf("%w: index key suffix of %d bytes", ErrCorrupt, len(rest))
	}
	return key, binary.BigEndian.Uint64(rest), nil
}

// prefixEnd returns the smallest key greater than every key with prefix p,
// or nil if there is none.
func prefixEnd(p []byte) []byte {
	end := append([]byte(nil), p...)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] != 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}

// NullVersionID is the version id of versions written while versioning was
// off or suspended.
const NullVersionID = "null"

// versionID renders a version's sequence number as its S3 version id:
// 16 lower-case hex digits of ^seq, so ids of one key sort newest first.
func versionID(seq uint64) string { return fmt.Sprintf("%016x", ^seq) }

// parseVersionID is the inverse of versionID.
func parseVersionID(id string) (uint64, error) {
	if len(id) != 16 {
		return 0, fmt.Errorf("%w: %q", ErrInvalidVersionID, id)
	}
	v, err := strconv.ParseUint(id, 16, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: %q", ErrInvalidVersionID, id)
	}
	return ^v, nil
}

// uploadID renders an upload's sequence number as its S3 upload id.
func uploadID(seq uint64) string { return fmt.Sprintf("%016x", seq) }

func parseUploadID(id string) (uint64, error) {
	if len(id) != 16 {
		return 0, fmt.Errorf("%w: upload id %q", ErrNoSuchUpload, id)
	}
	v, err := strconv.ParseUint(id, 16, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: upload id %q", ErrNoSuchUpload, id)
	}
	return v, nil
}
