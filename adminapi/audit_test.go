package adminapi_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/wormstore/wormstore/adminapi"
	"github.com/wormstore/wormstore/adminapi/adminapitest"
)

// appendAudit appends n audit entries to the test engine.
func (at *adminTest) appendAudit(t *testing.T, n int) {
	t.Helper()
	adminapitest.AppendAudit(t, at.eng, n)
}

func TestAdminAPIAudit(t *testing.T) {
	at := newAdminTest(t, nil)

	// An empty stream. A read is recorded after its page was collected
	// (an empty page, or one of only audit reads, is not: see
	// TestAdminAuditReadsDoNotFeedThemselves).
	st, ct, b := at.call(t, http.MethodGet, "audit", nil)
	require.Equal(t, http.StatusOK, st, "%s", b)
	require.Equal(t, "application/x-ndjson", ct)
	require.Empty(t, b)
	st, _, b = at.call(t, http.MethodGet, "audit/verify", nil)
	require.Equal(t, http.StatusOK, st, "%s", b)
	require.JSONEq(t, `{"ok": true, "entries": 0, "head": "", "problems": []}`, string(b))

	at.appendAudit(t, 7)
	seqs := func(from, to uint64) []uint64 {
		out := []uint64{}
		for s := from; s <= to; s++ {
			out = append(out, s)
		}
		return out
	}
	tests := []struct {
		name string
		q    url.Values
		want func(n uint64) []uint64 // n: the newest entry before the read
	}{
		{"all", nil, func(n uint64) []uint64 { return seqs(1, n) }},
		{"from", url.Values{"from": {"5"}}, func(n uint64) []uint64 { return seqs(5, n) }},
		{"from 0", url.Values{"from": {"0"}}, func(n uint64) []uint64 { return seqs(1, n) }},
		{"from past the end", url.Values{"from": {"100"}}, func(n uint64) []uint64 { return seqs(100, n) }},
		{"limit", url.Values{"from": {"2"}, "limit": {"3"}}, func(n uint64) []uint64 { return seqs(2, 4) }},
		{"last", url.Values{"last": {"3"}}, func(n uint64) []uint64 { return seqs(n-2, n) }},
		{"last more than all", url.Values{"last": {"100"}}, func(n uint64) []uint64 { return seqs(1, n) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := at.eng.AuditLastSeq()
			st, _, b := at.call(t, http.MethodGet, "audit", tc.q)
			require.Equal(t, http.StatusOK, st, "%s", b)
			got := adminapitest.AuditSeqs(adminapitest.DecodeAuditLines(t, b))
			require.Equal(t, tc.want(n), got)
		})
	}

	// Entries carry the engine's JSON field names and chain.
	_, _, b = at.call(t, http.MethodGet, "audit", url.Values{"limit": {"4"}})
	require.Contains(t, string(b), `"operation":"PutObject"`)
	es := adminapitest.DecodeAuditLines(t, b)
	require.Equal(t, es[2].Hash, es[3].Prev)

	n := at.eng.AuditLastSeq()
	st, _, b = at.call(t, http.MethodGet, "audit/verify", nil)
	require.Equal(t, http.StatusOK, st, "%s", b)
	var rep adminapi.AuditReport
	require.NoError(t, json.Unmarshal(b, &rep))
	require.True(t, rep.OK)
	require.Equal(t, n, rep.Entries)
	require.Empty(t, rep.Problems)
	all := at.auditAll(t)
	require.Equal(t, all[n-1].Hash, rep.Head)

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
