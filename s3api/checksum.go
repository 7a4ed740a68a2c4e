package s3api

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"

	"github.com/wormstore/wormstore/s3api/sigv4"
)

// Checksum types of S3 objects.
const (
	checksumFullObject = "FULL_OBJECT"
	checksumComposite  = "COMPOSITE"
)

// unsupportedAlgorithmMessage is AWS's message for an unknown
// x-amz-checksum-algorithm.
const unsupportedAlgorithmMessage = "Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256, SHA512, MD5, XXHASH64, XXHASH3, XXHASH128]"

// crcParams returns the reflected polynomial and width of a CRC algorithm,
// ok false for the SHA algorithms.
func crcParams(a sigv4.Algorithm) (poly uint64, width int, ok bool) {
	switch a {
	case sigv4.CRC32:
		return 0xedb88320, 32, true
	case sigv4.CRC32C:
		return 0x82f63b78, 32, true
	case sigv4.CRC64NVME:
		return 0x9a6c9329ac4bc9b5, 64, true
	}
	return 0, 0, false
}

// gf2Times multiplies the GF(2) matrix mat by vec.
func gf2Times(mat []uint64, vec uint64) uint64 {
	var sum uint64
	for i := 0; vec != 0; i, vec = i+1, vec>>1 {
		if vec&1 != 0 {
			sum ^= mat[i]
		}
	}
	return sum
}

func gf2Square(square, mat []uint64) {
	for n := range mat {
		square[n] = gf2Times(mat, mat[n])
	}
}

// crcCombine returns the CRC of A||B from crc1 = CRC(A), crc2 = CRC(B)
// and len2 = len(B), for a reflected CRC with pre- and post-inversion
// (CRC-32, CRC-32C, CRC-64/NVME); zlib's crc32_combine generalised to
// 64 bits.
func crcCombine(crc1, crc2 uint64, len2 int64, poly uint64, width int) uint64 {
	if len2 <= 0 {
		return crc1
	}
	even := make([]uint64, width)
	odd := make([]uint64, width)
	odd[0] = poly // the operator for one zero bit
	row := uint64(1)
	for n := 1; n < width; n++ {
		odd[n] = row
		row <<= 1
	}
	gf2Square(even, odd) // two zero bits
	gf2Square(odd, even) // four zero bits
	for {
		gf2Square(even, odd)
		if len2&1 != 0 {
			crc1 = gf2Times(even, crc1)
		}
		len2 >>= 1
		if len2 == 0 {
			break
		}
		gf2Square(odd, even)
		if len2&1 != 0 {
			crc1 = gf2Times(odd, crc1)
		}
		len2 >>= 1
		if len2 == 0 {
			break
		}
	}
	return crc1 ^ crc2
}

// partSum is one part's checksum value (base64) and size.
type partSum struct {
	value string
	size  int64
}

// decodeCRC decodes a base64 big-endian CRC of width bits.
func decodeCRC(v string, width int) (uint64, error) {
	b, err := base64.StdEncoding.DecodeString(v)
	if err != nil || len(b) != width/8 {
		return 0, fmt.Errorf("s3api: bad CRC value %q", v)
	}
	if width == 32 {
		return uint64(binary.BigEndian.Uint32(b)), nil
	}
	return binary.BigEndian.Uint64(b), nil
}

// fullObjectChecksum combines part CRCs into the CRC of the whole object.
func fullObjectChecksum(a sigv4.Algorithm, parts []partSum) (string, error) {
	poly, width, ok := crcParams(a)
	if !ok {
		return "", fmt.Errorf("s3api: %s has no full-object multipart checksum", a)
	}
	var crc uint64
	for i, p := range parts {
		c, err := decodeCRC(p.value, width)
		if err != nil {
			return "", err
		}
		if i == 0 {
			crc = c
		} else {
			crc = crcCombine(crc, c, p.size, poly, width)
		}
	}
	out := make([]byte, width/8)
	if width == 32 {
		binary.BigEndian.PutUint32(out, uint32(crc))
	} else {
		binary.BigEndian.PutUint64(out, crc)
	}
	return base64.StdEncoding.EncodeToString(out), nil
}

// compositeChecksum is S3's checksum of checksums:
// base64(hash(concat(raw part checksums))) + "-N".
func compositeChecksum(a sigv4.Algorithm, parts []partSum) (string, error) {
	h := a.New()
	for _, p := range parts {
		raw, err := base64.StdEncoding.DecodeString(p.value)
		if err != nil || len(raw) != a.Size() {
			return "", fmt.Errorf("s3api: bad %s part checksum %q", a, p.value)
		}
		h.Write(raw)
	}
	return fmt.Sprintf("%s-%d", base64.StdEncoding.EncodeToString(h.Sum(nil)), len(parts)), nil
}
