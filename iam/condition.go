package iam

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// valType is the kind of value a condition operator compares.
type valType uint8

const (
	tString valType = iota
	tNumeric
	tDate
	tBool
	tBinary
	tIP
	tARN
	tNull
)

// cmpKind is how a request value is compared with a policy value.
type cmpKind uint8

const (
	cmpEq   cmpKind = iota
	cmpFold         // case-insensitive equality
	cmpLike         // wildcard match
	cmpLT
	cmpLE
	cmpGT
	cmpGE
)

// opInfo describes a base condition operator (no set prefix, no IfExists).
type opInfo struct {
	typ     valType
	cmp     cmpKind
	negated bool // true for the …Not… operators: the result of the positive form, inverted
}

// baseOperator returns the operator named name, as AWS spells it (case
// matters).
func baseOperator(name string) (opInfo, bool) {
	switch name {
	case "StringEquals":
		return opInfo{tString, cmpEq, false}, true
	case "StringNotEquals":
		return opInfo{tString, cmpEq, true}, true
	case "StringEqualsIgnoreCase":
		return opInfo{tString, cmpFold, false}, true
	case "StringNotEqualsIgnoreCase":
		return opInfo{tString, cmpFold, true}, true
	case "StringLike":
		return opInfo{tString, cmpLike, false}, true
	case "StringNotLike":
		return opInfo{tString, cmpLike, true}, true
	case "NumericEquals":
		return opInfo{tNumeric, cmpEq, false}, true
	case "NumericNotEquals":
		return opInfo{tNumeric, cmpEq, true}, true
	case "NumericLessThan":
		return opInfo{tNumeric, cmpLT, false}, true
	case "NumericLessThanEquals":
		return opInfo{tNumeric, cmpLE, false}, true
	case "NumericGreaterThan":
		return opInfo{tNumeric, cmpGT, false}, true
	case "NumericGreaterThanEquals":
		return opInfo{tNumeric, cmpGE, false}, true
	case "DateEquals":
		return opInfo{tDate, cmpEq, false}, true
	case "DateNotEquals":
		return opInfo{tDate, cmpEq, true}, true
	case "DateLessThan":
		return opInfo{tDate, cmpLT, false}, true
	case "DateLessThanEquals":
		return opInfo{tDate, cmpLE, false}, true
	case "DateGreaterThan":
		return opInfo{tDate, cmpGT, false}, true
	case "DateGreaterThanEquals":
		return opInfo{tDate, cmpGE, false}, true
	case "Bool":
		return opInfo{tBool, cmpEq, false}, true
	case "BinaryEquals":
		return opInfo{tBinary, cmpEq, false}, true
	case "IpAddress":
		return opInfo{tIP, cmpEq, false}, true
	case "NotIpAddress":
		return opInfo{tIP, cmpEq, true}, true
	case "ArnEquals", "ArnLike":
		return opInfo{tARN, cmpLike, false}, true
	case "ArnNotEquals", "ArnNotLike":
		return opInfo{tARN, cmpLike, true}, true
	case "Null":
		return opInfo{tNull, cmpEq, false}, true
	}
	return opInfo{}, false
}

// setKind is the set-operator prefix of a condition operator.
type setKind uint8

const (
	setNone      setKind = iota
	setAnyValue          // ForAnyValue:
	setAllValues         // ForAllValues:
)

// Condition is one (operator, key) pair of a statement's Condition block,
// e.g. {"StringNotEquals": {"s3:object-lock-legal-hold": "ON"}}. Its
// fields are as written in the document (numbers and booleans in their
// JSON spelling); treat them as read-only.
type Condition struct {
	Operator string   // e.g. "ForAnyValue:StringLikeIfExists"
	Key      string   // e.g. "s3:prefix"
	Values   []string // at least one

	op       opInfo
	set      setKind
	ifExists bool
	pats     []pattern // tString, tARN
	nums     []float64
	times    []time.Time
	bools    []bool // tBool, tNull
	prefixes []netip.Prefix
}

// parseOperator splits an operator name into prefix, base and IfExists.
func parseOperator(name string) (opInfo, setKind, bool, error) {
	base, set := name, setNone
	if b, ok := strings.CutPrefix(base, "ForAnyValue:"); ok {
		base, set = b, setAnyValue
	} else if b, ok := strings.CutPrefix(base, "ForAllValues:"); ok {
		base, set = b, setAllValues
	}
	op, ok := baseOperator(base)
	ifExists := false
	if !ok {
		if b, cut := strings.CutSuffix(base, "IfExists"); cut {
			op, ok = baseOperator(b)
			ifExists = ok
			if ok && op.typ == tNull {
				return op, set, false, fmt.Errorf("condition operator %s is not valid: Null has no IfExists form", name)
			}
		}
	}
	if !ok {
		return op, set, false, fmt.Errorf("unknown condition operator %s", name)
	}
	if op.typ == tNull && set != setNone {
		return op, set, false, fmt.Errorf("condition operator %s is not valid: Null takes no set operator", name)
	}
	return op, set, ifExists, nil
}

// compile checks the policy values against the operator's type and
// prepares them for evaluation. vars enables policy variables (string and
// ARN operators only); checkVar validates variable keys.
func (c *Condition) compile(vars bool, checkVar func(string) error) error {
	for _, v := range c.Values {
		switch c.op.typ {
		case tString:
			p, err := compilePattern(v, c.op.cmp == cmpLike, vars, checkVar)
			if err != nil {
				return err
			}
			c.pats = append(c.pats, p)
		case tARN:
			isARN := strings.HasPrefix(v, "arn:") && strings.Count(v, ":") >= 5
			if v != "*" && !isARN && !(vars && strings.Contains(v, "${")) {
				return fmt.Errorf("value %q is not an ARN", v)
			}
			p, err := compilePattern(v, true, vars, checkVar)
			if err != nil {
				return err
			}
			c.pats = append(c.pats, p)
		case tNumeric:
			n, ok := parseNumber(v)
			if !ok {
				return fmt.Errorf("value %q is not a number", v)
			}
			c.nums = append(c.nums, n)
		case tDate:
			t, ok := parseDate(v)
			if !ok {
				return fmt.Errorf("value %q is not a date (ISO 8601 or epoch seconds)", v)
			}
			c.times = append(c.times, t)
		case tBool, tNull:
			b, ok := parseBool(v)
			if !ok {
				return fmt.Errorf("value %q must be true or false", v)
			}
			c.bools = append(c.bools, b)
		case tBinary:
			if _, err := base64.StdEncoding.DecodeString(v); err != nil {
				return fmt.Errorf("value %q is not base64", v)
			}
		case tIP:
			p, ok := parsePrefix(v)
			if !ok {
				return fmt.Errorf("value %q is not an IP address or CIDR block", v)
			}
			c.prefixes = append(c.prefixes, p)
		}
	}
	return nil
}

// eval evaluates the condition against the request, with AWS semantics:
//
//   - Null: {"key": "true"} holds when the key is absent, "false" when it
//     is present; several values are ORed.
//   - Key absent (no values): …IfExists holds; otherwise ForAllValues
//     holds (vacuously), ForAnyValue fails, a negated operator (…Not…)
//     holds and any other operator fails.
//   - Key present: a request value "matches" when it matches at least one
//     policy value under the positive form of the operator. Without a set
//     prefix, a positive operator holds when some request value matches
//     and a negated one when none does; ForAnyValue holds when some request
//     value satisfies the operator (negation applied per value),
//     ForAllValues when every request value does.
func (c *Condition) eval(e *env) bool {
	vals := e.lookup(c.Key)
	present := len(vals) > 0
	if c.op.typ == tNull {
		for _, b := range c.bools {
			if b != present {
				return true
			}
		}
		return false
	}
	if !present {
		switch {
		case c.ifExists:
			return true
		case c.set == setAnyValue:
			return false
		case c.set == setAllValues:
			return true
		default:
			return c.op.negated
		}
	}
	switch c.set {
	case setAnyValue:
		for _, v := range vals {
			if c.matchOne(v, e) != c.op.negated {
				return true
			}
		}
		return false
	case setAllValues:
		for _, v := range vals {
			if c.matchOne(v, e) == c.op.negated {
				return false
			}
		}
		return true
	default:
		for _, v := range vals {
			if c.matchOne(v, e) {
				return !c.op.negated
			}
		}
		return c.op.negated
	}
}

// matchOne reports whether request value v matches at least one policy
// value under the positive form of the operator. A request value that does
// not parse as the operator's type matches nothing.
func (c *Condition) matchOne(v string, e *env) bool {
	switch c.op.typ {
	case tString:
		for _, p := range c.pats {
			r, ok := p.resolve(e)
			if !ok {
				continue
			}
			switch c.op.cmp {
			case cmpLike:
				if r.match(v) {
					return true
				}
			case cmpFold:
				if strings.EqualFold(r.literal(), v) {
					return true
				}
			default:
				if r.literal() == v {
					return true
				}
			}
		}
	case tARN:
		for i, p := range c.pats {
			if c.Values[i] == "*" {
				return true
			}
			if r, ok := p.resolve(e); ok && r.matchARN(v) {
				return true
			}
		}
	case tNumeric:
		n, ok := parseNumber(v)
		if !ok {
			return false
		}
		for _, m := range c.nums {
			if compare(cmpFloat(n, m), c.op.cmp) {
				return true
			}
		}
	case tDate:
		t, ok := parseDate(v)
		if !ok {
			return false
		}
		for _, m := range c.times {
			if compare(t.Compare(m), c.op.cmp) {
				return true
			}
		}
	case tBool:
		b, ok := parseBool(v)
		if !ok {
			return false
		}
		for _, m := range c.bools {
			if b == m {
				return true
			}
		}
	case tBinary:
		for _, m := range c.Values {
			if v == m {
				return true
			}
		}
	case tIP:
		a, err := netip.ParseAddr(v)
		if err != nil {
			return false
		}
		a = a.Unmap()
		for _, p := range c.prefixes {
			if p.Contains(a) {
				return true
			}
		}
	}
	return false
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// compare turns a three-way comparison of request value and policy value
// into the operator's verdict.
func compare(c int, k cmpKind) bool {
	switch k {
	case cmpLT:
		return c < 0
	case cmpLE:
		return c <= 0
	case cmpGT:
		return c > 0
	case cmpGE:
		return c >= 0
	}
	return c == 0
}

func parseNumber(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	// ParseFloat accepts "Inf", "NaN", hex and underscores; IAM numbers are
	// plain decimals.
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E') {
			return 0, false
		}
	}
	return f, true
}

// parseDate parses the date forms the Date operators accept: integer epoch
// seconds or ISO 8601 (RFC 3339 with optional fraction; without seconds;
// without a zone, meaning UTC; date only; basic format as in X-Amz-Date).
func parseDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false
	}
	if isDigits(s) || s[0] == '-' && isDigits(s[1:]) {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n > 1e12 || n < -1e12 {
			return time.Time{}, false
		}
		return time.Unix(n, 0).UTC(), true
	}
	for _, l := range [...]string{
		time.RFC3339Nano,
		"2006-01-02T15:04Z07:00",
		"2006-01-02T15:04:05.999999999",
		"2006-01-02T15:04",
		"2006-01-02",
		"20060102T150405Z",
		"20060102",
	} {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func parseBool(s string) (bool, bool) {
	switch {
	case strings.EqualFold(s, "true"):
		return true, true
	case strings.EqualFold(s, "false"):
		return false, true
	}
	return false, false
}

func parsePrefix(s string) (netip.Prefix, bool) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return p, false
		}
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		return p.Masked(), true
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, false
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), true
}
