package lifecycle

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func i64(n int64) *int64 { return &n }

func TestExpiryTime(t *testing.T) {
	tests := []struct {
		name string
		t    time.Time
		days int
		want time.Time
	}{
		{"aws example", time.Date(2014, 1, 15, 10, 30, 0, 0, time.UTC), 3, time.Date(2014, 1, 19, 0, 0, 0, 0, time.UTC)},
		{"just before midnight", time.Date(2026, 3, 1, 23, 59, 59, 0, time.UTC), 1, time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC)},
		{"exactly midnight", time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), 1, time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC)},
		{"other zone counts in UTC", time.Date(2026, 3, 1, 23, 0, 0, 0, time.FixedZone("x", -5*3600)), 1, time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC)},
		{"month end", time.Date(2026, 1, 31, 12, 0, 0, 0, time.UTC), 1, time.Date(2026, 2, 2, 0, 0, 0, 0, time.UTC)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := ExpiryTime(tc.t, tc.days)
			require.True(t, got.Equal(tc.want), "got %v, want %v", got, tc.want)
		})
	}
}

func TestFilterMatches(t *testing.T) {
	tags := map[string]string{"class": "tmp", "team": "a"}
	tests := []struct {
		name string
		f    Filter
		key  string
		size int64
		tags map[string]string
		want bool
	}{
		{"all", Filter{}, "x", 5, nil, true},
		{"prefix yes", Filter{Kind: FilterPrefix, Prefix: "logs/"}, "logs/a", 1, nil, true},
		{"prefix no", Filter{Kind: FilterPrefix, Prefix: "logs/"}, "log/a", 1, nil, false},
		{"tag yes", Filter{Kind: FilterTag, Tags: []Tag{{"class", "tmp"}}}, "k", 1, tags, true},
		{"tag other value", Filter{Kind: FilterTag, Tags: []Tag{{"class", "keep"}}}, "k", 1, tags, false},
		{"tag absent", Filter{Kind: FilterTag, Tags: []Tag{{"class", "tmp"}}}, "k", 1, nil, false},
		{"size gt strict", Filter{Kind: FilterSizeGT, SizeGreaterThan: i64(10)}, "k", 10, nil, false},
		{"size gt", Filter{Kind: FilterSizeGT, SizeGreaterThan: i64(10)}, "k", 11, nil, true},
		{"size lt strict", Filter{Kind: FilterSizeLT, SizeLessThan: i64(10)}, "k", 10, nil, false},
		{"size lt", Filter{Kind: FilterSizeLT, SizeLessThan: i64(10)}, "k", 9, nil, true},
		{"and all hold", Filter{Kind: FilterAnd, Prefix: "a/", Tags: []Tag{{"class", "tmp"}, {"team", "a"}}, SizeGreaterThan: i64(1), SizeLessThan: i64(100)}, "a/x", 50, tags, true},
		{"and one tag missing", Filter{Kind: FilterAnd, Prefix: "a/", Tags: []Tag{{"class", "tmp"}, {"team", "b"}}}, "a/x", 50, tags, false},
		{"and size out", Filter{Kind: FilterAnd, Prefix: "a/", SizeGreaterThan: i64(1), SizeLessThan: i64(100)}, "a/x", 100, tags, false},
		{"and prefix out", Filter{Kind: FilterAnd, Prefix: "a/", Tags: []Tag{{"class", "tmp"}}}, "b/x", 50, tags, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, tc.f.Matches(tc.key, tc.size, tc.tags))
		})
	}
}

var day0 = time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)

func at(days int, hours int) time.Time {
	return day0.AddDate(0, 0, days).Add(time.Duration(hours) * time.Hour)
}

func TestEvaluate(t *testing.T) {
	yes := true
	date := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	// v3 (current, day 10) → v2 (day 5) → v1 (day 1): v1 became noncurrent
	// on day 5, v2 on day 10.
	three := []Version{{ID: "v3", Size: 10, ModTime: at(10, 0)}, {ID: "v2", Size: 10, ModTime: at(5, 0)}, {ID: "v1", Size: 10, ModTime: at(1, 0)}}
	withDM := []Version{{ID: "dm", DeleteMarker: true, ModTime: at(10, 0)}, {ID: "v2", Size: 10, ModTime: at(5, 0)}, {ID: "v1", Size: 10, ModTime: at(1, 0)}}
	soleDM := []Version{{ID: "dm", DeleteMarker: true, ModTime: at(3, 0)}}
	tagged := []Version{{ID: "v2", Size: 1, ModTime: at(2, 0), Tags: map[string]string{"t": "x"}}, {ID: "v1", Size: 1, ModTime: at(1, 0), Tags: map[string]string{"t": "x"}}}
	noncur := func(days, newer int) *NoncurrentExpiration {
		return &NoncurrentExpiration{NoncurrentDays: days, NewerNoncurrentVersions: newer}
	}
	tests := []struct {
		name      string
		rules     []Rule
		versions  []Version
		now       time.Time
		versioned bool
		want      []Action
	}{
		{"days not yet", []Rule{{ID: "r", Enabled: true, Expiration: &Expiration{Days: 5}}}, three, at(15, 0), true, nil},
		{"days reached at midnight", []Rule{{ID: "r", Enabled: true, Expiration: &Expiration{Days: 5}}}, three,
			// created May 11 09:00 + 5 days = May 16 09:00, rounded up to May 17 00:00.
			time.Date(2026, 5, 17, 0, 0, 0, 0, time.UTC), true, []Action{{ExpireCurrent, "v3", "r"}}},
		{"a second before midnight", []Rule{{ID: "r", Enabled: true, Expiration: &Expiration{Days: 5}}}, three,
			time.Date(2026, 5, 16, 23, 59, 59, 0, time.UTC), true, nil},
		{"disabled rule", []Rule{{ID: "r", Enabled: false, Expiration: &Expiration{Days: 1}}}, three, at(100, 0), true, nil},
		{"date passed", []Rule{{ID: "r", Enabled: true, Expiration: &Expiration{Date: &date}}}, three, date, true, []Action{{ExpireCurrent, "v3", "r"}}},
		{"date not yet", []Rule{{ID: "r", Enabled: true, Expiration: &Expiration{Date: &date}}}, three, date.Add(-time.Second), true, nil},
		{"current delete marker not expired again", []Rule{{ID: "r", Enabled: true, Expiration: &Expiration{Days: 1}}}, withDM, at(100, 0), true, nil},
		{"noncurrent from successor time", []Rule{{ID: "r", Enabled: true, NoncurrentExpiration: noncur(3, 0)}}, three,
			// v1 noncurrent since day 5 → due day 9 00:00 (5+3 = day 8 09:00, next midnight); v2 since day 10 → due day 14.
			time.Date(2026, 5, 10, 0, 0, 0, 0, time.UTC), true, []Action{{RemoveNoncurrent, "v1", "r"}}},
		{"noncurrent both due", []Rule{{ID: "r", Enabled: true, NoncurrentExpiration: noncur(3, 0)}}, three, at(30, 0), true,
			[]Action{{RemoveNoncurrent, "v2", "r"}, {RemoveNoncurrent, "v1", "r"}}},
		{"newer noncurrent kept", []Rule{{ID: "r", Enabled: true, NoncurrentExpiration: noncur(1, 1)}}, three, at(30, 0), true,
			[]Action{{RemoveNoncurrent, "v1", "r"}}},
		{"newer noncurrent keeps all", []Rule{{ID: "r", Enabled: true, NoncurrentExpiration: noncur(1, 2)}}, three, at(30, 0), true, nil},
		{"noncurrent behind delete marker", []Rule{{ID: "r", Enabled: true, NoncurrentExpiration: noncur(1, 0)}}, withDM, at(30, 0), true,
			[]Action{{RemoveNoncurrent, "v2", "r"}, {RemoveNoncurrent, "v1", "r"}}},
		{"noncurrent needs versioning", []Rule{{ID: "r", Enabled: true, NoncurrentExpiration: noncur(1, 0)}}, three, at(30, 0), false, nil},
		{"expired delete marker", []Rule{{ID: "r", Enabled: true, Expiration: &Expiration{ExpiredObjectDeleteMarker: &yes}}}, soleDM, at(3, 1), true,
			[]Action{{RemoveDeleteMarker, "dm", "r"}}},
		{"delete marker with versions kept", []Rule{{ID: "r", Enabled: true, Expiration: &Expiration{ExpiredObjectDeleteMarker: &yes}}}, withDM, at(30, 0), true, nil},
		{"days also remove a sole old delete marker", []Rule{{ID: "r", Enabled: true, Expiration: &Expiration{Days: 2}}}, soleDM, at(6, 0), true,
			[]Action{{RemoveDeleteMarker, "dm", "r"}}},
		{"days: young sole delete marker kept", []Rule{{ID: "r", Enabled: true, Expiration: &Expiration{Days: 2}}}, soleDM, at(4, 0), true, nil},
		{"tag filter per version", []Rule{{ID: "r", Enabled: true, Filter: Filter{Kind: FilterTag, Tags: []Tag{{"t", "x"}}}, NoncurrentExpiration: noncur(1, 0)}},
			tagged, at(30, 0), true, []Action{{RemoveNoncurrent, "v1", "r"}}},
		{"tag filter: delete marker has no tags", []Rule{{ID: "r", Enabled: true, Filter: Filter{Kind: FilterTag, Tags: []Tag{{"t", "x"}}}, Expiration: &Expiration{Days: 1}}},
			soleDM, at(30, 0), true, nil},
		{"size filter", []Rule{{ID: "r", Enabled: true, Filter: Filter{Kind: FilterSizeGT, SizeGreaterThan: i64(10)}, Expiration: &Expiration{Days: 1}}}, three, at(30, 0), true, nil},
		{"first rule wins, one action per version", []Rule{
			{ID: "a", Enabled: true, NoncurrentExpiration: noncur(1, 0)},
			{ID: "b", Enabled: true, NoncurrentExpiration: noncur(1, 0), Expiration: &Expiration{Days: 1}},
		}, three, at(30, 0), true, []Action{{ExpireCurrent, "v3", "b"}, {RemoveNoncurrent, "v2", "a"}, {RemoveNoncurrent, "v1", "a"}}},
		{"unversioned expiration removes", []Rule{{ID: "r", Enabled: true, Expiration: &Expiration{Days: 1}}}, three[:1], at(30, 0), false,
			[]Action{{ExpireCurrent, "v3", "r"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := &Configuration{Version: FormatVersion, Rules: tc.rules}
			got := c.Evaluate("k", tc.versions, tc.now, tc.versioned)
			require.Equal(t, tc.want, got)
			require.Equal(t, modelEvaluate(c, "k", tc.versions, tc.now, tc.versioned), got, "model")
		})
	}
}

// modelEvaluate is a direct reading of the AWS rules, version by version:
// for each version, the first enabled rule (in order) that selects it.
func modelEvaluate(c *Configuration, key string, vs []Version, now time.Time, versioned bool) []Action {
	var out []Action
	for i, v := range vs {
		size, tags := v.Size, v.Tags
		if v.DeleteMarker {
			size, tags = 0, nil
		}
		for _, r := range c.Rules {
			if !r.Enabled || !r.Filter.Matches(key, size, tags) {
				continue
			}
			var kind ActionKind
			ok := false
			if i == 0 && r.Expiration != nil {
				e := r.Expiration
				old := (e.Days > 0 && !now.Before(ExpiryTime(v.ModTime, e.Days))) || (e.Date != nil && !now.Before(*e.Date))
				switch {
				case !v.DeleteMarker && old:
					kind, ok = ExpireCurrent, true
				case v.DeleteMarker && len(vs) == 1 && (old || (e.ExpiredObjectDeleteMarker != nil && *e.ExpiredObjectDeleteMarker)):
					kind, ok = RemoveDeleteMarker, true
				}
			}
			if i > 0 && versioned && r.NoncurrentExpiration != nil {
				n := r.NoncurrentExpiration
				newer := 0
				for j := 1; j < i; j++ {
					w := vs[j]
					ws, wt := w.Size, w.Tags
					if w.DeleteMarker {
						ws, wt = 0, nil
					}
					if r.Filter.Matches(key, ws, wt) {
						newer++
					}
				}
				becameNoncurrent := vs[i-1].ModTime
				if newer >= n.NewerNoncurrentVersions && !now.Before(ExpiryTime(becameNoncurrent, n.NoncurrentDays)) {
					kind, ok = RemoveNoncurrent, true
				}
			}
			if ok {
				out = append(out, Action{Kind: kind, VersionID: v.ID, Rule: r.ID})
				break
			}
		}
	}
	return out
}

// TestEvaluateMatchesModel compares Evaluate with the model on random
// histories and rule sets.
func TestEvaluateMatchesModel(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 7))
	yes := true
	for iter := 0; iter < 3000; iter++ {
		var rules []Rule
		for r := 0; r < 1+rng.IntN(3); r++ {
			rule := Rule{ID: fmt.Sprint("r", r), Enabled: rng.IntN(5) != 0}
			switch rng.IntN(5) {
			case 1:
				rule.Filter = Filter{Kind: FilterPrefix, Prefix: []string{"a", "b", "a/"}[rng.IntN(3)]}
			case 2:
				rule.Filter = Filter{Kind: FilterTag, Tags: []Tag{{"t", []string{"x", "y"}[rng.IntN(2)]}}}
			case 3:
				rule.Filter = Filter{Kind: FilterAnd, Prefix: "a", SizeGreaterThan: i64(int64(rng.IntN(5))), SizeLessThan: i64(int64(5 + rng.IntN(5)))}
			case 4:
				rule.Filter = Filter{Kind: FilterSizeLT, SizeLessThan: i64(int64(1 + rng.IntN(10)))}
			}
			switch rng.IntN(4) {
			case 0:
				rule.Expiration = &Expiration{Days: 1 + rng.IntN(20)}
			case 1:
				rule.Expiration = &Expiration{ExpiredObjectDeleteMarker: &yes}
			case 2:
				d := time.Date(2026, 5, 1+rng.IntN(40), 0, 0, 0, 0, time.UTC)
				rule.Expiration = &Expiration{Date: &d}
			}
			if rng.IntN(2) == 0 {
				rule.NoncurrentExpiration = &NoncurrentExpiration{NoncurrentDays: 1 + rng.IntN(20), NewerNoncurrentVersions: rng.IntN(3)}
			}
			rules = append(rules, rule)
		}
		c := &Configuration{Version: FormatVersion, Rules: rules}
		n := 1 + rng.IntN(6)
		vs := make([]Version, n)
		tm := at(40, 0)
		for i := range vs {
			tm = tm.Add(-time.Duration(rng.IntN(5*24)) * time.Hour)
			vs[i] = Version{ID: fmt.Sprint("v", n-i), DeleteMarker: rng.IntN(4) == 0, Size: int64(rng.IntN(12)), ModTime: tm}
			if rng.IntN(2) == 0 {
				vs[i].Tags = map[string]string{"t": []string{"x", "y"}[rng.IntN(2)]}
			}
		}
		key := []string{"a/1", "b", "ab", "c"}[rng.IntN(4)]
		now := at(rng.IntN(60), rng.IntN(24))
		versioned := rng.IntN(4) != 0
		require.Equal(t, modelEvaluate(c, key, vs, now, versioned), c.Evaluate(key, vs, now, versioned), "iteration %d", iter)
	}
}

func TestAbortDue(t *testing.T) {
	c := &Configuration{Rules: []Rule{
		{ID: "off", Enabled: false, Filter: Filter{Kind: FilterPrefix}, AbortIncompleteMultipartUploadDays: 1},
		{ID: "tmp", Enabled: true, Filter: Filter{Kind: FilterPrefix, Prefix: "tmp/"}, AbortIncompleteMultipartUploadDays: 2},
	}}
	_, due := c.AbortDue("tmp/x", at(0, 0), at(2, 0))
	require.False(t, due, "not before the next midnight after 2 days")
	rule, due := c.AbortDue("tmp/x", at(0, 0), at(2, 15))
	require.True(t, due)
	require.Equal(t, "tmp", rule)
	_, due = c.AbortDue("other", at(0, 0), at(100, 0))
	require.False(t, due)
}

func TestDocumentRoundTrip(t *testing.T) {
	d := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	no := false
	c := &Configuration{Rules: []Rule{
		{ID: "a", Enabled: true, LegacyPrefix: true, Filter: Filter{Kind: FilterPrefix, Prefix: "p/"}, Expiration: &Expiration{Date: &d}},
		{ID: "b", Filter: Filter{Kind: FilterAnd, Prefix: "q", Tags: []Tag{{"k", "v"}}, SizeGreaterThan: i64(0), SizeLessThan: i64(9)},
			Expiration: &Expiration{ExpiredObjectDeleteMarker: &no}, NoncurrentExpiration: &NoncurrentExpiration{NoncurrentDays: 3, NewerNoncurrentVersions: 2}},
		{ID: "c", Enabled: true, AbortIncompleteMultipartUploadDays: 7},
	}}
	doc, err := Encode(c)
	require.NoError(t, err)
	got, err := Decode(string(doc))
	require.NoError(t, err)
	c.Version = FormatVersion
	require.Equal(t, c, got)

	_, err = Decode(`{"v":2,"rules":[]}`)
	require.ErrorIs(t, err, ErrFormatTooNew)
	_, err = Decode(`{"v":1,"rules":[],"extra":1}`)
	require.ErrorIs(t, err, ErrCorrupt)
	_, err = Decode(`{"rules":[]}`)
	require.ErrorIs(t, err, ErrCorrupt)
	none, err := Decode("")
	require.NoError(t, err)
	require.Nil(t, none)
}

// TestCurrentExpiry: the earliest Expiration (Days or Date) of the enabled
// rules selecting the version, with its rule id; none for disabled rules,
// other prefixes, or rules with only other actions.
func TestCurrentExpiry(t *testing.T) {
	created := time.Date(2014, 1, 15, 10, 30, 0, 0, time.UTC)
	date := time.Date(2014, 1, 17, 0, 0, 0, 0, time.UTC)
	yes := true
	c := &Configuration{Rules: []Rule{
		{ID: "off", Enabled: false, Expiration: &Expiration{Days: 1}},
		{ID: "logs", Enabled: true, Filter: Filter{Kind: FilterPrefix, Prefix: "logs/"}, Expiration: &Expiration{Days: 3}},
		{ID: "marker", Enabled: true, Expiration: &Expiration{ExpiredObjectDeleteMarker: &yes}},
		{ID: "nc", Enabled: true, NoncurrentExpiration: &NoncurrentExpiration{NoncurrentDays: 1}},
		{ID: "tmp-date", Enabled: true, Filter: Filter{Kind: FilterPrefix, Prefix: "logs/tmp/"}, Expiration: &Expiration{Date: &date}},
	}}
	at, rule, ok := c.CurrentExpiry("logs/a", 5, nil, created)
	require.True(t, ok)
	require.Equal(t, "logs", rule)
	require.Equal(t, time.Date(2014, 1, 19, 0, 0, 0, 0, time.UTC), at)

	at, rule, ok = c.CurrentExpiry("logs/tmp/b", 5, nil, created)
	require.True(t, ok)
	require.Equal(t, "tmp-date", rule, "the earlier of two matching rules")
	require.Equal(t, date, at)

	_, _, ok = c.CurrentExpiry("other", 5, nil, created)
	require.False(t, ok)
	var none *Configuration
	_, _, ok = none.CurrentExpiry("logs/a", 5, nil, created)
	require.False(t, ok)
}
