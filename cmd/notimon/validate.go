package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/cobra"

	"github.com/notimon/notimon/dsl"
)

func newValidateCmd() *cobra.Command {
	var envFile, format string
	cmd := &cobra.Command{
		Use:   "validate [--env-file FILE] [--format text|json|github] [PATH ...]",
		Short: "Check rules files and report every problem with file:line:col",
		Long: `validate loads the rules and reports every problem at once, each with its
file:line:col, the source line and a caret under the offending token.

Each directory is checked as one configuration (its *.hcl files in lexical order); all
files named directly are checked together as one configuration. Default: ./rules.d.
With --env-file, env("NAME") reads that file first, as run does with it.

  --format json     one JSON document: each configuration's counts and diagnostics
                    (file, line, column, end, severity, summary, detail); see the README
  --format github   GitHub Actions annotations (::error file=…,line=…,col=…::…), one per
                    diagnostic, then the summary lines

Exit status: 0 valid (warnings allowed), 1 problems found, 2 usage error.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			loadOpts, err := loadOptions(cmd, envFile)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			doc := jsonValidate{Valid: true, Configurations: []jsonConfiguration{}}
			for _, paths := range configGroups(args) {
				cfg, diags := dsl.Load(paths, loadOpts)
				doc.Valid = doc.Valid && !diags.HasErrors()
				switch format {
				case formatJSON:
					doc.Configurations = append(doc.Configurations, jsonConfig(paths, cfg, diags))
				case formatGitHub:
					for _, d := range sortedDiags(diags) {
						fmt.Fprintln(out, githubDiagnostic(d))
					}
					fmt.Fprintln(out, validateSummary(paths, cfg, diags))
				default:
					dsl.WriteDiagnostics(out, cfg.Files, diags)
					fmt.Fprintln(out, validateSummary(paths, cfg, diags))
				}
			}
			if format == formatJSON {
				writeJSON(out, doc)
			}
			if !doc.Valid {
				return exitError{exitProblems}
			}
			return nil
		},
	}
	addEnvFileFlag(cmd, &envFile)
	addFormatFlag(cmd, &format, formatText, formatJSON, formatGitHub)
	return cmd
}

// configGroups splits validate's arguments into configurations: one per directory, and one
// for all files named directly.
func configGroups(args []string) [][]string {
	if len(args) == 0 {
		return [][]string{{"rules.d"}}
	}
	var groups [][]string
	var files []string
	for _, a := range args {
		if st, err := os.Stat(a); err == nil && !st.IsDir() {
			files = append(files, a)
			continue
		}
		groups = append(groups, []string{a})
	}
	if len(files) > 0 {
		groups = append(groups, files)
	}
	return groups
}

// validateSummary is the line that closes a configuration's report: its paths, what it
// declares, and its verdict.
func validateSummary(paths []string, cfg *dsl.Config, diags hcl.Diagnostics) string {
	errs, warns := countDiags(diags)
	status := "valid"
	if errs > 0 {
		status = fmt.Sprintf("%s found", plural(errs, "error"))
	}
	if warns > 0 {
		status += fmt.Sprintf(", %s", plural(warns, "warning"))
	}
	notifiers := plural(len(cfg.Notifiers), "notifier")
	if n := len(cfg.Maintenance); n > 0 {
		notifiers += ", " + plural(n, "maintenance window")
	}
	return fmt.Sprintf("%s: %s, %s, %s, %s: %s", strings.Join(paths, " "),
		plural(len(cfg.Files), "file"), plural(len(cfg.Rules), "rule"),
		plural(len(cfg.Probes), "probe"), notifiers, status)
}

// jsonValidate is `validate --format json`.
type jsonValidate struct {
	Valid          bool                `json:"valid"` // every configuration is
	Configurations []jsonConfiguration `json:"configurations"`
}

// jsonConfiguration is one configuration validate loaded: a directory, or the files
// named directly.
type jsonConfiguration struct {
	Paths       []string         `json:"paths"`
	Valid       bool             `json:"valid"`
	Files       int              `json:"files"`
	Rules       int              `json:"rules"`
	Probes      int              `json:"probes"`
	Notifiers   int              `json:"notifiers"`
	Maintenance int              `json:"maintenance_windows,omitempty"` // left out when none
	Errors      int              `json:"errors"`
	Warnings    int              `json:"warnings"`
	Diagnostics []jsonDiagnostic `json:"diagnostics"`
}

func jsonConfig(paths []string, cfg *dsl.Config, diags hcl.Diagnostics) jsonConfiguration {
	errs, warns := countDiags(diags)
	return jsonConfiguration{
		Paths: paths, Valid: errs == 0,
		Files: len(cfg.Files), Rules: len(cfg.Rules), Probes: len(cfg.Probes), Notifiers: len(cfg.Notifiers),
		Maintenance: len(cfg.Maintenance),
		Errors:      errs, Warnings: warns, Diagnostics: jsonDiagnostics(diags),
	}
}

func countDiags(diags hcl.Diagnostics) (errs, warns int) {
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			errs++
		} else {
			warns++
		}
	}
	return errs, warns
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
