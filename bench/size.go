package bench

import (
	"fmt"
	"strconv"
	"strings"
)

// Size is a byte count written as warp users write it: a number with an
// optional binary (KiB, MiB, GiB, TiB) or decimal (KB, MB, GB, TB) unit;
// "B" or no unit means bytes. Units are case-insensitive, so "4kib" and
// "10MiB" both parse. Size implements encoding.TextUnmarshaler, so
// command-line parsers accept it as a flag type.
type Size int64

// unitMultiplier returns the multiplier of a lower-case unit.
func unitMultiplier(unit string) (int64, bool) {
	switch unit {
	case "", "b":
		return 1, true
	case "k", "ki", "kib":
		return 1 << 10, true
	case "kb":
		return 1e3, true
	case "m", "mi", "mib":
		return 1 << 20, true
	case "mb":
		return 1e6, true
	case "g", "gi", "gib":
		return 1 << 30, true
	case "gb":
		return 1e9, true
	case "t", "ti", "tib":
		return 1 << 40, true
	case "tb":
		return 1e12, true
	}
	return 0, false
}

// ParseSize parses s as a Size, e.g. "4KiB", "10MiB", "1.5GB", "512".
func ParseSize(s string) (Size, error) {
	t := strings.TrimSpace(s)
	i := strings.IndexFunc(t, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	num, unit := t, ""
	if i >= 0 {
		num, unit = t[:i], strings.ToLower(strings.TrimSpace(t[i:]))
	}
	mul, ok := unitMultiplier(unit)
	if !ok || num == "" {
		return 0, fmt.Errorf("bench: size %q: want a number with an optional unit such as 4KiB, 10MiB, 1GB", s)
	}
	if n, err := strconv.ParseInt(num, 10, 64); err == nil {
		if n > (1<<62)/mul {
			return 0, fmt.Errorf("bench: size %q is too large", s)
		}
		return Size(n * mul), nil
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || f < 0 || f*float64(mul) > 1<<62 {
		return 0, fmt.Errorf("bench: size %q: bad number", s)
	}
	return Size(f * float64(mul)), nil
}

// UnmarshalText implements encoding.TextUnmarshaler with ParseSize.
func (s *Size) UnmarshalText(b []byte) error {
	v, err := ParseSize(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// String formats s with the largest binary unit that divides it exactly,
// e.g. "64KiB", "10MiB", or as bytes ("4000B").
func (s Size) String() string {
	for _, u := range []struct {
		name string
		mul  int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if s != 0 && int64(s)%u.mul == 0 {
			return fmt.Sprintf("%d%s", int64(s)/u.mul, u.name)
		}
	}
	return fmt.Sprintf("%dB", int64(s))
}
