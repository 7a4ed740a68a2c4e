package s3xml

import (
	"testing"
	"time"
)

// TestParseTimeYearRange checks that ParseTime refuses a time whose UTC
// year has no four-digit ISO 8601 form, and that what it accepts renders
// back through FormatTime.
func TestParseTimeYearRange(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Time // zero: refused
	}{
		{"2030-01-02T03:04:05Z", time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)},
		{"2030-01-02T03:04:05.5+02:00", time.Date(2030, 1, 2, 1, 4, 5, 5e8, time.UTC)},
		{"9999-12-31T23:59:59Z", time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)},
		{"9999-12-31T23:00:00-05:00", time.Time{}},
		{"9999-12-31T23:59:59.999-00:01", time.Time{}},
		{"0000-01-01T00:30:00+01:00", time.Time{}},
		{"10000-01-01T00:00:00Z", time.Time{}},
		{"not a date", time.Time{}},
	} {
		got, err := ParseTime(tc.in)
		if tc.want.IsZero() {
			if err == nil {
				t.Errorf("ParseTime(%q) = %v, want an error", tc.in, got)
			}
			continue
		}
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("ParseTime(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
			continue
		}
		if back, err := ParseTime(FormatTime(got)); err != nil || !back.Equal(got.Truncate(time.Millisecond)) {
			t.Errorf("FormatTime(%v) = %q does not parse back: %v", got, FormatTime(got), err)
		}
	}
}
