package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/wormstore/wormstore/engine"
)

// appendAudit appends n audit entries to the test engine.
func (at *adminTest) appendAudit(t *testing.T, n int) {
	t.Helper()
	for i := range n {
		_, err := at.eng.Audit(context.Background(), engine.AuditEntry{
			Operation: "PutObject", Bucket: "b", Key: fmt.Sprintf("k%d", i), Outcome: "ok", Principal: "root",
		})
		require.NoError(t, err)
	}
}

func decodeAuditLines(t *testing.T, b []byte) []engine.AuditEntry {
	t.Helper()
	var out []engine.AuditEntry
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		var e engine.AuditEntry
		require.NoError(t, json.Unmarshal(sc.Bytes(), &e), "line %s", sc.Bytes())
		out = append(out, e)
	}
	return out
}

func auditSeqs(es []engine.AuditEntry) []uint64 {
	out := make([]uint64, len(es))
	for i, e := range es {
		out[i] = e.Seq
	}
	return out
}

func TestAdminAPIAudit(t *testing.T) {
	at := newAdminTest(t, nil)

	// An empty stream.
	st, ct, b := at.call(t, http.MethodGet, "audit", nil)
	require.Equal(t, http.StatusOK, st, "%s", b)
	require.Equal(t, "application/x-ndjson", ct)
	require.Empty(t, b)
	st, _, b = at.call(t, http.MethodGet, "audit/verify", nil)
	require.Equal(t, http.StatusOK, st, "%s", b)
	require.JSONEq(t, `{"ok": true, "entries": 0, "head": "", "problems": []}`, string(b))

	at.appendAudit(t, 7)
	tests := []struct {
		name string
		q    url.Values
		want []uint64
	}{
		{"all", nil, []uint64{1, 2, 3, 4, 5, 6, 7}},
		{"from", url.Values{"from": {"5"}}, []uint64{5, 6, 7}},
		{"from 0", url.Values{"from": {"0"}}, []uint64{1, 2, 3, 4, 5, 6, 7}},
		{"from past the end", url.Values{"from": {"8"}}, []uint64{}},
		{"limit", url.Values{"from": {"2"}, "limit": {"3"}}, []uint64{2, 3, 4}},
		{"last", url.Values{"last": {"3"}}, []uint64{5, 6, 7}},
		{"last more than all", url.Values{"last": {"100"}}, []uint64{1, 2, 3, 4, 5, 6, 7}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, _, b := at.call(t, http.MethodGet, "audit", tc.q)
			require.Equal(t, http.StatusOK, st, "%s", b)
			got := auditSeqs(decodeAuditLines(t, b))
			require.Equal(t, tc.want, got)
		})
	}

	// Entries carry the engine's JSON field names and chain.
	_, _, b = at.call(t, http.MethodGet, "audit", url.Values{"limit": {"2"}})
	require.Contains(t, string(b), `"operation":"PutObject"`)
	es := decodeAuditLines(t, b)
	require.Equal(t, es[0].Hash, es[1].Prev)

	st, _, b = at.call(t, http.MethodGet, "audit/verify", nil)
	require.Equal(t, http.StatusOK, st, "%s", b)
	var rep apiAuditReport
	require.NoError(t, json.Unmarshal(b, &rep))
	require.True(t, rep.OK)
	require.Equal(t, uint64(7), rep.Entries)
	require.Empty(t, rep.Problems)
	_, _, last := at.call(t, http.MethodGet, "audit", url.Values{"last": {"1"}})
	require.Equal(t, decodeAuditLines(t, last)[0].Hash, rep.Head)

	bad := []struct {
		name string
		q    url.Values
	}{
		{"limit 0", url.Values{"limit": {"0"}}},
		{"limit too big", url.Values{"limit": {"10001"}}},
		{"from not a number", url.Values{"from": {"x"}}},
		{"from and last", url.Values{"from": {"1"}, "last": {"2"}}},
		{"unknown", url.Values{"delete": {"1"}}},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			st, _, b := at.call(t, http.MethodGet, "audit", tc.q)
			require.Equal(t, http.StatusBadRequest, st, "%s", b)
			require.Equal(t, "InvalidArgument", decodeAPIError(t, b).Code)
		})
	}

	// The stream cannot be deleted or rewritten through the API.
	for _, m := range []string{http.MethodDelete, http.MethodPut, http.MethodPost} {
		st, _, b := at.call(t, m, "audit", nil)
		require.Equal(t, http.StatusMethodNotAllowed, st, "%s %s", m, b)
	}
}

func TestAdminCLIAudit(t *testing.T) {
	clearAdminEnv(t)
	at := newAdminTest(t, nil)
	at.appendAudit(t, 25)
	base := []string{"--admin-endpoint", at.srv.URL, "--access-key", testAdminAK, "--secret-key", testAdminSK}

	out, _, err := runAdmin(t, append(base, "audit", "tail")...)
	require.NoError(t, err)
	es := decodeAuditLines(t, []byte(out))
	require.Len(t, es, 20)
	require.Equal(t, uint64(6), es[0].Seq)
	require.Equal(t, uint64(25), es[19].Seq)

	out, _, err = runAdmin(t, append(base, "audit", "tail", "-n", "2")...)
	require.NoError(t, err)
	require.Equal(t, []uint64{24, 25}, auditSeqs(decodeAuditLines(t, []byte(out))))

	out, _, err = runAdmin(t, append(base, "audit", "export", "--from", "20")...)
	require.NoError(t, err)
	require.Equal(t, []uint64{20, 21, 22, 23, 24, 25}, auditSeqs(decodeAuditLines(t, []byte(out))))

	file := filepath.Join(t.TempDir(), "audit.jsonl")
	out, _, err = runAdmin(t, append(base, "audit", "export", "--output", file)...)
	require.NoError(t, err)
	require.Empty(t, out)
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	require.Len(t, decodeAuditLines(t, b), 25)

	out, _, err = runAdmin(t, append(base, "audit", "verify")...)
	require.NoError(t, err)
	require.Regexp(t, `^audit chain OK: 25 entries, head [0-9a-f]{64}\n$`, out)
	require.True(t, strings.HasSuffix(out, decodeAuditLines(t, b)[24].Hash+"\n"))
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
	for _, want := range []uint64{4, 5} {
		require.NoError(t, json.Unmarshal([]byte(<-pr.lines), &e))
		require.Equal(t, want, e.Seq)
	}
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
