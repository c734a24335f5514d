package dsl

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	// The zone database is built in: `timezone = "Europe/Berlin"` validates and works the
	// same in a static binary on a scratch image without /usr/share/zoneinfo.
	_ "time/tzdata"

	"github.com/notimon/notimon/internal/glob"
	"github.com/notimon/notimon/spec"
)

// Maintenance is a `maintenance "<name>"` block: while one of its windows is open, the
// notifications (and by default the exec steps) of the rules it covers are held back. The
// rules are still evaluated and move through their lifecycle as usual.
type Maintenance struct {
	Name string
	// From and Until bound a one-off window (RFC 3339 times); both zero for a weekly one.
	From, Until time.Time
	// Weekly are the recurring windows, in Location's local time.
	Weekly   []WeeklyWindow
	Location *time.Location
	// Rules are globs (internal/glob: * matches '/' too) on rule names; a rule is covered
	// when it matches one of them (or Rules is empty) and carries every label of Labels.
	Rules  []string
	Labels map[string]string
	// What is held back while a window is open.
	SuppressNotify, SuppressExec bool
	Range                        hcl.Range
}

// Covers reports whether the block applies to rule r.
func (m *Maintenance) Covers(r *Rule) bool {
	if len(m.Rules) > 0 && !slices.ContainsFunc(m.Rules, func(g string) bool {
		ok, _ := glob.Match(g, r.Name)
		return ok
	}) {
		return false
	}
	for k, v := range m.Labels {
		if got, ok := r.Labels[k]; !ok || got != v {
			return false
		}
	}
	return true
}

// Window returns the window open at now, if one is: it started at start and ends at end.
func (m *Maintenance) Window(now time.Time) (start, end time.Time, open bool) {
	if len(m.Weekly) == 0 {
		return m.From, m.Until, !now.Before(m.From) && now.Before(m.Until)
	}
	local := now.In(m.Location)
	for back := 1; back >= 0; back-- { // a window that crossed midnight started yesterday
		day := time.Date(local.Year(), local.Month(), local.Day()-back, 0, 0, 0, 0, time.UTC)
		for _, w := range m.Weekly {
			if !w.Days[day.Weekday()] {
				continue
			}
			s, e := w.on(day, m.Location)
			if now.Before(s) || !now.Before(e) {
				continue
			}
			// Overlapping windows count as one, from the earliest start to the latest end.
			if !open || s.Before(start) {
				start = s
			}
			if !open || e.After(end) {
				end = e
			}
			open = true
		}
	}
	return start, end, open
}

// Next returns the next window that opens after now, if any.
func (m *Maintenance) Next(now time.Time) (start, end time.Time, ok bool) {
	if len(m.Weekly) == 0 {
		return m.From, m.Until, now.Before(m.From)
	}
	local := now.In(m.Location)
	for ahead := 0; ahead <= 8; ahead++ {
		day := time.Date(local.Year(), local.Month(), local.Day()+ahead, 0, 0, 0, 0, time.UTC)
		for _, w := range m.Weekly {
			if !w.Days[day.Weekday()] {
				continue
			}
			s, e := w.on(day, m.Location)
			if s.After(now) && s.Before(e) && (!ok || s.Before(start)) {
				start, end, ok = s, e, true
			}
		}
		if ok {
			return start, end, true
		}
	}
	return time.Time{}, time.Time{}, false
}

// WeeklyWindow is one item of `weekly`: on each of Days, from Start to End local time, in
// minutes since midnight. End ≤ Start means the window crosses midnight and ends the next
// day; End is at most 24*60.
type WeeklyWindow struct {
	Days       [7]bool // by time.Weekday
	Start, End int
	Source     string // as written
}

// on returns the window's bounds on day (a date in UTC standing for a local date). Each
// bound is the first instant at which loc's clock reads that time, or, when a DST change
// skips that time, the instant the clock jumps past it: so "sun 02:00-04:00" in
// Europe/Berlin lasts one hour on the last Sunday of March and three on the last Sunday of
// October, and never opens twice.
func (w WeeklyWindow) on(day time.Time, loc *time.Location) (start, end time.Time) {
	start = firstAt(day.Add(time.Duration(w.Start)*time.Minute), loc)
	endWall := day.Add(time.Duration(w.End) * time.Minute)
	if w.End <= w.Start {
		endWall = endWall.AddDate(0, 0, 1)
	}
	end = firstAt(endWall, loc)
	if end.Before(start) {
		end = start
	}
	return start, end
}

// firstAt returns the first instant at which loc's clock reads wall (a wall time written as
// a UTC time), or, when the clock skips it, the instant it jumps past it.
func firstAt(wall time.Time, loc *time.Location) time.Time {
	clock := func(t time.Time) time.Time {
		l := t.In(loc)
		return time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), l.Second(), l.Nanosecond(), time.UTC)
	}
	t := time.Date(wall.Year(), wall.Month(), wall.Day(), wall.Hour(), wall.Minute(), 0, 0, loc)
	var first time.Time
	// The offsets in force around the date (a DST shift is at most a few hours).
	for _, near := range []time.Time{t.Add(-6 * time.Hour), t, t.Add(6 * time.Hour)} {
		_, off := near.Zone()
		c := wall.Add(-time.Duration(off) * time.Second)
		if clock(c).Equal(wall) && (first.IsZero() || c.Before(first)) {
			first = c
		}
	}
	if !first.IsZero() {
		return first
	}
	// Skipped: the clock jumps over wall at a zone boundary next to t.
	zs, ze := t.ZoneBounds()
	if clock(t).Before(wall) {
		return ze
	}
	return zs
}

var weekdays = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// ParseWeekly reads one weekly window: DAYS HH:MM-HH:MM, where DAYS is a day (mon … sun), a
// range of days (mon-fri; fri-mon wraps over the weekend) or a comma-separated list of
// either (sat,sun). Times are 24-hour local times; the end may be 24:00; an end at or
// before the start crosses midnight ("sun 23:00-01:00" ends on Monday at 01:00).
func ParseWeekly(s string) (WeeklyWindow, error) {
	w := WeeklyWindow{Source: s}
	fields := strings.Fields(s)
	if len(fields) != 2 {
		return w, fmt.Errorf(`%q is not "DAYS HH:MM-HH:MM"; write e.g. "sun 02:00-04:00" or "mon-fri 12:00-12:30"`, s)
	}
	for _, part := range strings.Split(strings.ToLower(fields[0]), ",") {
		from, to, isRange := strings.Cut(part, "-")
		a, err := weekday(from)
		if err != nil {
			return w, err
		}
		b := a
		if isRange {
			if b, err = weekday(to); err != nil {
				return w, err
			}
		}
		for d := a; ; d = (d + 1) % 7 {
			w.Days[d] = true
			if d == b {
				break
			}
		}
	}
	startS, endS, ok := strings.Cut(fields[1], "-")
	if !ok {
		return w, fmt.Errorf(`%q: the times must be a range HH:MM-HH:MM, e.g. "02:00-04:00"`, fields[1])
	}
	var err error
	if w.Start, err = clockTime(startS, false); err != nil {
		return w, err
	}
	if w.End, err = clockTime(endS, true); err != nil {
		return w, err
	}
	if w.Start == w.End {
		return w, fmt.Errorf(`%q starts and ends at the same time; for a whole day write "00:00-24:00"`, fields[1])
	}
	return w, nil
}

func weekday(s string) (time.Weekday, error) {
	if i := slices.Index(weekdays, s); i >= 0 {
		return time.Weekday(i), nil
	}
	if len(s) > 3 { // sunday, monday …
		if i := slices.Index(weekdays, s[:3]); i >= 0 && strings.HasPrefix(time.Weekday(i).String(), strings.ToUpper(s[:1])+s[1:]) {
			return time.Weekday(i), nil
		}
	}
	return 0, fmt.Errorf("unknown day %q%s; the days are %s", s, didYouMean(s, weekdays), strings.Join(weekdays[1:], ", ")+", sun")
}

// clockTime reads HH:MM as minutes since midnight; 24:00 only when end is set.
func clockTime(s string, end bool) (int, error) {
	hs, ms, ok := strings.Cut(s, ":")
	h, err1 := strconv.Atoi(hs)
	m, err2 := strconv.Atoi(ms)
	digits := func(s string) bool { return strings.Trim(s, "0123456789") == "" }
	if !ok || err1 != nil || err2 != nil || len(ms) != 2 || len(hs) < 1 || len(hs) > 2 || !digits(hs) || !digits(ms) {
		return 0, fmt.Errorf("%q is not a time of day HH:MM (24-hour clock), e.g. \"02:00\"", s)
	}
	switch {
	case end && h == 24 && m == 0:
		return 24 * 60, nil
	case h > 23 || m > 59:
		limit := "23:59"
		if end {
			limit = "24:00"
		}
		return 0, fmt.Errorf("%q is not a time of day: the latest is %s", s, limit)
	}
	return h*60 + m, nil
}

var maintenanceSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "from"}, {Name: "until"}, {Name: "weekly"}, {Name: "timezone"},
	{Name: "rules"}, {Name: "labels"}, {Name: "suppress"},
}}

// SuppressValues are what a maintenance block's suppress list may name.
var SuppressValues = []string{"notify", "exec"}

// itemRange is the range of a list attribute's i-th item when it is written as a list
// literal, else the attribute's value.
func itemRange(a *hcl.Attribute, i int) *hcl.Range {
	if t, ok := a.Expr.(*hclsyntax.TupleConsExpr); ok && i < len(t.Exprs) {
		return t.Exprs[i].Range().Ptr()
	}
	return a.Expr.Range().Ptr()
}

func itemError(a *hcl.Attribute, i int, summary, detail string) *hcl.Diagnostic {
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: itemRange(a, i)}
}

// decodeMaintenance decodes a maintenance block; rules are the rules of the configuration,
// which its globs should match.
func (l *loader) decodeMaintenance(b *hclsyntax.Block, ev *evaluator, rules []string) (*Maintenance, hcl.Diagnostics) {
	name := b.Labels[0]
	diags := l.define("maintenance", name, b.DefRange())
	dup := diags.HasErrors()
	if strings.TrimSpace(name) == "" {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Empty maintenance name",
			Detail: `A maintenance block needs a name, e.g. maintenance "backup" { ... }.`, Subject: b.LabelRanges[0].Ptr()})
	}
	what := fmt.Sprintf("maintenance %q", name)
	m := &Maintenance{Name: name, Location: time.Local, SuppressNotify: true, SuppressExec: true, Range: b.DefRange()}
	content, d := bodyContent(b.Body, maintenanceSchema)
	diags = append(diags, d...)
	attr := func(n string) *hcl.Attribute { return content.Attributes[n] }
	errs := len(diags)

	list := func(a *hcl.Attribute, n string) []string {
		v, d := ev.decodeAttr(a, spec.Attr{Name: n, Type: spec.TypeStringList}, what)
		diags = append(diags, d...)
		s, _ := v.([]string)
		return s
	}
	instant := func(a *hcl.Attribute, n string) time.Time {
		s, d := ev.decodeString(a, what+" "+n)
		diags = append(diags, d...)
		if d.HasErrors() {
			return time.Time{}
		}
		t, err := time.Parse(time.RFC3339, strings.TrimSpace(s))
		if err != nil {
			diags = append(diags, attrError(a, "Invalid time", fmt.Sprintf(`%s %s: %q is not an RFC 3339 time; write the date, the time and the offset from UTC, e.g. "2026-12-24T22:00:00+01:00" or "2026-12-24T21:00:00Z".`, what, n, s))...)
		}
		return t
	}

	from, until, weekly := attr("from"), attr("until"), attr("weekly")
	switch {
	case (from != nil || until != nil) && weekly != nil:
		other := from
		if other == nil {
			other = until
		}
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Conflicting arguments",
			Detail:  what + " is either a one-off window (from and until) or a recurring one (weekly), not both; write two maintenance blocks for both.",
			Subject: other.NameRange.Ptr()})
	case from == nil && until == nil && weekly == nil:
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Missing window",
			Detail:  what + ` needs a window: from and until (RFC 3339 times) for a one-off one, or weekly = ["sun 02:00-04:00", ...] for a recurring one.`,
			Subject: b.DefRange().Ptr()})
	case weekly != nil:
		for i, s := range list(weekly, "weekly") {
			w, err := ParseWeekly(s)
			if err != nil {
				diags = append(diags, itemError(weekly, i, "Invalid weekly window", fmt.Sprintf("%s weekly: %v.", what, err)))
				continue
			}
			m.Weekly = append(m.Weekly, w)
		}
	case from == nil || until == nil:
		missing, given := "until", from
		if from == nil {
			missing, given = "from", until
		}
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Missing required argument",
			Detail:  fmt.Sprintf("%s sets %s but not %s: a one-off window needs both (RFC 3339 times).", what, given.Name, missing),
			Subject: given.NameRange.Ptr()})
	default:
		m.From, m.Until = instant(from, "from"), instant(until, "until")
		if !m.From.IsZero() && !m.Until.IsZero() && !m.Until.After(m.From) {
			verb := "is before"
			if m.Until.Equal(m.From) {
				verb = "is the same time as"
			}
			diags = append(diags, attrError(until, "Window ends before it starts",
				fmt.Sprintf("%s: until (%s) %s from (%s).", what, m.Until.Format(time.RFC3339), verb, m.From.Format(time.RFC3339)))...)
		}
	}

	if a := attr("timezone"); a != nil {
		s, d := ev.decodeString(a, what+" timezone")
		diags = append(diags, d...)
		if !d.HasErrors() {
			loc, err := loadZone(s)
			switch {
			case err != nil:
				diags = append(diags, attrError(a, "Unknown time zone", fmt.Sprintf("%s timezone: %v.", what, err))...)
			case weekly == nil && (from != nil || until != nil):
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "Time zone not used",
					Detail:  what + ": timezone applies to weekly windows; from and until carry their own offset from UTC, so it changes nothing here.",
					Subject: a.NameRange.Ptr()})
			default:
				m.Location = loc
			}
		}
	}

	if a := attr("rules"); a != nil {
		for i, g := range list(a, "rules") {
			if _, err := glob.Match(g, ""); err != nil {
				diags = append(diags, itemError(a, i, "Invalid glob", fmt.Sprintf(`%s rules: %q is not a valid glob (* matches any run of characters, ? one, [a-z] a class).`, what, g)))
				continue
			}
			m.Rules = append(m.Rules, g)
			if !slices.ContainsFunc(rules, func(r string) bool { ok, _ := glob.Match(g, r); return ok }) {
				detail := fmt.Sprintf("%s rules: %q matches no rule, so it holds nothing back.", what, g)
				if c := Closest(g, rules); c != "" {
					detail += fmt.Sprintf(" Did you mean %q?", c)
				}
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "Glob matches no rule", Detail: detail, Subject: itemRange(a, i)})
			}
		}
	}
	if a := attr("labels"); a != nil {
		v, d := ev.value(a, what+" labels")
		diags = append(diags, d...)
		if !d.HasErrors() {
			mv, err := convert.Convert(v, cty.Map(cty.String))
			if err != nil || mv.IsNull() || !mv.IsWhollyKnown() || mv.LengthInt() == 0 {
				diags = append(diags, attrError(a, "Incorrect value type", what+` labels must be a map of strings with at least one label, e.g. { team = "web" }.`)...)
			} else {
				m.Labels = map[string]string{}
				for k, val := range mv.AsValueMap() {
					m.Labels[k] = val.AsString()
				}
			}
		}
	}
	if attr("rules") == nil && attr("labels") == nil {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Missing rules",
			Detail:  what + ` must say which rules it covers: rules = ["site_*"] (globs on rule names; ["*"] for every rule), labels = { team = "web" }, or both.`,
			Subject: b.DefRange().Ptr()})
	}
	if a := attr("suppress"); a != nil {
		m.SuppressNotify, m.SuppressExec = false, false
		for i, s := range list(a, "suppress") {
			switch s {
			case "notify":
				m.SuppressNotify = true
			case "exec":
				m.SuppressExec = true
			default:
				diags = append(diags, itemError(a, i, "Invalid value",
					fmt.Sprintf("%s suppress: %q is not something a window holds back%s; the values are \"notify\" (notify and renotify steps) and \"exec\" (exec steps).", what, s, didYouMean(s, SuppressValues))))
			}
		}
	}
	if dup || hasErrorsSince(diags, errs) {
		return nil, diags
	}
	return m, diags
}

func hasErrorsSince(diags hcl.Diagnostics, from int) bool {
	for _, d := range diags[from:] {
		if d.Severity == hcl.DiagError {
			return true
		}
	}
	return false
}

// loadZone loads an IANA zone by name, with a hint when the name looks like an
// abbreviation or an offset (CET, +01:00), which are not zones.
func loadZone(name string) (*time.Location, error) {
	if strings.TrimSpace(name) == "" {
		return nil, fmt.Errorf(`the zone is empty; give an IANA name such as "Europe/Berlin", or leave timezone out for the machine's zone`)
	}
	loc, err := time.LoadLocation(name)
	if err == nil && name != "Local" {
		return loc, nil
	}
	if name == "Local" {
		return time.Local, nil
	}
	return nil, fmt.Errorf(`%q is not an IANA time zone name such as "Europe/Berlin", "America/New_York" or "UTC" (abbreviations such as CET and offsets such as +01:00 are not zones: they do not follow daylight saving time)`, name)
}

// didYouMean returns ` (did you mean "x"?)` when one of the options is close to given, for
// the middle of a sentence.
func didYouMean(given string, options []string) string {
	if best := Closest(given, options); best != "" {
		return fmt.Sprintf(" (did you mean %q?)", best)
	}
	return ""
}

// coversNothing warns about a maintenance block whose labels select none of the rules
// (its globs, when they match nothing, have been warned about already: d).
func coversNothing(m *Maintenance, b *hclsyntax.Block, rules []*Rule, d hcl.Diagnostics) hcl.Diagnostics {
	if len(m.Labels) == 0 || len(d) > 0 || slices.ContainsFunc(rules, m.Covers) {
		return nil
	}
	rng := b.DefRange()
	if a, ok := b.Body.Attributes["labels"]; ok {
		rng = a.Expr.Range()
	}
	return hcl.Diagnostics{{
		Severity: hcl.DiagWarning,
		Summary:  "Maintenance window covers no rule",
		Detail:   fmt.Sprintf("maintenance %q: no rule matches its rules and carries all of its labels, so it holds nothing back.", m.Name),
		Subject:  rng.Ptr(),
	}}
}
