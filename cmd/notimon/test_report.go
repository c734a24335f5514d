package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/notimon/notimon/dsl"
	"github.com/notimon/notimon/ruletest"
)

// testReporter prints `notimon test`'s results in one of its formats as they come.
type testReporter struct {
	w       io.Writer
	format  string
	verbose bool
	doc     jsonTestRun // --format json: printed whole by end
}

func newTestReporter(w io.Writer, format string, verbose bool) *testReporter {
	return &testReporter{w: w, format: format, verbose: verbose,
		doc: jsonTestRun{Tests: []jsonTest{}, InvalidFiles: []jsonInvalidFile{}}}
}

// file reports the problems of a test file outside its tests (syntax, duplicates).
func (r *testReporter) file(f *ruletest.File) {
	if len(f.Diags) == 0 {
		return
	}
	errs, _ := countDiags(f.Diags)
	switch r.format {
	case formatJSON:
		if f.Diags.HasErrors() {
			r.doc.InvalidFiles = append(r.doc.InvalidFiles, jsonInvalidFile{File: f.Name, Diagnostics: jsonDiagnostics(f.Diags)})
		}
		// Warnings of a valid file are reported with its tests' results.
	case formatGitHub:
		for _, d := range sortedDiags(f.Diags) {
			fmt.Fprintln(r.w, githubDiagnostic(d))
		}
		if f.Diags.HasErrors() {
			fmt.Fprintf(r.w, "FAIL  %s: the test file is invalid (%s)\n", f.Name, plural(errs, "error"))
		}
	default:
		dsl.WriteDiagnostics(r.w, f.Files, f.Diags)
		if f.Diags.HasErrors() {
			fmt.Fprintf(r.w, "FAIL  %s: the test file is invalid (%s above)\n", f.Name, plural(errs, "error"))
		}
	}
}

func (r *testReporter) result(res *ruletest.Result) {
	switch r.format {
	case formatJSON:
		r.doc.Tests = append(r.doc.Tests, jsonTestResult(res, r.verbose))
	case formatGitHub:
		for _, d := range sortedDiags(res.Diags) {
			fmt.Fprintln(r.w, githubDiagnostic(d))
		}
		verdict := "PASS"
		if !res.Passed() {
			verdict = "FAIL"
		}
		fmt.Fprintf(r.w, "%s  %s (%s:%d)\n", verdict, res.Test.Name, res.Test.Range.Filename, res.Test.Range.Start.Line)
		for _, f := range res.Failures {
			pos := res.Test.Range
			if f.Pos != nil {
				pos = *f.Pos
			}
			msg := strings.Join(append([]string{"at " + dsl.FormatDuration(f.At) + ": " + f.Title}, f.Lines...), "\n")
			fmt.Fprintln(r.w, githubCommand("error", msg, "file", pos.Filename, "line", fmt.Sprint(pos.Start.Line),
				"col", fmt.Sprint(pos.Start.Column), "title", "FAIL "+res.Test.Name))
		}
	default:
		res.Write(r.w, r.verbose)
	}
}

// end closes the report with the counts.
func (r *testReporter) end(passed, failed int) {
	if r.format == formatJSON {
		r.doc.Passed, r.doc.Failed = passed, failed
		writeJSON(r.w, r.doc)
		return
	}
	fmt.Fprintf(r.w, "%d passed, %d failed\n", passed, failed)
}

// jsonTestRun is `notimon test --format json`.
type jsonTestRun struct {
	Passed int        `json:"passed"`
	Failed int        `json:"failed"` // tests that failed or did not run, and invalid files
	Tests  []jsonTest `json:"tests"`
	// InvalidFiles are test files that do not parse; none of their tests ran.
	InvalidFiles []jsonInvalidFile `json:"invalid_files"`
}

type jsonInvalidFile struct {
	File        string           `json:"file"`
	Diagnostics []jsonDiagnostic `json:"diagnostics"`
}

// jsonTest is one test's result.
type jsonTest struct {
	Name   string `json:"name"`
	File   string `json:"file"`
	Line   int    `json:"line"`
	Passed bool   `json:"passed"`
	// Ran is false when the test or its rules are invalid (see diagnostics).
	Ran      bool   `json:"ran"`
	Ticks    int    `json:"ticks"`
	Interval string `json:"interval"` // "15s"
	// Diagnostics are the problems of the test and its rules, warnings included.
	Diagnostics  []jsonDiagnostic  `json:"diagnostics"`
	Expectations []jsonExpectation `json:"expectations"`
	// Failures are the differences tied to no expectation: something happened that no
	// expectation allowed (expect_nothing_else), or a rule could not be evaluated.
	Failures []jsonFailure `json:"failures"`
	// Timeline is what happened, with -v only.
	Timeline []jsonEvent `json:"timeline,omitempty"`
}

// jsonExpectation is one expect block: passed when every state, message and command it
// expects happened.
type jsonExpectation struct {
	At       string        `json:"at"` // as written: "2m"
	File     string        `json:"file"`
	Line     int           `json:"line"`
	Column   int           `json:"column"`
	Passed   bool          `json:"passed"`
	Failures []jsonFailure `json:"failures"`
}

// jsonFailure is one difference: what was expected and what happened, as text shows it.
type jsonFailure struct {
	At    string `json:"at"`    // the tick's offset: "2m5s"
	Title string `json:"title"` // rule "overload"; notify "ops"; exec
	// Where the expectation is written (a rule's name in a state list, a notify or exec
	// block, the expect block); left out for a failure tied to no expectation.
	File   string   `json:"file,omitempty"`
	Line   int      `json:"line,omitempty"`
	Column int      `json:"column,omitempty"`
	Lines  []string `json:"lines"` // "- expected", "+ got", "  common"
}

type jsonEvent struct {
	At    string   `json:"at"`
	Title string   `json:"title"`
	Lines []string `json:"lines,omitempty"`
}

func jsonTestResult(res *ruletest.Result, verbose bool) jsonTest {
	t := res.Test
	j := jsonTest{
		Name: t.Name, File: t.Range.Filename, Line: t.Range.Start.Line,
		Passed: res.Passed(), Ran: !res.Diags.HasErrors(),
		Ticks: res.Ticks, Interval: dsl.FormatDuration(res.Interval),
		Diagnostics: jsonDiagnostics(res.Diags), Expectations: []jsonExpectation{}, Failures: []jsonFailure{},
	}
	if !j.Ran {
		j.Interval = ""
	}
	// Every range a failure may point at, to the expect block it belongs to.
	owner := map[hcl.Range]int{}
	for i, e := range t.Expects {
		owner[e.Range] = i
		for _, list := range [][]ruletest.NameRef{e.Firing, e.Pending, e.Resolved, e.Inactive, e.Unknown} {
			for _, n := range list {
				owner[n.Range] = i
			}
		}
		for _, n := range e.Notifies {
			owner[n.Range] = i
		}
		for _, x := range e.Execs {
			owner[x.Range] = i
		}
		j.Expectations = append(j.Expectations, jsonExpectation{
			At: e.AtText, File: e.Range.Filename, Line: e.Range.Start.Line, Column: e.Range.Start.Column,
			Passed: j.Ran, Failures: []jsonFailure{},
		})
	}
	for _, f := range res.Failures {
		jf := jsonFailure{At: dsl.FormatDuration(f.At), Title: f.Title, Lines: f.Lines}
		if jf.Lines == nil {
			jf.Lines = []string{}
		}
		i, ok := -1, false
		if f.Pos != nil {
			jf.File, jf.Line, jf.Column = f.Pos.Filename, f.Pos.Start.Line, f.Pos.Start.Column
			i, ok = owner[*f.Pos]
		}
		if !ok {
			j.Failures = append(j.Failures, jf)
			continue
		}
		j.Expectations[i].Passed = false
		j.Expectations[i].Failures = append(j.Expectations[i].Failures, jf)
	}
	if verbose {
		for _, ev := range res.Timeline {
			j.Timeline = append(j.Timeline, jsonEvent{At: dsl.FormatDuration(ev.At), Title: ev.Title, Lines: ev.Lines})
		}
	}
	return j
}
