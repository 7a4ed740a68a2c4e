package iam

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

// refMatch is an obviously correct (exponential) glob matcher over runes.
func refMatch(p, s []rune) bool {
	if len(p) == 0 {
		return len(s) == 0
	}
	switch p[0] {
	case '*':
		for i := 0; i <= len(s); i++ {
			if refMatch(p[1:], s[i:]) {
				return true
			}
		}
		return false
	case '?':
		return len(s) > 0 && refMatch(p[1:], s[1:])
	}
	return len(s) > 0 && s[0] == p[0] && refMatch(p[1:], s[1:])
}

// TestPatternMatchesReference compares the linear-time matcher with
// refMatch on random short patterns and strings (seeded, logged).
func TestPatternMatchesReference(t *testing.T) {
	seed := uint64(20260402)
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed))
	alphabet := []rune("ab*?/é")
	gen := func(n int, wild bool) string {
		var b strings.Builder
		for range rng.IntN(n + 1) {
			r := alphabet[rng.IntN(len(alphabet))]
			if !wild && (r == '*' || r == '?') {
				r = 'a'
			}
			b.WriteRune(r)
		}
		return b.String()
	}
	for range 5000 {
		ps, s := gen(7, true), gen(9, false)
		p, err := compilePattern(ps, true, false, nil)
		require.NoError(t, err)
		want := refMatch([]rune(ps), []rune(s))
		require.Equal(t, want, p.match(s), "pattern %q, string %q", ps, s)
	}
}

func TestPatternInvalidUTF8(t *testing.T) {
	p, err := compilePattern("a?c*", true, false, nil)
	require.NoError(t, err)
	require.True(t, p.match("a\xffc"))
	require.True(t, p.match("a\xffc\xfe"))
	require.False(t, utf8.ValidString("a\xffc"))
}

// TestPatternWorstCase: the matcher stays fast on patterns that make
// naive backtracking exponential.
func TestPatternWorstCase(t *testing.T) {
	p, err := compilePattern(strings.Repeat("a*", 40)+"b", true, false, nil)
	require.NoError(t, err)
	require.False(t, p.match(strings.Repeat("a", 4000)))
}

func TestSplitARN(t *testing.T) {
	p, err := compilePattern("arn:aws:iam::${aws:PrincipalAccount}:user/a:b", true, true, nil)
	require.NoError(t, err)
	e := newEnv(&Request{Principal: "arn:aws:iam::123456789012:user/x"})
	r, ok := p.resolve(e)
	require.True(t, ok)
	segs, ok := r.splitARN()
	require.True(t, ok)
	var got []string
	for _, s := range segs {
		got = append(got, s.literal())
	}
	require.Equal(t, []string{"arn", "aws", "iam", "", "123456789012", "user/a:b"}, got)
	require.True(t, r.matchARN("arn:aws:iam::123456789012:user/a:b"))
	require.False(t, r.matchARN("arn:aws:iam::123456789013:user/a:b"))

	short, err := compilePattern("arn:aws:s3", true, false, nil)
	require.NoError(t, err)
	_, ok = short.splitARN()
	require.False(t, ok)
}
