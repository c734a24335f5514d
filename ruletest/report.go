package ruletest

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/notimon/notimon/dsl"
)

// MaxFailures is how many differences Write shows for one test; a rule broken on every
// tick of a day would otherwise print thousands.
const MaxFailures = 30

// Write prints the result the way `notimon test` does: the test's diagnostics if it is
// invalid, a PASS or FAIL line, and for a failure each difference as a small unified diff
// under the position of the expectation it is about:
//
//	FAIL  overload fires after 2m (rules.d/overload_test.hcl:1)
//	    rules.d/overload_test.hcl:14: at 2m: rule "overload"
//	    - firing
//	    + pending
//
// verbose adds how long the simulation took and everything that happened, tick by tick.
func (r *Result) Write(w io.Writer, verbose bool) {
	if len(r.Diags) > 0 {
		dsl.WriteDiagnostics(w, r.Files, r.Diags)
	}
	verdict := "PASS"
	if !r.Passed() {
		verdict = "FAIL"
	}
	fmt.Fprintf(w, "%s  %s (%s)\n", verdict, r.Test.Name, short(r.Test.Range))
	if r.Diags.HasErrors() {
		errs := 0
		for _, d := range r.Diags {
			if d.Severity == hcl.DiagError {
				errs++
			}
		}
		fmt.Fprintf(w, "    the test is invalid (%s above): it did not run\n", plural(errs, "error"))
		return
	}
	for i, f := range r.Failures {
		if i == MaxFailures {
			fmt.Fprintf(w, "    … and %s more\n", plural(len(r.Failures)-i, "difference"))
			break
		}
		f.write(w)
	}
	if verbose {
		fmt.Fprintf(w, "    %d ticks of %s (%s simulated) in %s\n", r.Ticks, dsl.FormatDuration(r.Interval),
			dsl.FormatDuration(time.Duration(r.Ticks)*r.Interval), r.Elapsed.Round(time.Microsecond))
		width := 0
		for _, ev := range r.Timeline {
			width = max(width, len(dsl.FormatDuration(ev.At)))
		}
		for _, ev := range r.Timeline {
			fmt.Fprintf(w, "    %-*s  %s\n", width, dsl.FormatDuration(ev.At), ev.Title)
			for _, l := range ev.Lines {
				fmt.Fprintf(w, "    %*s    | %s\n", width, "", l)
			}
		}
	}
}

func (f Failure) write(w io.Writer) {
	head := "at " + dsl.FormatDuration(f.At) + ": " + f.Title
	if f.Pos != nil {
		head = short(*f.Pos) + ": " + head
	}
	fmt.Fprintf(w, "    %s\n", head)
	for _, l := range f.Lines {
		fmt.Fprintf(w, "    %s\n", l)
	}
}

// String renders the failure as Write prints it, without the indentation.
func (f Failure) String() string {
	var b strings.Builder
	f.write(&b)
	return strings.ReplaceAll(strings.TrimSuffix(b.String(), "\n"), "\n    ", "\n")[4:]
}

// timeline lists what happened: transitions, messages, commands and errors, in order.
func (p *plan) timeline(out *outcome) []Event {
	events := append([]Event(nil), out.changes...)
	for _, m := range out.sent {
		events = append(events, Event{At: m.at.Sub(out.t0), Title: fmt.Sprintf("notify %q (rule %q, %s)", m.Notifier, m.Rule, m.State),
			Lines: strings.Split(trimText(m.Text), "\n"), phase: m.phase, rank: p.rules[m.Rule], seq: m.seq})
	}
	for _, c := range out.execs {
		res := fmt.Sprintf("exit %d", c.result.ExitCode)
		if c.result.Err != nil {
			res = c.result.Err.Error()
		}
		events = append(events, Event{At: c.at.Sub(out.t0), Title: fmt.Sprintf("exec %s (rule %q): %s", describeCall(c), c.rule, res),
			phase: c.phase, rank: p.rules[c.rule], seq: c.seq})
	}
	for _, h := range out.held {
		events = append(events, Event{At: h.at.Sub(out.t0), Title: fmt.Sprintf("suppressed %q (rule %q, %s): %s", h.notifier, h.rule, h.chain, h.reason),
			phase: h.phase, rank: p.rules[h.rule], seq: h.seq})
	}
	for _, er := range out.errs {
		events = append(events, Event{At: er.at.Sub(out.t0), Title: "error: " + er.err.Error(), phase: math.MaxInt})
	}
	sort.SliceStable(events, func(i, j int) bool {
		a, b := events[i], events[j]
		switch {
		case a.At != b.At:
			return a.At < b.At
		case a.phase != b.phase:
			return a.phase < b.phase
		case (a.seq < 0) != (b.seq < 0):
			return a.seq < 0 // a tick's transitions before what its chains did
		case a.rank != b.rank:
			return a.rank < b.rank
		}
		return a.seq < b.seq
	})
	return events
}
