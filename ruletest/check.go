package ruletest

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/notimon/notimon/dsl"
)

// check compares what happened with what the test expects.
func (p *plan) check(out *outcome) []Failure {
	var fails []Failure
	add := func(f Failure) {
		f.order = len(fails)
		fails = append(fails, f)
	}
	usedMsg := make([]bool, len(out.sent))
	usedExec := make([]bool, len(out.execs))
	offset := func(t time.Time) time.Duration { return t.Sub(out.t0) }
	inTick := func(i int, t time.Time) bool {
		from := out.t0.Add(time.Duration(i) * p.interval)
		return !t.Before(from) && t.Before(from.Add(p.interval))
	}

	ticks := slices.Sorted(func(yield func(int) bool) {
		for i := range p.expects {
			if !yield(i) {
				return
			}
		}
	})
	for _, i := range ticks {
		e := p.expects[i]
		if e.CheckStates {
			for _, f := range p.checkStates(e, out.ticks[i]) {
				add(f)
			}
		}

		// Notifications sent during the tick.
		var msgs []int
		for k, m := range out.sent {
			if inTick(i, m.at) {
				msgs = append(msgs, k)
			}
		}
		match := matching(len(e.Notifies), msgs, func(a, k int) bool { return msgMatches(e.Notifies[a], out.sent[k]) })
		for a := range e.Notifies {
			if k, ok := match[a]; ok {
				usedMsg[k] = true
			}
		}
		for a, n := range e.Notifies {
			if _, ok := match[a]; ok {
				continue
			}
			pos := n.Range
			f := Failure{At: e.At, Pos: &pos, Title: n.title()}
			best, score := -1, -1
			for _, k := range msgs {
				if usedMsg[k] || out.sent[k].Notifier != n.Notifier {
					continue
				}
				if s := n.similarity(out.sent[k]); s > score {
					best, score = k, s
				}
			}
			if best < 0 {
				f.Lines = n.expectedLines()
				f.Lines = append(f.Lines, fmt.Sprintf("+ (nothing was sent to %q during the tick at %s%s)", n.Notifier, dsl.FormatDuration(e.At), nearest(out, n.Notifier, i, p.interval)))
			} else {
				usedMsg[best] = true
				f.Lines = n.diff(out.sent[best], offset(out.sent[best].at), e.At)
			}
			add(f)
		}

		// Commands run during the tick.
		var calls []int
		for k, c := range out.execs {
			if inTick(i, c.at) {
				calls = append(calls, k)
			}
		}
		xmatch := matching(len(e.Execs), calls, func(a, k int) bool { return execMatches(e.Execs[a], out.execs[k]) })
		for a := range e.Execs {
			if k, ok := xmatch[a]; ok {
				usedExec[k] = true
			}
		}
		for a, x := range e.Execs {
			if _, ok := xmatch[a]; ok {
				continue
			}
			pos := x.Range
			f := Failure{At: e.At, Pos: &pos, Title: "exec", Lines: []string{"- " + x.describe()}}
			if x.Rule != nil {
				f.Title = fmt.Sprintf("exec (rule %q)", x.Rule.Name)
			}
			best := -1
			for _, k := range calls {
				if usedExec[k] {
					continue
				}
				if best < 0 || (x.Rule != nil && out.execs[k].rule == x.Rule.Name && out.execs[best].rule != x.Rule.Name) {
					best = k
				}
			}
			if best < 0 {
				f.Lines = append(f.Lines, fmt.Sprintf("+ (no command was run during the tick at %s)", dsl.FormatDuration(e.At)))
			} else {
				usedExec[best] = true
				c := out.execs[best]
				got := describeCall(c)
				if x.Rule != nil && c.rule != x.Rule.Name {
					got += fmt.Sprintf(" (rule %q)", c.rule)
				}
				f.Lines = append(f.Lines, "+ "+got)
			}
			add(f)
		}
	}

	// Notifications held back during the ticks that expect some.
	usedHeld := make([]bool, len(out.held))
	for _, i := range ticks {
		e := p.expects[i]
		for _, x := range e.Suppressed {
			found := false
			for k, h := range out.held {
				if usedHeld[k] || !inTick(i, h.at) || h.notifier != x.Notifier || (x.Rule != nil && h.rule != x.Rule.Name) {
					continue
				}
				usedHeld[k], found = true, true
				break
			}
			if found {
				continue
			}
			pos := x.Range
			got := fmt.Sprintf("+ (nothing to %q was held back during the tick at %s)", x.Notifier, dsl.FormatDuration(e.At))
			for k := range out.sent {
				if m := out.sent[k]; inTick(i, m.at) && m.Notifier == x.Notifier && (x.Rule == nil || m.Rule == x.Rule.Name) {
					got = fmt.Sprintf("+ sent (rule %q, %s): %s", m.Rule, m.State, strings.SplitN(trimText(m.Text), "\n", 2)[0])
					break
				}
			}
			add(Failure{At: e.At, Pos: &pos, Title: x.title(), Lines: []string{"- held back by a silence", got}})
		}
	}
	for _, f := range out.ackErrs {
		add(f)
	}

	// Rules that could not be evaluated for another reason than a failed probe, on ticks
	// where no expectation looked at their state: one failure per rule.
	type span struct {
		first, last, n int
		err            error
	}
	spans := map[string]*span{}
	var order []string
	for _, u := range out.unknown {
		if e := p.expects[u.tick]; e != nil && e.CheckStates {
			continue // the state check reports it, or expects it
		}
		s := spans[u.rule]
		if s == nil {
			s = &span{first: u.tick, err: u.err}
			spans[u.rule] = s
			order = append(order, u.rule)
		}
		s.last = u.tick
		s.n++
	}
	for _, rule := range order {
		s := spans[rule]
		lines := []string{"+ " + s.err.Error()}
		if s.n > 1 {
			lines = append(lines, fmt.Sprintf("+ (on %d ticks, from %s to %s)", s.n, dsl.FormatDuration(time.Duration(s.first)*p.interval), dsl.FormatDuration(time.Duration(s.last)*p.interval)))
		}
		add(Failure{At: time.Duration(s.first) * p.interval, Title: fmt.Sprintf("rule %q could not be evaluated", rule), Lines: lines})
	}
	for _, er := range out.errs {
		add(Failure{At: offset(er.at), Title: "error", Lines: []string{"+ " + er.err.Error()}})
	}

	if p.test.NothingElse {
		for k, m := range out.sent {
			if usedMsg[k] {
				continue
			}
			f := Failure{At: offset(m.at), Title: fmt.Sprintf("unexpected notify %q (rule %q, %s)", m.Notifier, m.Rule, m.State)}
			for _, line := range strings.Split(trimText(m.Text), "\n") {
				f.Lines = append(f.Lines, "+ "+line)
			}
			add(f)
		}
		for k, c := range out.execs {
			if usedExec[k] {
				continue
			}
			add(Failure{At: offset(c.at), Title: fmt.Sprintf("unexpected exec (rule %q)", c.rule), Lines: []string{"+ " + describeCall(c)}})
		}
	}
	sort.SliceStable(fails, func(i, j int) bool {
		a, b := fails[i], fails[j]
		if a.At != b.At {
			return a.At < b.At
		}
		return a.order < b.order
	})
	return fails
}

// checkStates compares the rules' states at an expect tick with what it lists.
func (p *plan) checkStates(e *Expect, got []status) []Failure {
	want := map[string]string{}
	where := map[string]NameRef{}
	for _, l := range []struct {
		state string
		names []NameRef
	}{{"firing", e.Firing}, {"pending", e.Pending}, {"resolved", e.Resolved}, {"inactive", e.Inactive}} {
		for _, n := range l.names {
			want[n.Name] = l.state
			where[n.Name] = n
		}
	}
	unknown := map[string]bool{}
	for _, n := range e.Unknown {
		unknown[n.Name] = true
		if _, ok := where[n.Name]; !ok {
			where[n.Name] = n
		}
	}
	var fails []Failure
	for _, st := range got {
		w, ok := want[st.rule]
		if !ok {
			w = "inactive"
		}
		if w == st.state && unknown[st.rule] == (st.unknown != "") {
			continue
		}
		exp := w
		if unknown[st.rule] {
			exp += ", unknown"
		}
		act := st.state
		if st.unknown != "" {
			act += ", unknown: " + st.unknown
		}
		pos := e.Range
		if n, ok := where[st.rule]; ok {
			pos = n.Range
		}
		fails = append(fails, Failure{At: e.At, Pos: &pos, Title: fmt.Sprintf("rule %q", st.rule), Lines: []string{"- " + exp, "+ " + act}})
	}
	return fails
}

// matching pairs expectations 0..n-1 with candidates so that as many expectations as
// possible are met (a text expectation and a looser contains may want the same message):
// Kuhn's augmenting paths, fine for the handful of messages of one tick.
func matching(n int, cands []int, ok func(a, k int) bool) map[int]int {
	owner := map[int]int{} // candidate → expectation
	var try func(a int, seen map[int]bool) bool
	try = func(a int, seen map[int]bool) bool {
		for _, k := range cands {
			if seen[k] || !ok(a, k) {
				continue
			}
			seen[k] = true
			if b, taken := owner[k]; !taken || try(b, seen) {
				owner[k] = a
				return true
			}
		}
		return false
	}
	for a := range n {
		try(a, map[int]bool{})
	}
	match := map[int]int{}
	for k, a := range owner {
		match[a] = k
	}
	return match
}

func msgMatches(n *NotifyExpect, m sentMsg) bool {
	if m.Notifier != n.Notifier || (n.Rule != nil && m.Rule != n.Rule.Name) || (n.State != "" && m.State != n.State) {
		return false
	}
	if n.Text != nil && trimText(m.Text) != trimText(*n.Text) {
		return false
	}
	for _, c := range n.Contains {
		if !strings.Contains(m.Text, c) {
			return false
		}
	}
	return n.Matches == nil || n.Matches.MatchString(m.Text)
}

// trimText drops trailing newlines: a heredoc ends with one, a message need not.
func trimText(s string) string { return strings.TrimRight(s, "\n") }

func (n *NotifyExpect) title() string {
	t := fmt.Sprintf("notify %q", n.Notifier)
	var q []string
	if n.Rule != nil {
		q = append(q, fmt.Sprintf("rule %q", n.Rule.Name))
	}
	if n.State != "" {
		q = append(q, n.State)
	}
	if len(q) > 0 {
		t += " (" + strings.Join(q, ", ") + ")"
	}
	return t
}

// similarity ranks the messages a failed expectation is compared with.
func (n *NotifyExpect) similarity(m sentMsg) int {
	s := 0
	if n.Rule == nil || m.Rule == n.Rule.Name {
		s += 1000
	}
	if n.State == "" || m.State == n.State {
		s += 500
	}
	if n.Text != nil {
		s += lcsLen(strings.Split(trimText(*n.Text), "\n"), strings.Split(trimText(m.Text), "\n"))
	}
	for _, c := range n.Contains {
		if strings.Contains(m.Text, c) {
			s++
		}
	}
	return s
}

// expectedLines describes the expectation as "- " lines.
func (n *NotifyExpect) expectedLines() []string {
	var lines []string
	if n.Text != nil {
		for _, l := range strings.Split(trimText(*n.Text), "\n") {
			lines = append(lines, "- "+l)
		}
	}
	for _, c := range n.Contains {
		lines = append(lines, "- contains "+strconv.Quote(c))
	}
	if n.Matches != nil {
		lines = append(lines, "- matches /"+n.Matches.String()+"/")
	}
	if len(lines) == 0 {
		lines = append(lines, fmt.Sprintf("- a message to %q", n.Notifier))
	}
	return lines
}

// diff shows how message m differs from the expectation.
func (n *NotifyExpect) diff(m sentMsg, sent, tick time.Duration) []string {
	var lines []string
	var want, got []string
	if n.Rule != nil && m.Rule != n.Rule.Name {
		want, got = append(want, fmt.Sprintf("rule %q", n.Rule.Name)), append(got, fmt.Sprintf("rule %q", m.Rule))
	}
	if n.State != "" && m.State != n.State {
		want, got = append(want, n.State), append(got, m.State)
	}
	if len(want) > 0 {
		lines = append(lines, "- "+strings.Join(want, ", "), "+ "+strings.Join(got, ", "))
	}
	if sent != tick {
		lines = append(lines, fmt.Sprintf("  (sent at %s)", dsl.FormatDuration(sent)))
	}
	if n.Text != nil {
		if trimText(*n.Text) != trimText(m.Text) {
			lines = append(lines, lineDiff(strings.Split(trimText(*n.Text), "\n"), strings.Split(trimText(m.Text), "\n"))...)
		}
		return lines
	}
	for _, c := range n.Contains {
		if !strings.Contains(m.Text, c) {
			lines = append(lines, "- contains "+strconv.Quote(c))
		}
	}
	if n.Matches != nil && !n.Matches.MatchString(m.Text) {
		lines = append(lines, "- matches /"+n.Matches.String()+"/")
	}
	for _, l := range strings.Split(trimText(m.Text), "\n") {
		lines = append(lines, "+ "+l)
	}
	return lines
}

// nearest points at the closest message to notifier outside tick i, as a hint for an
// expectation at the wrong tick.
func nearest(out *outcome, notifier string, i int, interval time.Duration) string {
	from := out.t0.Add(time.Duration(i) * interval)
	best := time.Duration(-1)
	var at time.Duration
	for _, m := range out.sent {
		if m.Notifier != notifier {
			continue
		}
		d := m.at.Sub(from)
		if d < 0 {
			d = -d
		}
		if best < 0 || d < best {
			best, at = d, m.at.Sub(out.t0)
		}
	}
	if best < 0 {
		return ""
	}
	return fmt.Sprintf("; the nearest message to it was sent at %s", dsl.FormatDuration(at))
}

func (x *ExecExpect) describe() string {
	if x.Shell != "" {
		return "shell " + strconv.Quote(x.Shell)
	}
	return argvString(x.Command)
}

func describeCall(c execCall) string {
	if c.spec.Shell != "" {
		return "shell " + strconv.Quote(c.spec.Shell)
	}
	return argvString(c.spec.Argv)
}

// argvString writes argv as the HCL list it is written as in the rules.
func argvString(argv []string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		q[i] = strconv.Quote(a)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// lineDiff is a unified diff of two short texts: "  " common lines, "- " only in want,
// "+ " only in got.
func lineDiff(want, got []string) []string {
	n, m := len(want), len(got)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if want[i] == got[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out []string
	i, j := 0, 0
	for i < n && j < m {
		switch {
		case want[i] == got[j]:
			out = append(out, "  "+want[i])
			i++
			j++
		case lcs[i+1][j] >= lcs[i][j+1]:
			out = append(out, "- "+want[i])
			i++
		default:
			out = append(out, "+ "+got[j])
			j++
		}
	}
	for ; i < n; i++ {
		out = append(out, "- "+want[i])
	}
	for ; j < m; j++ {
		out = append(out, "+ "+got[j])
	}
	return out
}

func lcsLen(a, b []string) int {
	d := lineDiff(a, b)
	n := 0
	for _, l := range d {
		if strings.HasPrefix(l, "  ") {
			n++
		}
	}
	return n
}
