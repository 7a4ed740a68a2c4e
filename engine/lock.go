package engine

import (
	"fmt"
	"time"
)

// Mode is an Object Lock retention mode.
type Mode string

// Retention modes, spelled as in S3.
const (
	ModeNone       Mode = ""
	ModeGovernance Mode = "GOVERNANCE"
	ModeCompliance Mode = "COMPLIANCE"
)

// Valid reports whether m is GOVERNANCE or COMPLIANCE.
func (m Mode) Valid() bool { return m == ModeGovernance || m == ModeCompliance }

// Retention is a version's retention: a mode and a retain-until date. The
// zero value means no retention.
type Retention struct {
	Mode  Mode      `json:"m,omitempty"`
	Until time.Time `json:"u"`
}

// IsZero reports whether r carries no retention.
func (r Retention) IsZero() bool { return r.Mode == ModeNone }

// ActiveAt reports whether the retention protects its version at now.
func (r Retention) ActiveAt(now time.Time) bool {
	return r.Mode.Valid() && now.Before(r.Until)
}

// LockState is the folded lock state of one version: the latest retention
// record and the latest legal-hold record. Its json tags (and Retention's)
// are the audit log's and the API's encoding; the WAL and the index use
// wireLockStateV1 (record_wire.go), so changing them cannot unlock a version.
type LockState struct {
	Retention    Retention `json:"r"`
	LegalHold    bool      `json:"h,omitempty"`
	LegalHoldSet bool      `json:"hs,omitempty"` // a legal-hold record exists (ON or OFF)
}

// ProtectedAt reports whether the version may not be deleted at now by
// anyone without a governance bypass.
func (l LockState) ProtectedAt(now time.Time) bool {
	return l.LegalHold || l.Retention.ActiveAt(now)
}

// DefaultRetention is a bucket's default retention, applied to new versions
// at put time. Exactly one of Days and Years is positive.
type DefaultRetention struct {
	Mode  Mode `json:"m"`
	Days  int  `json:"d,omitempty"`
	Years int  `json:"y,omitempty"`
}

// maxDefaultDays bounds default retention as AWS does (100 years).
const maxDefaultDays = 36500

// Validate checks the mode and that exactly one period is set.
func (d DefaultRetention) Validate() error {
	if !d.Mode.Valid() {
		return fmt.Errorf("%w: default retention mode %q must be GOVERNANCE or COMPLIANCE", ErrInvalidRetention, d.Mode)
	}
	switch {
	case d.Days > 0 && d.Years > 0:
		return fmt.Errorf("%w: default retention sets both Days and Years", ErrInvalidRetention)
	case d.Days <= 0 && d.Years <= 0:
		return fmt.Errorf("%w: default retention needs a positive Days or Years", ErrInvalidRetention)
	case d.Days > maxDefaultDays || d.Years > maxDefaultDays/365:
		return fmt.Errorf("%w: default retention longer than 100 years", ErrInvalidRetention)
	}
	return nil
}

// Apply returns the retention a version created at t receives.
func (d DefaultRetention) Apply(t time.Time) Retention {
	until := t.AddDate(d.Years, 0, d.Days)
	return Retention{Mode: d.Mode, Until: until.UTC()}
}

// The decision functions below are the only place lock rules live. They are
// pure: the caller supplies the judged time (max of clock and high-water
// mark) and the current state, and gets nil or an error wrapping
// ErrObjectLocked / ErrInvalidRetention.

// checkUntil checks that a retain-until date lies after now and can be
// stored: the WAL writes dates as RFC 3339, which has four-digit years.
func checkUntil(now, until time.Time) error {
	if !now.Before(until) {
		return fmt.Errorf("%w: retain-until date %s must be in the future", ErrInvalidRetention, until.UTC().Format(time.RFC3339))
	}
	if until.UTC().Year() > 9999 {
		return fmt.Errorf("%w: retain-until date %s is after year 9999", ErrInvalidRetention, until.UTC().Format(time.RFC3339))
	}
	return nil
}

// checkDelete decides whether a version in state l may be removed at now.
// It reports whether a governance bypass was exercised, so the caller can
// record it.
func checkDelete(now time.Time, l LockState, bypass bool) (usedBypass bool, err error) {
	if l.LegalHold {
		return false, &LockedError{Reason: "legal hold is ON"}
	}
	r := l.Retention
	if !r.ActiveAt(now) {
		return false, nil
	}
	if r.Mode == ModeCompliance {
		return false, &LockedError{Reason: fmt.Sprintf("COMPLIANCE retention until %s cannot be bypassed by anyone", r.Until.UTC().Format(time.RFC3339))}
	}
	if !bypass {
		return false, &LockedError{Reason: fmt.Sprintf("GOVERNANCE retention until %s (bypass required)", r.Until.UTC().Format(time.RFC3339))}
	}
	return true, nil
}

// checkRetention decides whether retention may change from old to next at
// now. next.Mode == ModeNone removes retention. It reports whether a
// governance bypass was exercised. While old is in force:
//
//	old \ next     GOVERNANCE later/same   GOVERNANCE earlier   COMPLIANCE later/same   COMPLIANCE earlier   none
//	COMPLIANCE     denied                  denied               allowed                 denied               denied
//	GOVERNANCE     allowed                 bypass               bypass                  bypass               bypass
//
// ("bypass": allowed only with a governance bypass, which is then
// recorded; "denied": ErrObjectLocked even with bypass). Expired or absent
// retention may be replaced by anything valid.
func checkRetention(now time.Time, old Retention, next Retention, bypass bool) (usedBypass bool, err error) {
	if next.Mode != ModeNone && !next.Mode.Valid() {
		return false, fmt.Errorf("%w: mode %q must be GOVERNANCE or COMPLIANCE", ErrInvalidRetention, next.Mode)
	}
	if next.Mode != ModeNone {
		if err := checkUntil(now, next.Until); err != nil {
			return false, err
		}
	}
	if !old.ActiveAt(now) {
		return false, nil
	}
	extends := next.Mode.Valid() && !next.Until.Before(old.Until)
	switch old.Mode {
	case ModeCompliance:
		if next.Mode != ModeCompliance {
			return false, &LockedError{Reason: fmt.Sprintf("COMPLIANCE retention until %s: mode cannot be changed or removed", old.Until.UTC().Format(time.RFC3339))}
		}
		if !extends {
			return false, &LockedError{Reason: fmt.Sprintf("COMPLIANCE retention until %s can only be extended", old.Until.UTC().Format(time.RFC3339))}
		}
		return false, nil
	case ModeGovernance:
		// Only extending a GOVERNANCE retention in GOVERNANCE mode needs
		// no bypass. Shortening, removing, and changing the mode to
		// COMPLIANCE (at any date) alter the lock settings, which AWS
		// allows only with a governance bypass (403 AccessDenied without):
		// otherwise a writer with s3:PutObjectRetention but no bypass
		// permission could make data undeletable even by the administrator.
		if extends && next.Mode == ModeGovernance {
			return false, nil
		}
		if !bypass {
			what := "shortening or removing"
			if next.Mode == ModeCompliance {
				what = "changing the mode to COMPLIANCE"
			}
			return false, &LockedError{Reason: fmt.Sprintf("GOVERNANCE retention until %s: %s requires bypass", old.Until.UTC().Format(time.RFC3339), what)}
		}
		return true, nil
	}
	return false, nil
}
