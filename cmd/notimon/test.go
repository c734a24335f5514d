package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/notimon/notimon/ruletest"
)

func newTestCmd() *cobra.Command {
	var runRE, envFile, format string
	var verbose bool
	cmd := &cobra.Command{
		Use:   "test [--run REGEX] [-v] [--env-file FILE] [--format text|json|github] [PATH ...]",
		Short: "Run rule tests (*_test.hcl): values per tick in, states, messages and commands checked",
		Long: `test runs the rule tests in *_test.hcl files: each test feeds probe values tick by
tick to the rules on a simulated clock (a day takes a fraction of a second) and checks the
rules' states, the messages they send and the commands they run. Nothing is sent and
nothing is executed.

PATH is a test file or a directory searched for *_test.hcl files (default ./rules.d).
Each test prints PASS or FAIL; a failure shows each difference under the position of its
expectation, as "- expected" and "+ got" lines. The last line is "N passed, M failed".

  --run REGEX   run only the tests whose name matches REGEX
  -v            also print each test's timeline: transitions, messages and commands
  --env-file    KEY=VALUE lines for env("NAME") in the rules under test; a test's own
                env wins. The process environment is never read by a test.
  --format json     one JSON document: each test with its expectations and differences;
                    see the README
  --format github   GitHub Actions annotations (::error file=…,line=…::…) on each
                    difference and each problem, with the PASS/FAIL lines

Exit status: 0 all tests passed, 1 a test failed or a test file is invalid, 2 usage error.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			re, err := regexp.Compile(runRE)
			if err != nil {
				return usageError{fmt.Errorf("--run: %v", err)}
			}
			if len(args) == 0 {
				args = []string{"rules.d"}
			}
			stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
			runner := &ruletest.Runner{}
			if envFile != "" {
				vars, err := readEnvFile(envFile)
				if err != nil {
					fmt.Fprintf(stderr, "notimon: %v\n", err)
					return exitError{exitProblems}
				}
				runner.Env = vars
			}
			files, err := testFiles(args)
			if err != nil {
				fmt.Fprintf(stderr, "notimon: %v\n", err)
				return exitError{exitProblems}
			}
			rep := newTestReporter(stdout, format, verbose)
			passed, failed, ran := 0, 0, 0
			for _, name := range files {
				// Problems inside a test are shown with its result; the rest here.
				f, _ := ruletest.LoadFile(name)
				if f.Diags.HasErrors() {
					failed++
				}
				rep.file(f)
				for _, t := range f.Tests {
					if !re.MatchString(t.Name) {
						continue
					}
					ran++
					res := runner.Run(cmd.Context(), t)
					rep.result(res)
					if res.Passed() {
						passed++
					} else {
						failed++
					}
				}
			}
			if ran == 0 && failed == 0 {
				fmt.Fprintf(stderr, "notimon: no test matches --run %q in %s\n", runRE, strings.Join(files, ", "))
				rep.end(0, 0)
				return exitError{exitProblems}
			}
			rep.end(passed, failed)
			if failed > 0 {
				return exitError{exitProblems}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&runRE, "run", "", "run only the tests whose name matches this regular expression")
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "print each test's timeline: transitions, messages and commands")
	addEnvFileFlag(cmd, &envFile)
	addFormatFlag(cmd, &format, formatText, formatJSON, formatGitHub)
	return cmd
}

// testFiles expands test's arguments: a file is itself, a directory every *_test.hcl file
// below it (hidden directories skipped), in lexical order.
func testFiles(args []string) ([]string, error) {
	var files []string
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil {
			return nil, fmt.Errorf("%v; give test files (*_test.hcl) or directories holding them (default ./rules.d)", err)
		}
		if !st.IsDir() {
			if !strings.HasSuffix(a, "_test.hcl") {
				return nil, fmt.Errorf("%s is not a test file: test files are named *_test.hcl", a)
			}
			files = append(files, a)
			continue
		}
		var found []string
		err = filepath.WalkDir(a, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && path != a && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			if !d.IsDir() && strings.HasSuffix(d.Name(), "_test.hcl") && !strings.HasPrefix(d.Name(), ".") {
				found = append(found, path)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		if len(found) == 0 {
			return nil, fmt.Errorf("no test files (*_test.hcl) in %s", a)
		}
		sort.Strings(found)
		files = append(files, found...)
	}
	return files, nil
}
