package engine

import (
	"fmt"

	"github.com/notimon/notimon/dsl"
)

// StepError is a step of a rule's chain that failed: an exec whose command failed
// (Err is then an *ExecError), a message that could not be rendered. Errs returns it;
// errors.As finds it, and through it what the step's runner returned.
type StepError struct {
	Rule  string
	Chain ChainKind
	Step  *dsl.Step // the step as the rules define it: its Kind and Range
	Err   error
}

func (e *StepError) Error() string { return fmt.Sprintf("rule %q: %v", e.Rule, e.Err) }
func (e *StepError) Unwrap() error { return e.Err }

// ExecError is an exec step's command that failed: it exited non-zero, timed out, or could
// not be started. Its message names the program only, as the logs do: arguments may carry
// secrets (a bearer token). Err is the runner's own error (Options.Exec's Result.Err).
type ExecError struct {
	Program  string // the program, or "sh -c …" for a shell script
	At       string // the step's position, file:line:col
	ExitCode int
	TimedOut bool
	Err      error
}

func (e *ExecError) Error() string {
	return fmt.Sprintf("exec %s (%s) failed (exit code %d)", e.Program, e.At, e.ExitCode)
}
func (e *ExecError) Unwrap() error { return e.Err }
