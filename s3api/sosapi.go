package s3api

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/wormstore/wormstore/engine"
	"github.com/wormstore/wormstore/s3api/s3err"
)

// Veeam Smart Object Storage API (SOSAPI 1.0): a bucket with SOSAPI enabled
// serves two virtual objects under SOSAPIFolder, which Veeam Backup &
// Replication reads with ordinary GetObject calls to show the repository as
// "S3 Integrated" with its capacity:
//
//	system.xml    SystemInfo: ProtocolVersion, ModelName, ProtocolCapabilities
//	              (CapacityInfo true, UploadSessions and IAMSTS false), and
//	              SystemRecommendations only when a KbBlockSize was set
//	capacity.xml  CapacityInfo: Capacity, Available, Used in bytes
//
// SOSAPI is opt-in per bucket: the bucket's ConfigSOSAPI document (JSON,
// SOSAPIConfig) switches it on (`wormstore admin sosapi enable`).

// SOSAPIFolder is the folder of the SOSAPI files in a bucket.
const SOSAPIFolder = ".system-d26a9498-cb7c-4a87-a44a-8ae204f5ba6c"

// The SOSAPI files.
const (
	sosapiSystemKey   = SOSAPIFolder + "/system.xml"
	sosapiCapacityKey = SOSAPIFolder + "/capacity.xml"
)

// SOSAPIConfig is a bucket's SOSAPI settings, stored (as JSON) as its
// engine.ConfigSOSAPI document; the JSON field names are on disk.
type SOSAPIConfig struct {
	// CapacityBytes, if positive, is the capacity reported for the bucket
	// (a quota); Used is then the bytes of all its versions and Available
	// the rest (at most the filesystem's free space). Zero reports the data
	// directory's filesystem.
	CapacityBytes int64 `json:"capacity,omitempty"`
	// KbBlockSize, if set, is the block size (KiB) recommended to Veeam in
	// SystemRecommendations: 256, 512, 1024, 4096 or 8192.
	KbBlockSize int `json:"kbBlockSize,omitempty"`
	// Enabled is when SOSAPI was switched on (system.xml's Last-Modified).
	Enabled time.Time `json:"enabled"`
}

// Validate checks c's values.
func (c *SOSAPIConfig) Validate() error {
	if c.CapacityBytes < 0 {
		return fmt.Errorf("s3api: SOSAPI capacity %d is negative", c.CapacityBytes)
	}
	switch c.KbBlockSize {
	case 0, 256, 512, 1024, 4096, 8192:
	default:
		return fmt.Errorf("s3api: SOSAPI KbBlockSize %d is not one of 256, 512, 1024, 4096, 8192", c.KbBlockSize)
	}
	return nil
}

// EncodeSOSAPIConfig returns the stored form of c, for
// engine.SetBucketConfig(ctx, bucket, engine.ConfigSOSAPI, doc).
func EncodeSOSAPIConfig(c SOSAPIConfig) ([]byte, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return json.Marshal(c)
}

// DecodeSOSAPIConfig parses a bucket's stored SOSAPI document; ok is false
// when SOSAPI is off (no document).
func DecodeSOSAPIConfig(doc string) (c SOSAPIConfig, ok bool, err error) {
	if doc == "" {
		return c, false, nil
	}
	if err := json.Unmarshal([]byte(doc), &c); err != nil {
		return c, false, fmt.Errorf("s3api: SOSAPI configuration: %w", err)
	}
	return c, true, nil
}

type sosapiSystemInfo struct {
	XMLName              xml.Name `xml:"SystemInfo"`
	ProtocolVersion      string   `xml:"ProtocolVersion"`
	ModelName            string   `xml:"ModelName"`
	ProtocolCapabilities struct {
		CapacityInfo   bool `xml:"CapacityInfo"`
		UploadSessions bool `xml:"UploadSessions"`
		IAMSTS         bool `xml:"IAMSTS"`
	} `xml:"ProtocolCapabilities"`
	SystemRecommendations *struct {
		KbBlockSize int `xml:"KbBlockSize"`
	} `xml:"SystemRecommendations,omitempty"`
}

type sosapiCapacityInfo struct {
	XMLName   xml.Name `xml:"CapacityInfo"`
	Capacity  int64    `xml:"Capacity"`
	Available int64    `xml:"Available"`
	Used      int64    `xml:"Used"`
}

// sosapiFile is a rendered SOSAPI file.
type sosapiFile struct {
	body    []byte
	modTime time.Time
}

func (f *sosapiFile) etag() string {
	sum := md5.Sum(f.body)
	return hex.EncodeToString(sum[:])
}

// sosapiConfig returns the bucket's SOSAPI settings; ok is false when it is
// off or the bucket does not exist.
func (rq *request) sosapiConfig() (SOSAPIConfig, bool) {
	bi, err := rq.s.eng.Bucket(rq.ctx, rq.bucket)
	if err != nil {
		return SOSAPIConfig{}, false
	}
	c, ok, err := DecodeSOSAPIConfig(bi.Config(engine.ConfigSOSAPI))
	if err != nil {
		return SOSAPIConfig{}, false
	}
	return c, ok
}

// sosapiCapacity computes capacity.xml's values.
func (rq *request) sosapiCapacity(c SOSAPIConfig) (sosapiCapacityInfo, error) {
	total, avail, duErr := rq.s.eng.DiskUsage()
	if c.CapacityBytes > 0 {
		used, err := rq.s.eng.BucketUsage(rq.ctx, rq.bucket)
		if err != nil {
			return sosapiCapacityInfo{}, err
		}
		free := max(c.CapacityBytes-used, 0)
		if duErr == nil && int64(avail) < free {
			free = int64(avail)
		}
		return sosapiCapacityInfo{Capacity: c.CapacityBytes, Available: free, Used: used}, nil
	}
	if duErr != nil {
		return sosapiCapacityInfo{}, fmt.Errorf("s3api: SOSAPI capacity of the data directory: %w", duErr)
	}
	return sosapiCapacityInfo{Capacity: int64(total), Available: int64(avail), Used: int64(total - avail)}, nil
}

// sosapiRender renders one of the SOSAPI files.
func (rq *request) sosapiRender(key string, c SOSAPIConfig) (*sosapiFile, error) {
	var v any
	mod := c.Enabled
	switch key {
	case sosapiSystemKey:
		si := sosapiSystemInfo{ProtocolVersion: `"1.0"`, ModelName: `"wormstore"`}
		si.ProtocolCapabilities.CapacityInfo = true
		if c.KbBlockSize > 0 {
			si.SystemRecommendations = &struct {
				KbBlockSize int `xml:"KbBlockSize"`
			}{c.KbBlockSize}
		}
		v = si
	case sosapiCapacityKey:
		ci, err := rq.sosapiCapacity(c)
		if err != nil {
			return nil, err
		}
		v = ci
		mod = rq.s.eng.Now()
	default:
		return nil, nil
	}
	body, err := xml.Marshal(v)
	if err != nil {
		return nil, err
	}
	return &sosapiFile{body: append([]byte(xml.Header), body...), modTime: mod.UTC().Truncate(time.Second)}, nil
}

// serveSOSAPI answers GET/HEAD of a SOSAPI file of a bucket with SOSAPI
// on; handled is false for any other request (which then goes on as
// usual).
func (rq *request) serveSOSAPI() (handled bool, err error) {
	if rq.key != sosapiSystemKey && rq.key != sosapiCapacityKey {
		return false, nil
	}
	c, ok := rq.sosapiConfig()
	if !ok {
		return false, nil
	}
	if rq.query.Get("versionId") != "" && rq.query.Get("versionId") != engine.NullVersionID {
		return true, s3err.New(s3err.NoSuchVersion, "").With("Key", rq.key).With("VersionId", rq.query.Get("versionId"))
	}
	f, err := rq.sosapiRender(rq.key, c)
	if err != nil {
		return true, err
	}
	h := rq.w.Header()
	etag := f.etag()
	if cerr := conditions(rq.r.Header.Get("If-Match"), rq.r.Header.Get("If-None-Match"), rq.r.Header.Get("If-Modified-Since"),
		rq.r.Header.Get("If-Unmodified-Since"), etag, f.modTime, false); cerr != nil {
		return true, cerr
	}
	body := f.body
	status := http.StatusOK
	if rh := rq.r.Header.Get("Range"); rh != "" {
		rng, err := parseRange(rh, int64(len(body)))
		if err != nil {
			return true, err
		}
		if rng != nil {
			status = http.StatusPartialContent
			h.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", rng.start, rng.start+rng.length-1, len(body)))
			body = body[rng.start : rng.start+rng.length]
		}
	}
	h.Set("Content-Type", "application/xml")
	h.Set("ETag", quoteETag(etag))
	h.Set("Last-Modified", f.modTime.Format(http.TimeFormat))
	h.Set("Accept-Ranges", "bytes")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	rq.w.WriteHeader(status)
	if rq.r.Method != http.MethodHead {
		_, err = rq.w.Write(body)
	}
	return true, err
}

// withSOSAPIEntries adds the SOSAPI files to a ListObjects result of a
// bucket with SOSAPI on, where the listed range includes them, so that a
// listing of the folder shows them as Veeam expects. With a delimiter that
// the rest of the key contains, the folder appears as a common prefix
// instead. A truncated result gets only the entries before its last key, so
// the next page does not repeat them.
func (rq *request) withSOSAPIEntries(res *engine.ListResult, opts engine.ListOptions) *engine.ListResult {
	if opts.MaxKeys == 0 {
		return res // max-keys=0 lists nothing
	}
	if !strings.HasPrefix(sosapiSystemKey, opts.Prefix) && !strings.HasPrefix(sosapiCapacityKey, opts.Prefix) {
		return res
	}
	c, ok := rq.sosapiConfig()
	if !ok {
		return res
	}
	last := ""
	if res.IsTruncated {
		last = res.NextAfter
	}
	for _, key := range []string{sosapiCapacityKey, sosapiSystemKey} {
		if !strings.HasPrefix(key, opts.Prefix) || key <= opts.After || (last != "" && key >= last) {
			continue
		}
		if opts.Delimiter != "" {
			if i := strings.Index(key[len(opts.Prefix):], opts.Delimiter); i >= 0 {
				cp := key[:len(opts.Prefix)+i+len(opts.Delimiter)]
				if cp <= opts.After {
					continue
				}
				res.CommonPrefixes = insertSorted(res.CommonPrefixes, cp)
				continue
			}
		}
		f, err := rq.sosapiRender(key, c)
		if err != nil || f == nil {
			continue
		}
		info := engine.ObjectInfo{
			Bucket: rq.bucket, Key: key, VersionID: engine.NullVersionID, IsLatest: true,
			Size: int64(len(f.body)), ETag: f.etag(), ModTime: f.modTime, ContentType: "application/xml",
		}
		res.Objects = insertObject(res.Objects, info)
	}
	trimListing(res, min(opts.MaxKeys, engine.MaxListKeys))
	return res
}

// trimListing cuts a listing that the added SOSAPI entries made longer
// than max keys (objects and common prefixes together, in key order) back
// to max, marking it truncated after the last entry kept, so max-keys
// holds and the next page starts where this one ended.
func trimListing(res *engine.ListResult, max int) {
	if max <= 0 || len(res.Objects)+len(res.CommonPrefixes) <= max {
		return
	}
	oi, pi, last := 0, 0, ""
	for n := 0; n < max; n++ {
		if pi >= len(res.CommonPrefixes) || (oi < len(res.Objects) && res.Objects[oi].Key < res.CommonPrefixes[pi]) {
			last = res.Objects[oi].Key
			oi++
		} else {
			last = res.CommonPrefixes[pi]
			pi++
		}
	}
	res.Objects, res.CommonPrefixes = res.Objects[:oi], res.CommonPrefixes[:pi]
	res.IsTruncated, res.NextAfter = true, last
}

// insertSorted adds s to a sorted slice unless present.
func insertSorted(list []string, s string) []string {
	for i, v := range list {
		if v == s {
			return list
		}
		if v > s {
			return append(list[:i], append([]string{s}, list[i:]...)...)
		}
	}
	return append(list, s)
}

// insertObject adds o to objects sorted by key, replacing a stored object
// of the same key (the virtual file shadows it).
func insertObject(objects []engine.ObjectInfo, o engine.ObjectInfo) []engine.ObjectInfo {
	for i := range objects {
		switch bytes.Compare([]byte(objects[i].Key), []byte(o.Key)) {
		case 0:
			objects[i] = o
			return objects
		case 1:
			return append(objects[:i], append([]engine.ObjectInfo{o}, objects[i:]...)...)
		}
	}
	return append(objects, o)
}
