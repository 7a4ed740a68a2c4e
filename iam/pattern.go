package iam

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

type tokKind uint8

const (
	tokLit  tokKind = iota // literal text
	tokStar                // '*': any run of characters, possibly empty
	tokOne                 // '?': exactly one character
	tokVar                 // ${key} or ${key, 'default'}: replaced before matching
)

type tok struct {
	kind   tokKind
	s      string // literal text, or the variable's key
	def    string // tokVar: default value
	hasDef bool   // tokVar: def is set
}

// pattern is a compiled Action, Resource or condition value. Literal text
// that came from a policy variable stays literal: a username containing
// '*' never acts as a wildcard.
type pattern []tok

// compilePattern compiles s. With wildcards, '*' and '?' are wildcards;
// with vars, ${…} is a policy variable (and ${*}, ${?}, ${$} are the
// literal characters). checkVar, if not nil, validates variable keys.
func compilePattern(s string, wildcards, vars bool, checkVar func(string) error) (pattern, error) {
	var p pattern
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			p = append(p, tok{kind: tokLit, s: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case vars && c == '$' && strings.HasPrefix(s[i:], "${"):
			end := strings.IndexByte(s[i:], '}')
			if end < 0 {
				return nil, fmt.Errorf("unterminated policy variable in %q", s)
			}
			inner := s[i+2 : i+end]
			i += end + 1
			switch strings.TrimSpace(inner) {
			case "*", "?", "$":
				lit.WriteString(strings.TrimSpace(inner))
				continue
			}
			t, err := parseVar(inner)
			if err != nil {
				return nil, err
			}
			if checkVar != nil {
				if err := checkVar(t.s); err != nil {
					return nil, err
				}
			}
			flush()
			p = append(p, t)
		case wildcards && c == '*':
			flush()
			if len(p) == 0 || p[len(p)-1].kind != tokStar {
				p = append(p, tok{kind: tokStar})
			}
			i++
		case wildcards && c == '?':
			flush()
			p = append(p, tok{kind: tokOne})
			i++
		default:
			lit.WriteByte(c)
			i++
		}
	}
	flush()
	return p, nil
}

// parseVar parses the inside of ${…}: a key, optionally followed by a comma
// and a default value in single quotes.
func parseVar(inner string) (tok, error) {
	key, def, hasDef := strings.Cut(inner, ",")
	key = strings.TrimSpace(key)
	t := tok{kind: tokVar, s: key}
	if !validVarKey(key) {
		return t, fmt.Errorf("invalid policy variable ${%s}", inner)
	}
	if hasDef {
		def = strings.TrimSpace(def)
		if len(def) < 2 || def[0] != '\'' || def[len(def)-1] != '\'' {
			return t, fmt.Errorf("policy variable ${%s}: default value must be in single quotes", inner)
		}
		t.def, t.hasDef = def[1:len(def)-1], true
	}
	return t, nil
}

func validVarKey(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			strings.IndexByte(":/-_.@+=", c) >= 0) {
			return false
		}
	}
	return true
}

// hasVars reports whether p contains a policy variable.
func (p pattern) hasVars() bool {
	for _, t := range p {
		if t.kind == tokVar {
			return true
		}
	}
	return false
}

// resolve replaces variables with their values from env. It reports false
// when a variable has no single value and no default: the pattern then
// matches nothing.
func (p pattern) resolve(env *env) (pattern, bool) {
	if !p.hasVars() {
		return p, true
	}
	out := make(pattern, 0, len(p))
	add := func(s string) {
		if n := len(out); n > 0 && out[n-1].kind == tokLit {
			out[n-1].s += s
			return
		}
		out = append(out, tok{kind: tokLit, s: s})
	}
	for _, t := range p {
		switch t.kind {
		case tokVar:
			vals := env.lookup(t.s)
			switch {
			case len(vals) == 1:
				add(vals[0])
			case t.hasDef:
				add(t.def)
			default:
				return nil, false
			}
		case tokLit:
			add(t.s)
		default:
			out = append(out, t)
		}
	}
	return out, true
}

// literal returns the text of a resolved pattern without wildcards.
func (p pattern) literal() string {
	if len(p) == 1 {
		return p[0].s
	}
	var b strings.Builder
	for _, t := range p {
		b.WriteString(t.s)
	}
	return b.String()
}

// match reports whether the resolved pattern p matches all of s. It is the
// usual greedy glob with one backtracking point (the last '*'), so it runs
// in O(len(p)·len(s)) at worst and never recurses. '?' and backtracking
// step over whole UTF-8 characters.
func (p pattern) match(s string) bool {
	pi, si := 0, 0
	starP, starS := -1, 0
	for {
		if pi < len(p) {
			switch t := p[pi]; t.kind {
			case tokStar:
				starP, starS = pi, si
				pi++
				continue
			case tokOne:
				if si < len(s) {
					_, n := utf8.DecodeRuneInString(s[si:])
					si += n
					pi++
					continue
				}
			case tokLit:
				if strings.HasPrefix(s[si:], t.s) {
					si += len(t.s)
					pi++
					continue
				}
			}
		} else if si == len(s) {
			return true
		}
		if starP < 0 || starS >= len(s) {
			return false
		}
		_, n := utf8.DecodeRuneInString(s[starS:])
		starS += n
		pi, si = starP+1, starS
	}
}

// splitARN splits a resolved ARN pattern into its six colon-separated
// segments (the last one keeps any further colons). It reports false when
// the pattern has fewer than six segments.
func (p pattern) splitARN() ([6]pattern, bool) {
	var segs [6]pattern
	n := 0
	for _, t := range p {
		if t.kind != tokLit {
			segs[n] = append(segs[n], t)
			continue
		}
		s := t.s
		for n < 5 {
			i := strings.IndexByte(s, ':')
			if i < 0 {
				break
			}
			if i > 0 {
				segs[n] = append(segs[n], tok{kind: tokLit, s: s[:i]})
			}
			s = s[i+1:]
			n++
		}
		if s != "" {
			segs[n] = append(segs[n], tok{kind: tokLit, s: s})
		}
	}
	return segs, n == 5
}

// matchARN matches an ARN pattern against an ARN segment by segment, as
// the ArnEquals and ArnLike condition operators do: a wildcard never
// matches across a colon, except within the final resource segment.
func (p pattern) matchARN(arn string) bool {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 {
		return false
	}
	segs, ok := p.splitARN()
	if !ok {
		return false
	}
	for i := range segs {
		if !segs[i].match(parts[i]) {
			return false
		}
	}
	return true
}
