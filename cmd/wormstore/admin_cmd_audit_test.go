package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/require"
	"github.com/wormstore/wormstore/adminapi/adminapitest"
	"github.com/wormstore/wormstore/engine"
)

// TestAdminCLIAuditEndToEnd runs `wormstore server --dev`, makes S3
// requests and reads them back with `admin audit tail` and `verify`.
func TestAdminCLIAuditEndToEnd(t *testing.T) {
	clearAdminEnv(t)
	dir := filepath.Join(t.TempDir(), "data")
	ts := startTestServer(t, "--dev", "--data", dir, "--console-address", "")
	addr, admin := ts.addr, ts.admin
	ctx := context.Background()

	base := []string{"--admin-endpoint", "http://" + admin, "--data", dir}
	rootAK, rootSK := devCredentials(t, dir)
	c := client(addr, rootAK, rootSK)
	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("archive"), ObjectLockEnabledForBucket: aws.Bool(true)})
	require.NoError(t, err)
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("archive"), Key: aws.String("k"), Body: strings.NewReader("x")})
	require.NoError(t, err)

	out, errOut, err := runAdmin(t, append(base, "audit", "tail")...)
	require.NoError(t, err, "%s%s", out, errOut)
	es := adminapitest.DecodeAuditLines(t, []byte(out))
	require.NotEmpty(t, es)
	last := es[len(es)-1]
	require.Equal(t, "archive", last.Bucket)
	require.Equal(t, "k", last.Key)

	out, errOut, err = runAdmin(t, append(base, "audit", "verify")...)
	require.NoError(t, err, "%s%s", out, errOut)
	// The chain now ends with the record of the tail read itself.
	require.Regexp(t, `^audit chain OK: \d+ entries, head [0-9a-f]{64}\n$`, out)
}

func TestAdminCLIAudit(t *testing.T) {
	clearAdminEnv(t)
	at := newAdminTest(t, nil)
	at.appendAudit(t, 25)
	base := []string{"--admin-endpoint", at.srv.URL, "--access-key", testAdminAK, "--secret-key", testAdminSK}
	// Every read is recorded in the stream after its page was collected,
	// so the newest entry before a command is what it sees last.
	last := at.eng.AuditLastSeq

	out, _, err := runAdmin(t, append(base, "audit", "tail")...)
	require.NoError(t, err)
	es := adminapitest.DecodeAuditLines(t, []byte(out))
	require.Len(t, es, 20)
	require.Equal(t, uint64(6), es[0].Seq)
	require.Equal(t, uint64(25), es[19].Seq)

	n := last()
	out, _, err = runAdmin(t, append(base, "audit", "tail", "-n", "2")...)
	require.NoError(t, err)
	require.Equal(t, []uint64{n - 1, n}, adminapitest.AuditSeqs(adminapitest.DecodeAuditLines(t, []byte(out))))

	n = last()
	out, _, err = runAdmin(t, append(base, "audit", "export", "--from", "20")...)
	require.NoError(t, err)
	require.Equal(t, seqRange(20, n), adminapitest.AuditSeqs(adminapitest.DecodeAuditLines(t, []byte(out))))

	file := filepath.Join(t.TempDir(), "audit.jsonl")
	n = last()
	out, _, err = runAdmin(t, append(base, "audit", "export", "--output", file)...)
	require.NoError(t, err)
	require.Empty(t, out)
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	require.Len(t, adminapitest.DecodeAuditLines(t, b), int(n))

	n = last()
	out, _, err = runAdmin(t, append(base, "audit", "verify")...)
	require.NoError(t, err)
	require.Regexp(t, fmt.Sprintf(`^audit chain OK: %d entries, head [0-9a-f]{64}\n$`, n), out)
	var head string
	require.NoError(t, at.eng.AuditEntries(context.Background(), n, func(e engine.AuditEntry) error {
		if e.Seq == n {
			head = e.Hash
		}
		return nil
	}))
	require.True(t, strings.HasSuffix(out, head+"\n"))
}

func seqRange(from, to uint64) []uint64 {
	out := []uint64{}
	for s := from; s <= to; s++ {
		out = append(out, s)
	}
	return out
}

func TestAdminCLIAuditFollow(t *testing.T) {
	clearAdminEnv(t)
	at := newAdminTest(t, nil)
	at.appendAudit(t, 3)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr := &lineWaiter{lines: make(chan string, 100)}
	env := &runEnv{ctx: ctx, stdout: pr, stderr: &bytes.Buffer{}}
	errc := make(chan error, 1)
	go func() {
		errc <- runWith(env, []string{"admin", "--admin-endpoint", at.srv.URL, "--access-key", testAdminAK, "--secret-key", testAdminSK,
			"audit", "tail", "-n", "1", "--follow"})
	}()
	var e engine.AuditEntry
	require.NoError(t, json.Unmarshal([]byte(<-pr.lines), &e))
	require.Equal(t, uint64(3), e.Seq)
	at.appendAudit(t, 2)
	// The new entries follow in order; the follower's own recorded reads
	// may be printed in between.
	var got []string
	prev := e.Seq
	for len(got) < 2 {
		require.NoError(t, json.Unmarshal([]byte(<-pr.lines), &e))
		require.Greater(t, e.Seq, prev)
		prev = e.Seq
		if e.Operation == "PutObject" {
			got = append(got, e.Key)
		} else {
			require.Equal(t, "AdminReadAudit", e.Operation)
		}
	}
	require.Equal(t, []string{"k0", "k1"}, got)
	cancel()
	require.NoError(t, <-errc)
}

// lineWaiter hands each line written to it to lines. Each Write is one
// line (as fmt.Fprintf of one entry writes it).
type lineWaiter struct{ lines chan string }

func (l *lineWaiter) Write(p []byte) (int, error) {
	l.lines <- strings.TrimSuffix(string(p), "\n")
	return len(p), nil
}
