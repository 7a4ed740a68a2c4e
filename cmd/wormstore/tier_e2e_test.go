package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/stretchr/testify/require"
	"github.com/wormstore/wormstore/engine"
	"github.com/wormstore/wormstore/tier"
	"github.com/wormstore/wormstore/tier/tiertest"
)

// tierVersion is one acknowledged version of the tiering scenario.
type tierVersion struct {
	bucket, key, vid string
	data             []byte
	until            time.Time // zero: unlocked
}

// TestTierEndToEnd is issue 13's scenario against versitygw and against a
// second wormstore: a real `wormstore server` with a remote tier (segments
// of 2 MiB, the move policy every 100 ms for any sealed segment) takes
// locked and unlocked versions and is SIGKILLed at random points while it
// tiers, in a loop; after each kill it restarts and every acknowledged
// version reads back byte-exact over S3. Then the server is stopped, every
// remote object is checked to carry COMPLIANCE retention at least until
// every contained version's, the store verifies clean including --remote,
// and a restarted server reads everything back byte-exact.
func TestTierEndToEnd(t *testing.T) {
	bin := buildSoakBinary(t)
	tiertest.Each(t, func(t *testing.T, r *tiertest.Remote) {
		ctx := context.Background()
		r.SetDelay(30 * time.Millisecond) // moves take long enough to be killed midway
		data := t.TempDir()
		srv := newSoakServer(t, bin, data)
		srv.args = []string{"--segment-size", "2097152",
			"--tier-endpoint", r.Endpoint, "--tier-bucket", r.Bucket, "--tier-access-key", r.AccessKey,
			"--tier-secret-key", r.Secret, "--tier-prefix", "e2e/", "--tier-interval", "100ms", "--tier-min-age", "1ns",
			"--tier-min-retention", "1h", "--tier-part-size", "5242880"}
		_, err := srv.start(60 * time.Second)
		require.NoError(t, err, srv.logTail(30))
		c := srv.client()
		_, err = c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("locked"), ObjectLockEnabledForBucket: aws.Bool(true)})
		require.NoError(t, err)
		_, err = c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("plain")})
		require.NoError(t, err)

		rng := rand.New(rand.NewPCG(13, 13))     // object sizes and contents (putSome's goroutine)
		killRNG := rand.New(rand.NewPCG(17, 17)) // kill timing (this goroutine)
		var acked []tierVersion
		n := 0
		putSome := func(count int) {
			c := srv.client()
			for i := 0; i < count; i++ {
				n++
				body := make([]byte, 150_000+rng.IntN(200_000))
				for j := range body {
					body[j] = byte(rng.Uint32())
				}
				in := &s3.PutObjectInput{Bucket: aws.String("plain"), Key: aws.String(fmt.Sprintf("p/%04d", n)), Body: bytes.NewReader(body)}
				var until time.Time
				if n%2 == 0 {
					until = time.Now().Add(time.Duration(2+n%5) * time.Hour).UTC().Truncate(time.Second)
					in.Bucket, in.Key = aws.String("locked"), aws.String(fmt.Sprintf("l/%04d", n))
					in.ObjectLockMode, in.ObjectLockRetainUntilDate = types.ObjectLockModeCompliance, aws.Time(until)
				}
				out, err := c.PutObject(ctx, in)
				if err != nil {
					return // killed mid-request: not acknowledged
				}
				acked = append(acked, tierVersion{*in.Bucket, *in.Key, aws.ToString(out.VersionId), body, until})
			}
		}
		readBack := func(what string) {
			t.Helper()
			c := srv.client()
			for _, v := range acked {
				in := &s3.GetObjectInput{Bucket: aws.String(v.bucket), Key: aws.String(v.key)}
				if v.vid != "" {
					in.VersionId = aws.String(v.vid)
				}
				out, err := c.GetObject(ctx, in)
				require.NoError(t, err, "%s: get %s/%s", what, v.bucket, v.key)
				got, err := io.ReadAll(out.Body)
				out.Body.Close()
				require.NoError(t, err)
				require.True(t, bytes.Equal(v.data, got), "%s: %s/%s differs", what, v.bucket, v.key)
				if !v.until.IsZero() {
					require.Equal(t, types.ObjectLockModeCompliance, out.ObjectLockMode)
					require.True(t, out.ObjectLockRetainUntilDate.Equal(v.until), "%s: %s/%s retain-until %s, want %s", what, v.bucket, v.key, out.ObjectLockRetainUntilDate, v.until)
				}
			}
		}

		// Kill while objects stream in and the policy moves segments: even
		// cycles as soon as the server logs the start of a move (plus
		// 0-20 ms), odd ones at a random time. A kill "interrupted a move"
		// when that process's log has more starts than completions.
		movesInFlight := func() bool {
			logb, err := os.ReadFile(srv.logPath)
			require.NoError(t, err)
			last := logb[bytes.LastIndex(logb, []byte("===== start")):]
			return bytes.Count(last, []byte("tier: moving segment")) > bytes.Count(last, []byte("tier: segment moved"))
		}
		interrupted := 0
		for cycle := 0; cycle < 12 && (cycle < 6 || interrupted < 2); cycle++ {
			done := make(chan struct{})
			go func() {
				defer close(done)
				putSome(40)
			}()
			if cycle%2 == 0 {
				for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline) && !movesInFlight(); {
					time.Sleep(2 * time.Millisecond)
				}
				time.Sleep(time.Duration(killRNG.IntN(20)) * time.Millisecond)
			} else {
				time.Sleep(time.Duration(300+killRNG.IntN(1500)) * time.Millisecond)
			}
			srv.kill()
			<-done
			if movesInFlight() {
				interrupted++
			}
			_, err = srv.start(60 * time.Second)
			require.NoError(t, err, "restart after kill %d:\n%s", cycle, srv.logTail(40))
			readBack(fmt.Sprintf("after kill %d", cycle))
		}
		require.GreaterOrEqual(t, interrupted, 2, "kills that interrupted a move")
		r.SetDelay(0)
		// Let the policy move every sealed segment that holds data (those a
		// kill left holding only unacknowledged writes are not movable;
		// compaction reclaims them), then stop the server.
		deadline := time.Now().Add(60 * time.Second)
		for {
			time.Sleep(time.Second)
			require.NoError(t, srv.stop())
			eng := tierEngine(t, data, r, false)
			movable := 0
			for _, si := range eng.Segments() {
				if si.Sealed && !si.Remote {
					vs, err := eng.SegmentContents(ctx, si.ID)
					require.NoError(t, err)
					if len(vs) > 0 {
						movable++
					}
				}
			}
			tiered := len(eng.TieredSegments())
			require.NoError(t, eng.Close())
			if movable == 0 || time.Now().After(deadline) {
				require.Zero(t, movable, "sealed segments with data still local")
				require.GreaterOrEqual(t, tiered, 5, "segments tiered")
				break
			}
			_, err := srv.start(60 * time.Second)
			require.NoError(t, err)
		}

		// The local server is down: the remote alone carries the locks.
		eng := tierEngine(t, data, r, true)
		for _, ts := range eng.TieredSegments() {
			h, err := r.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(r.Bucket), Key: aws.String(ts.Key), VersionId: aws.String(ts.VersionID)})
			require.NoError(t, err, "segment %d", ts.ID)
			require.Equal(t, types.ObjectLockModeCompliance, h.ObjectLockMode, "segment %d", ts.ID)
			contents, err := eng.SegmentContents(ctx, ts.ID)
			require.NoError(t, err)
			for _, v := range contents {
				if v.Lock.Retention.Mode != "" {
					require.False(t, h.ObjectLockRetainUntilDate.Before(v.Lock.Retention.Until),
						"segment %d: remote retain-until %s before %s/%s's %s", ts.ID, h.ObjectLockRetainUntilDate, v.Bucket, v.Key, v.Lock.Retention.Until)
				}
			}
		}
		rep, err := eng.VerifyWith(ctx, engine.VerifyOptions{Remote: true}, nil)
		require.NoError(t, err)
		require.Empty(t, rep.Problems)
		orphans, err := eng.TierOrphans(ctx)
		require.NoError(t, err)
		require.NoError(t, eng.Close())

		_, err = srv.start(60 * time.Second)
		require.NoError(t, err)
		readBack("after the final restart")
		require.NoError(t, srv.stop())
		logb, _ := os.ReadFile(srv.logPath)
		t.Logf("%d kills interrupted a move; %d versions; %d starts; %d segment moves logged; %d interrupted releases finished at open; %d uploads interrupted before their record (orphans)",
			interrupted, len(acked), srv.starts, bytes.Count(logb, []byte("tier: segment moved")), bytes.Count(logb, []byte("finishing the release")), len(orphans))
	})
}

// tierEngine opens the stopped server's data directory with the remote
// tier attached, to inspect and verify it offline.
func tierEngine(t *testing.T, data string, r *tiertest.Remote, _ bool) *engine.Engine {
	t.Helper()
	cl, err := tier.New(r.Config("e2e/"))
	require.NoError(t, err)
	eng, err := engine.Open(context.Background(), engine.Options{FS: vfs.Default, Dir: filepath.Clean(data), SegmentSize: 2 << 20,
		CompactionInterval: -1, Tier: &engine.TierOptions{Remote: cl, Prefix: cl.Prefix(), RetryBase: 10 * time.Millisecond}})
	require.NoError(t, err)
	return eng
}
