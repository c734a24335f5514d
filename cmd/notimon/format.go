package main

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/cobra"
)

// Output formats of --format: text for people; json for programs (one document per run,
// its shapes documented in the README and fixed by golden tests); github for GitHub
// Actions, which turns workflow commands (::error file=…,line=…::message) into
// annotations on the lines they name.
const (
	formatText   = "text"
	formatJSON   = "json"
	formatGitHub = "github"
)

// addFormatFlag adds --format to cmd, taking one of allowed (the first is the default).
func addFormatFlag(cmd *cobra.Command, format *string, allowed ...string) {
	cmd.Flags().StringVar(format, "format", allowed[0], "output format: "+strings.Join(allowed, ", "))
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(allowed, cobra.ShellCompDirectiveNoFileComp))
	prev := cmd.PreRunE
	cmd.PreRunE = func(cmd *cobra.Command, args []string) error {
		if !slices.Contains(allowed, *format) {
			return usageError{fmt.Errorf("--format %q: %s takes %s", *format, cmd.Name(), strings.Join(allowed, ", "))}
		}
		if prev != nil {
			return prev(cmd, args)
		}
		return nil
	}
}

// writeJSON writes v as indented JSON; HTML stays as it is (messages hold <b>).
func writeJSON(w io.Writer, v any) {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v) // the values are plain structs; a write error is the reader's
}

// jsonPos is a position in a file: line and column count from 1, the column in characters.
type jsonPos struct {
	Line   int `json:"line"`
	Column int `json:"column"`
}

// jsonDiagnostic is one diagnostic of validate, test and fmt in JSON. The position fields
// are left out when the diagnostic is about no place in a file (an unreadable directory).
type jsonDiagnostic struct {
	Severity string   `json:"severity"` // "error" or "warning"
	Summary  string   `json:"summary"`
	Detail   string   `json:"detail"`
	File     string   `json:"file,omitempty"`
	Line     int      `json:"line,omitempty"`
	Column   int      `json:"column,omitempty"`
	End      *jsonPos `json:"end,omitempty"` // where the range ends (exclusive)
}

func jsonDiagnostics(diags hcl.Diagnostics) []jsonDiagnostic {
	out := []jsonDiagnostic{}
	for _, d := range sortedDiags(diags) {
		j := jsonDiagnostic{Severity: severity(d), Summary: d.Summary, Detail: d.Detail}
		if s := d.Subject; s != nil {
			j.File, j.Line, j.Column = s.Filename, s.Start.Line, s.Start.Column
			j.End = &jsonPos{Line: s.End.Line, Column: s.End.Column}
		}
		out = append(out, j)
	}
	return out
}

func severity(d *hcl.Diagnostic) string {
	if d.Severity == hcl.DiagWarning {
		return "warning"
	}
	return "error"
}

// sortedDiags orders diagnostics as dsl.WriteDiagnostics prints them: those without a
// position first, then by file and offset.
func sortedDiags(diags hcl.Diagnostics) hcl.Diagnostics {
	out := slices.Clone(diags)
	slices.SortStableFunc(out, func(a, b *hcl.Diagnostic) int {
		x, y := a.Subject, b.Subject
		switch {
		case x == nil && y == nil:
			return 0
		case x == nil:
			return -1
		case y == nil:
			return 1
		case x.Filename != y.Filename:
			return strings.Compare(x.Filename, y.Filename)
		}
		return x.Start.Byte - y.Start.Byte
	})
	return out
}

// githubCommand formats one GitHub Actions workflow command, `::error file=…,line=…::msg`
// (https://docs.github.com/actions/reference/workflow-commands-for-github-actions). props
// are name, value pairs; empty values are left out. As the runner reads them, a message
// escapes %, CR and LF, and a property value also : and ,.
func githubCommand(command string, message string, props ...string) string {
	var b strings.Builder
	b.WriteString("::" + command)
	sep := " "
	for i := 0; i+1 < len(props); i += 2 {
		if props[i+1] == "" {
			continue
		}
		b.WriteString(sep + props[i] + "=" + githubEscapeProperty(props[i+1]))
		sep = ","
	}
	b.WriteString("::" + githubEscapeData(message))
	return b.String()
}

func githubEscapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

func githubEscapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}

// githubDiagnostic is a diagnostic as an annotation: ::error or ::warning on its range,
// titled with its summary, the detail as the message.
func githubDiagnostic(d *hcl.Diagnostic) string {
	msg := d.Detail
	if msg == "" {
		msg = d.Summary
	}
	var props []string
	if s := d.Subject; s != nil {
		props = []string{"file", s.Filename, "line", fmt.Sprint(s.Start.Line), "col", fmt.Sprint(s.Start.Column),
			"endLine", fmt.Sprint(s.End.Line), "endColumn", fmt.Sprint(s.End.Column)}
	}
	return githubCommand(severity(d), msg, append(props, "title", d.Summary)...)
}
