package command

// Values is what rules read as `command.<name>.<field>`.
type Values struct {
	// ExitCode is the command's exit status; -1 when it did not exit on its own (not
	// found, timed out, killed by a signal).
	ExitCode float64 `expr:"exit_code" json:"exit_code"`
	// Value is stdout, trimmed, parsed as a number; 0 when it is not one (see Numeric).
	Value float64 `expr:"value" json:"value"`
	// Numeric is true when stdout is a finite number, so a rule can tell 0 from garbage.
	Numeric bool `expr:"numeric" json:"numeric"`
	// Output is stdout with leading and trailing white space trimmed; at most MaxOutput
	// bytes are kept, a longer output ending in "[… N bytes truncated]".
	Output string `expr:"output" json:"output"`
	// Error is "" when the command exited 0 in time; otherwise what happened, then ": "
	// and the first line of stderr when there is one.
	Error string `expr:"error" json:"error"`
	// DurationMs is how long the command ran, in milliseconds.
	DurationMs float64 `expr:"duration_ms" json:"duration_ms"`
}
