package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/cobra"

	"github.com/notimon/notimon/dsl"
)

func newValidateCmd() *cobra.Command {
	var envFile string
	cmd := &cobra.Command{
		Use:   "validate [--env-file FILE] [PATH ...]",
		Short: "Check rules files and report every problem with file:line:col",
		Long: `validate loads the rules and reports every problem at once, each with its
file:line:col, the source line and a caret under the offending token.

Each directory is checked as one configuration (its *.hcl files in lexical order); all
files named directly are checked together as one configuration. Default: ./rules.d.
With --env-file, env("NAME") reads that file first, as run does with it.

Exit status: 0 valid (warnings allowed), 1 problems found, 2 usage error.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			loadOpts, err := loadOptions(cmd, envFile)
			if err != nil {
				return err
			}
			groups := configGroups(args)
			failed := false
			for _, paths := range groups {
				if !validate(cmd.OutOrStdout(), paths, loadOpts) {
					failed = true
				}
			}
			if failed {
				return exitError{exitProblems}
			}
			return nil
		},
	}
	addEnvFileFlag(cmd, &envFile)
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

// validate loads one configuration, prints its diagnostics and a summary line, and reports
// whether it is valid.
func validate(w io.Writer, paths []string, loadOpts dsl.Options) bool {
	cfg, diags := dsl.Load(paths, loadOpts)
	dsl.WriteDiagnostics(w, cfg.Files, diags)
	errs, warns := countDiags(diags)
	status := "valid"
	if errs > 0 {
		status = fmt.Sprintf("%s found", plural(errs, "error"))
	}
	if warns > 0 {
		status += fmt.Sprintf(", %s", plural(warns, "warning"))
	}
	fmt.Fprintf(w, "%s: %s, %s, %s, %s: %s\n", strings.Join(paths, " "),
		plural(len(cfg.Files), "file"), plural(len(cfg.Rules), "rule"),
		plural(len(cfg.Probes), "probe"), plural(len(cfg.Notifiers), "notifier"), status)
	return errs == 0
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
