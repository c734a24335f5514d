package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

// Exit codes, the same for every command.
const (
	exitOK       = 0 // success
	exitProblems = 1 // the command ran and found problems (invalid rules, failed rules or deliveries)
	exitUsage    = 2 // the command line itself is wrong
)

// exitError carries an exit code out of a command; its message (if any) has been printed.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

// usageError is a mistake on the command line.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }

// run executes the command line args and returns the process exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRootCmd(stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	var ee exitError
	var ue usageError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ee):
		return ee.code
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "notimon: %v\nRun 'notimon --help' for usage.\n", ue.err)
		return exitUsage
	default:
		// cobra's own errors are about the command line: unknown command, bad flag.
		fmt.Fprintf(stderr, "notimon: %v\nRun 'notimon --help' for usage.\n", err)
		return exitUsage
	}
}

func newRootCmd(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "notimon",
		Short: "Watch one server: probes, rules, notifications and remediation",
		Long: `notimon watches one server and tells people when something is wrong.

Rules live in .hcl files in a rules directory (default ./rules.d): probes to sample,
conditions over their values, messages, and the steps to take when a rule fires.
Run 'notimon validate' after every edit; run 'notimon run --once' from cron.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       versionString(), // --version, the same line as `notimon version`
	}
	root.SetVersionTemplate("{{.Version}}\n")
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(
		newValidateCmd(),
		newTestCmd(),
		newExplainCmd(),
		newRunCmd(),
		newProbeCmd(),
		newSendCmd(),
		newSilenceCmd(),
		newAckCmd(),
		newFmtCmd(),
		newStatusCmd(),
		newVersionCmd(),
	)
	registerCompletions(root)
	return root
}

// maxArgs is cobra.MaximumNArgs as a usage error.
func maxArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) > n {
			return usageError{fmt.Errorf("%s takes at most %d argument(s), got %d", cmd.Name(), n, len(args))}
		}
		return nil
	}
}
