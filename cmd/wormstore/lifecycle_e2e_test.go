package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wormstore/wormstore/adminapi"
	"github.com/wormstore/wormstore/engine"
	"github.com/wormstore/wormstore/gate"
)

// TestLifecycleScenarioAWSCLI is issue 11's "done when" scenario, end to
// end with the aws CLI against a real server whose engine clock the test
// advances: restic-style deletes (delete markers) under a bucket default
// retention, a NoncurrentVersionExpiration rule, and lifecycle passes
// (`wormstore admin lifecycle run`) that remove exactly the unlocked
// noncurrent versions — never one under retention (default, extended) or
// legal hold — and remove them once the lock ends; every removal is in the
// audit stream with source and principal "lifecycle", and the chain
// verifies.
func TestLifecycleScenarioAWSCLI(t *testing.T) {
	awsBin := requireTool(t, "aws")
	clearAdminEnv(t)
	t0 := time.Now().UTC().Truncate(time.Second)
	clock := &testClock{t: t0}
	dir := filepath.Join(t.TempDir(), "data")
	ts := startTestServerWith(t, clock.Now, "--dev", "--data", dir, "--lifecycle-interval", "0")
	rootAK, rootSK := devCredentials(t, dir)
	base := []string{"--admin-endpoint", "http://" + ts.admin, "--data", dir}

	env := []string{}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	env = append(env, "AWS_ENDPOINT_URL=http://"+ts.addr, "AWS_DEFAULT_REGION=us-east-1", "AWS_CONFIG_FILE=/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_ACCESS_KEY_ID="+rootAK, "AWS_SECRET_ACCESS_KEY="+rootSK, "AWS_MAX_ATTEMPTS=1", "AWS_PAGER=")
	aws := func(args ...string) map[string]any {
		t.Helper()
		cmd := exec.Command(awsBin, append(args, "--output", "json")...)
		cmd.Env = env
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		require.NoError(t, err, "aws %s: %s", strings.Join(args, " "), stderr.String())
		m := map[string]any{}
		if strings.TrimSpace(string(out)) != "" {
			require.NoError(t, json.Unmarshal(out, &m), "aws %s: %s", strings.Join(args, " "), out)
		}
		return m
	}
	files := t.TempDir()
	put := func(key string) string {
		t.Helper()
		f := filepath.Join(files, "body")
		require.NoError(t, os.WriteFile(f, []byte("pack "+key+" at "+clock.Now().String()), 0o600))
		out := aws("s3api", "put-object", "--bucket", "repo", "--key", key, "--body", f)
		return out["VersionId"].(string)
	}
	// versions lists the bucket: key → version ids newest first, delete
	// markers as "dm".
	versions := func() map[string][]string {
		t.Helper()
		out := aws("s3api", "list-object-versions", "--bucket", "repo")
		type entry struct {
			key, id string
			latest  bool
			dm      bool
			mod     string
		}
		var es []entry
		for _, kind := range []string{"Versions", "DeleteMarkers"} {
			list, _ := out[kind].([]any)
			for _, v := range list {
				m := v.(map[string]any)
				es = append(es, entry{key: m["Key"].(string), id: m["VersionId"].(string), latest: m["IsLatest"].(bool), dm: kind == "DeleteMarkers", mod: m["LastModified"].(string)})
			}
		}
		// Newest first within a key: the latest, then by version id
		// (ids sort newest first).
		sort.SliceStable(es, func(i, j int) bool {
			if es[i].key != es[j].key {
				return es[i].key < es[j].key
			}
			if es[i].latest != es[j].latest {
				return es[i].latest
			}
			return es[i].id < es[j].id
		})
		res := map[string][]string{}
		for _, e := range es {
			id := e.id
			if e.dm {
				id = "dm"
			}
			res[e.key] = append(res[e.key], id)
		}
		return res
	}
	run := func() adminapi.LifecycleRun {
		t.Helper()
		out, stderr, err := runAdmin(t, append(base, "--json", "lifecycle", "run")...)
		require.NoError(t, err, stderr)
		var r adminapi.LifecycleRun
		require.NoError(t, json.Unmarshal([]byte(out), &r), out)
		return r
	}

	// A restic repository: versioning and Object Lock with a default
	// COMPLIANCE retention of 10 days (restic never sets retention itself).
	aws("s3api", "create-bucket", "--bucket", "repo", "--object-lock-enabled-for-bucket")
	aws("s3api", "put-object-lock-configuration", "--bucket", "repo", "--object-lock-configuration",
		`{"ObjectLockEnabled":"Enabled","Rule":{"DefaultRetention":{"Mode":"COMPLIANCE","Days":10}}}`)
	p1, p2, p3 := put("data/p1"), put("data/p2"), put("data/p3")
	i1 := put("index/i1")
	l1 := put("locks/l1")
	aws("s3api", "put-object-legal-hold", "--bucket", "repo", "--key", "data/p2", "--version-id", p2, "--legal-hold", "Status=ON")

	// Five days later restic prunes: plain deletes (delete markers), a new
	// index, a new pack. One pruned pack's retention is extended.
	clock.Set(t0.Add(5 * 24 * time.Hour))
	for _, k := range []string{"data/p1", "data/p2", "data/p3", "locks/l1"} {
		aws("s3api", "delete-object", "--bucket", "repo", "--key", k)
	}
	i2 := put("index/i1")
	p4 := put("data/p4")
	until := t0.Add(20 * 24 * time.Hour).Format(time.RFC3339)
	aws("s3api", "put-object-retention", "--bucket", "repo", "--key", "data/p3", "--version-id", p3,
		"--retention", `{"Mode":"COMPLIANCE","RetainUntilDate":"`+until+`"}`)

	// The space-reclaiming rule restic users set.
	aws("s3api", "put-bucket-lifecycle-configuration", "--bucket", "repo", "--lifecycle-configuration",
		`{"Rules":[{"ID":"restic-prune","Status":"Enabled","Filter":{"Prefix":""},"NoncurrentVersionExpiration":{"NoncurrentDays":1},"Expiration":{"ExpiredObjectDeleteMarker":true}}]}`)
	lc := aws("s3api", "get-bucket-lifecycle-configuration", "--bucket", "repo")
	rules := lc["Rules"].([]any)
	require.Len(t, rules, 1)
	require.Equal(t, "restic-prune", rules[0].(map[string]any)["ID"])
	require.EqualValues(t, 1, rules[0].(map[string]any)["NoncurrentVersionExpiration"].(map[string]any)["NoncurrentDays"])

	all := map[string][]string{
		"data/p1": {"dm", p1}, "data/p2": {"dm", p2}, "data/p3": {"dm", p3}, "data/p4": {p4},
		"index/i1": {i2, i1}, "locks/l1": {"dm", l1},
	}
	require.Equal(t, all, versions())
	auditFrom := lastAuditSeq(t, base)

	// Day 7: every noncurrent version is a day old but still under the
	// default retention: nothing is removed, all five are counted.
	clock.Set(t0.Add(7 * 24 * time.Hour))
	r := run()
	require.Equal(t, int64(0), r.RemovedNoncurrent, "%+v", r)
	require.Equal(t, int64(5), r.SkippedLocked, "%+v", r)
	require.Equal(t, all, versions())

	// Day 12: the default retention has ended. p1, l1 and the old index go;
	// p2 (legal hold) and p3 (retention extended to day 20) stay.
	clock.Set(t0.Add(12 * 24 * time.Hour))
	r = run()
	require.Equal(t, int64(3), r.RemovedNoncurrent, "%+v", r)
	require.Equal(t, int64(2), r.SkippedLocked, "%+v", r)
	require.Equal(t, map[string][]string{
		"data/p1": {"dm"}, "data/p2": {"dm", p2}, "data/p3": {"dm", p3}, "data/p4": {p4},
		"index/i1": {i2}, "locks/l1": {"dm"},
	}, versions())

	// The next pass removes the delete markers left alone (expired object
	// delete markers); the locked ones stay.
	r = run()
	require.Equal(t, int64(2), r.RemovedDeleteMarker, "%+v", r)
	require.Equal(t, int64(2), r.SkippedLocked)
	// Releasing the hold lets the next pass remove p2 (its retention ended
	// on day 10), then its delete marker.
	aws("s3api", "put-object-legal-hold", "--bucket", "repo", "--key", "data/p2", "--version-id", p2, "--legal-hold", "Status=OFF")
	r = run()
	require.Equal(t, int64(1), r.RemovedNoncurrent, "%+v", r)
	require.Equal(t, int64(1), r.SkippedLocked, "p3 until day 20")
	r = run()
	require.Equal(t, int64(1), r.RemovedDeleteMarker)
	require.Equal(t, map[string][]string{"data/p3": {"dm", p3}, "data/p4": {p4}, "index/i1": {i2}}, versions())
	got := aws("s3api", "head-object", "--bucket", "repo", "--key", "data/p3", "--version-id", p3)
	require.Equal(t, "COMPLIANCE", got["ObjectLockMode"])

	// The audit stream: exactly these removals, by lifecycle, no bypass;
	// one summary entry per pass; the chain verifies.
	removed := map[string]string{}
	passes := 0
	tail, _, err := runAdmin(t, append(base, "audit", "export", "--from", itoa(auditFrom))...)
	require.NoError(t, err)
	for _, line := range strings.Split(strings.TrimSpace(tail), "\n") {
		var e engine.AuditEntry
		require.NoError(t, json.Unmarshal([]byte(line), &e), line)
		if e.Source != gate.DoorLifecycle {
			continue
		}
		require.Equal(t, gate.LifecyclePrincipal, e.Principal)
		require.False(t, e.Bypass)
		require.Equal(t, engine.AuditOK, e.Outcome, "%+v", e)
		if e.Operation == gate.OpLifecyclePass {
			passes++
			continue
		}
		removed[e.Key+" "+e.VersionID] = e.Operation
	}
	require.Equal(t, 5, passes)
	dms := map[string]bool{}
	for k, op := range removed {
		if op == gate.OpLifecycleRemoveDeleteMarker {
			dms[strings.Fields(k)[0]] = true
			delete(removed, k)
		}
	}
	require.Equal(t, map[string]string{
		"data/p1 " + p1: gate.OpLifecycleRemoveNoncurrent, "locks/l1 " + l1: gate.OpLifecycleRemoveNoncurrent,
		"index/i1 " + i1: gate.OpLifecycleRemoveNoncurrent, "data/p2 " + p2: gate.OpLifecycleRemoveNoncurrent,
	}, removed)
	require.Equal(t, map[string]bool{"data/p1": true, "locks/l1": true, "data/p2": true}, dms)
	vout, _, err := runAdmin(t, append(base, "audit", "verify")...)
	require.NoError(t, err)
	require.Contains(t, vout, "audit chain OK")

	// The counts are in the metrics.
	_, body := getBody(t, "http://"+ts.admin+"/metrics")
	var lines []string
	for _, l := range strings.Split(body, "\n") {
		if strings.HasPrefix(l, "wormstore_lifecycle_") && !strings.Contains(l, "last_pass") {
			lines = append(lines, l)
		}
	}
	require.Equal(t, []string{
		`wormstore_lifecycle_actions_total{action="abort_upload"} 0`,
		`wormstore_lifecycle_actions_total{action="expire_current"} 0`,
		`wormstore_lifecycle_actions_total{action="remove_delete_marker"} 3`,
		`wormstore_lifecycle_actions_total{action="remove_noncurrent"} 4`,
		"wormstore_lifecycle_errors_total 0",
		"wormstore_lifecycle_passes_total 5",
		"wormstore_lifecycle_skipped_changed_total 0",
		"wormstore_lifecycle_skipped_locked_total 11", // 5 + 2 + 2 + 1 + 1: counted by every pass
	}, lines)
	require.Contains(t, body, "\nwormstore_lifecycle_last_pass_timestamp_seconds ")
}

func lastAuditSeq(t *testing.T, base []string) uint64 {
	t.Helper()
	out, _, err := runAdmin(t, append(base, "audit", "tail", "-n", "1")...)
	require.NoError(t, err)
	var e engine.AuditEntry
	require.NoError(t, json.Unmarshal([]byte(strings.TrimSpace(out)), &e), out)
	return e.Seq + 1
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }
