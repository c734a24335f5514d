// Package command describes `probe "command" "<name>"`. Sampling arrives with the probes
// issue; until then such probes validate, and `run` reports them as not available yet.
package command

// Values is what rules read as `command.<name>.<field>`.
type Values struct {
	ExitCode float64 `expr:"exit_code" json:"exit_code"`
	Value    float64 `expr:"value" json:"value"` // stdout parsed as a number, 0 when it is not one
	Output   string  `expr:"output" json:"output"`
	Error    string  `expr:"error" json:"error"`
}
