package tier_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/minio/crc64nvme"
	"github.com/stretchr/testify/require"
	"github.com/wormstore/wormstore/engine"
	"github.com/wormstore/wormstore/tier"
	"github.com/wormstore/wormstore/tier/tiertest"
)

func crcB64(b []byte) string {
	h := crc64nvme.New()
	h.Write(b)
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	x := uint32(seed) + 1
	for i := range b {
		x = x*1664525 + 1013904223
		b[i] = byte(x >> 24)
	}
	return b
}

// TestClientAgainstRemotes runs the tier client against versitygw and a
// second wormstore: Check accepts an Object-Lock bucket and refuses one
// without; single and multipart uploads carry COMPLIANCE retention and the
// FULL_OBJECT CRC64NVME the remote verified; ranged GETs; retention only
// lengthens; a locked version cannot be deleted; legal hold round-trips.
func TestClientAgainstRemotes(t *testing.T) {
	tiertest.Each(t, func(t *testing.T, r *tiertest.Remote) {
		ctx := context.Background()
		c, err := tier.New(r.Config("t/"))
		require.NoError(t, err)
		require.NoError(t, c.Check(ctx))

		_, err = r.S3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("plain-bucket")})
		require.NoError(t, err)
		cfg := r.Config("t/")
		cfg.Bucket = "plain-bucket"
		pc, err := tier.New(cfg)
		require.NoError(t, err)
		require.ErrorIs(t, pc.Check(ctx), tier.ErrNoObjectLock)
		cfg.Bucket = "missing-bucket"
		mc, err := tier.New(cfg)
		require.NoError(t, err)
		require.Error(t, mc.Check(ctx))

		until := time.Now().Add(2 * time.Hour).UTC().Truncate(time.Second)
		for _, n := range []int{1000, 11<<20 + 12345} {
			t.Run(fmt.Sprint(n), func(t *testing.T) {
				data := pattern(n, byte(n))
				key := fmt.Sprintf("t/segments/%016x.seg", n)
				crc := crcB64(data)
				_, err := c.Put(ctx, key, bytes.NewReader(data), int64(n), base64.StdEncoding.EncodeToString(make([]byte, 8)), until)
				require.Error(t, err, "a wrong full-object checksum must be refused by the remote")
				vid, err := c.Put(ctx, key, bytes.NewReader(data), int64(n), crc, until)
				require.NoError(t, err)
				ro, err := c.Head(ctx, key, vid)
				require.NoError(t, err)
				require.EqualValues(t, n, ro.Size)
				require.Equal(t, engine.ModeCompliance, ro.Mode)
				require.False(t, ro.RetainUntil.Before(until), "retain until %s, want %s", ro.RetainUntil, until)
				if ro.CRC64NVME != "" {
					require.Equal(t, crc, ro.CRC64NVME)
				}
				rc, err := c.GetRange(ctx, key, vid, int64(n/3), int64(n/2))
				require.NoError(t, err)
				got, err := io.ReadAll(rc)
				rc.Close()
				require.NoError(t, err)
				require.Equal(t, data[n/3:n/3+n/2], got)

				require.Error(t, c.Delete(ctx, key, vid), "COMPLIANCE-locked version deleted")
				require.Error(t, c.SetRetention(ctx, key, vid, until.Add(-time.Hour)), "COMPLIANCE shortened")
				later := until.Add(24 * time.Hour)
				require.NoError(t, c.SetRetention(ctx, key, vid, later))
				require.NoError(t, c.SetLegalHold(ctx, key, vid, true))
				ro, err = c.Head(ctx, key, vid)
				require.NoError(t, err)
				require.False(t, ro.RetainUntil.Before(later))
				require.True(t, ro.LegalHold)
				require.NoError(t, c.SetLegalHold(ctx, key, vid, false))
				_, err = c.Head(ctx, key+".missing", vid)
				require.ErrorIs(t, err, engine.ErrRemoteNotFound)
				vs, err := c.List(ctx, key)
				require.NoError(t, err)
				require.Contains(t, vs, engine.RemoteVersion{Key: key, VersionID: vid, Size: int64(n)})
			})
		}
	})
}

// TestEngineTiersToRemote is the scenario of issue 13 at engine level
// against each real remote: locked and unlocked versions, every sealed
// segment moved, the local engine closed, every remote object checked to
// carry COMPLIANCE retention at least until each contained version's,
// reopened, everything read back byte-exact, verify --remote clean, and a
// retention extension carried to the remote.
func TestEngineTiersToRemote(t *testing.T) {
	tiertest.Each(t, func(t *testing.T, r *tiertest.Remote) {
		ctx := context.Background()
		c, err := tier.New(r.Config("e2e/"))
		require.NoError(t, err)
		require.NoError(t, c.Check(ctx))
		fs := vfs.NewMem()
		opts := engine.Options{FS: fs, Dir: "/data", SegmentSize: 256 << 10, BlockSize: 16 << 10, CompactionInterval: -1,
			Tier: &engine.TierOptions{Remote: c, Prefix: c.Prefix(), RetryBase: 10 * time.Millisecond}}
		e, err := engine.Open(ctx, opts)
		require.NoError(t, err)
		require.NoError(t, e.CreateBucket(ctx, "lk", engine.CreateBucketOptions{ObjectLock: true}))
		require.NoError(t, e.CreateBucket(ctx, "plain", engine.CreateBucketOptions{}))
		type ver struct {
			bucket, key, vid string
			data             []byte
		}
		var vers []ver
		now := e.Now()
		for i := 0; i < 40; i++ {
			data := pattern(20000+i*997, byte(i))
			b, po := "plain", engine.PutOptions{Size: int64(len(data))}
			if i%2 == 0 {
				b = "lk"
				po.Retention = &engine.Retention{Mode: engine.ModeCompliance, Until: now.Add(time.Duration(3+i) * time.Hour)}
			}
			info, err := e.PutObject(ctx, b, fmt.Sprintf("k%02d", i), bytes.NewReader(data), po)
			require.NoError(t, err)
			vers = append(vers, ver{b, info.Key, info.VersionID, data})
		}
		require.NoError(t, e.Close())
		e, err = engine.Open(ctx, opts) // seals the active segment
		require.NoError(t, err)
		var moved []uint64
		for _, si := range e.Segments() {
			if si.Sealed && !si.Remote {
				res, err := e.TierSegment(ctx, si.ID)
				require.NoError(t, err, "segment %d", si.ID)
				moved = append(moved, res.Segment)
			}
		}
		require.GreaterOrEqual(t, len(moved), 3)
		contents := map[uint64][]engine.SegmentVersion{}
		for _, id := range moved {
			contents[id], err = e.SegmentContents(ctx, id)
			require.NoError(t, err)
		}
		tiered := e.TieredSegments()
		require.NoError(t, e.Close())

		// The local server is down: the remote alone carries the locks.
		for _, ts := range tiered {
			h, err := r.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(r.Bucket), Key: aws.String(ts.Key), VersionId: aws.String(ts.VersionID)})
			require.NoError(t, err)
			require.Equal(t, types.ObjectLockModeCompliance, h.ObjectLockMode)
			for _, v := range contents[ts.ID] {
				if v.Lock.Retention.Mode != "" {
					require.False(t, h.ObjectLockRetainUntilDate.Before(v.Lock.Retention.Until),
						"segment %d remote retain-until %s before %s/%s's %s", ts.ID, h.ObjectLockRetainUntilDate, v.Bucket, v.Key, v.Lock.Retention.Until)
				}
			}
		}

		e, err = engine.Open(ctx, opts)
		require.NoError(t, err)
		defer e.Close()
		for _, v := range vers {
			o, err := e.OpenObject(ctx, v.bucket, v.key, v.vid)
			require.NoError(t, err)
			rc, err := o.NewReader(0, o.Info.Size)
			require.NoError(t, err)
			got, err := io.ReadAll(rc)
			rc.Close()
			require.NoError(t, err)
			require.True(t, bytes.Equal(v.data, got), "%s/%s differs", v.bucket, v.key)
		}
		rep, err := e.VerifyWith(ctx, engine.VerifyOptions{Remote: true}, nil)
		require.NoError(t, err)
		require.Empty(t, rep.Problems)

		later := now.Add(30 * 24 * time.Hour).Truncate(time.Second)
		_, _, err = e.PutObjectRetention(ctx, "lk", "k00", "", engine.Retention{Mode: engine.ModeCompliance, Until: later}, false)
		require.NoError(t, err)
		for _, ts := range e.TieredSegments() {
			cs, err := e.SegmentContents(ctx, ts.ID)
			require.NoError(t, err)
			for _, v := range cs {
				if v.Key == "k00" {
					h, err := r.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(r.Bucket), Key: aws.String(ts.Key), VersionId: aws.String(ts.VersionID)})
					require.NoError(t, err)
					require.False(t, h.ObjectLockRetainUntilDate.Before(later))
				}
			}
		}
	})
}

// TestClientTLS: a remote over HTTPS with its own CA is trusted with
// CAFile (or, for tests, Insecure) and refused without.
func TestClientTLS(t *testing.T) {
	r := tiertest.StartWormstoreTLS(t)
	ctx := context.Background()
	cfg := r.Config("tls/")
	c, err := tier.New(cfg)
	require.NoError(t, err)
	err = c.Check(ctx)
	require.Error(t, err)
	require.ErrorContains(t, err, "certificate")

	cfg.CAFile = r.CAFile
	c, err = tier.New(cfg)
	require.NoError(t, err)
	require.NoError(t, c.Check(ctx))
	data := pattern(3000, 9)
	vid, err := c.Put(ctx, "tls/segments/x.seg", bytes.NewReader(data), int64(len(data)), crcB64(data), time.Now().Add(time.Hour))
	require.NoError(t, err)
	rc, err := c.GetRange(ctx, "tls/segments/x.seg", vid, 0, int64(len(data)))
	require.NoError(t, err)
	got, _ := io.ReadAll(rc)
	rc.Close()
	require.Equal(t, data, got)

	cfg.CAFile, cfg.Insecure = "", true
	c, err = tier.New(cfg)
	require.NoError(t, err)
	require.NoError(t, c.Check(ctx))

	cfg.Insecure, cfg.CAFile = false, filepath.Join(t.TempDir(), "missing.pem")
	_, err = tier.New(cfg)
	require.ErrorContains(t, err, "CA file")
}
