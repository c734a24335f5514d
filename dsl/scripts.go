package dsl

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/notimon/notimon/actions/exec"
)

// SummaryCRLFScript is the summary of the warning about a script saved with Windows line
// endings. It is about a file on this machine, not about the rules' text, so `notimon test`
// shows it too (it shows no other warning of the rules it loads).
const SummaryCRLFScript = "Script has Windows line endings"

// crlfScriptWarning warns when the command of an exec step or command probe (a, decoded as
// spec) runs a script whose CRLF line endings will make it fail: a "#!/bin/bash\r" line
// names an interpreter that does not exist, and a shell reads "\r" as part of each
// command. The caret marks the word of the command that names the script.
func crlfScriptWarning(a *hcl.Attribute, spec exec.Spec, what string) hcl.Diagnostics {
	s := exec.FindCRLFScript(spec)
	if s == nil {
		return nil
	}
	subject := a.Expr.Range()
	if tup, ok := a.Expr.(*hclsyntax.TupleConsExpr); ok && spec.Shell == "" && s.Word < len(tup.Exprs) {
		subject = tup.Exprs[s.Word].Range()
	}
	why := `a shell will read each "\r" as part of a command ("$'\r': command not found")`
	if s.Interpreter != "" {
		why = fmt.Sprintf(`its #! line asks for the interpreter %q, which does not exist, so every run will fail ("bad interpreter")`, s.Interpreter)
	}
	return hcl.Diagnostics{{
		Severity: hcl.DiagWarning,
		Summary:  SummaryCRLFScript,
		Detail: fmt.Sprintf(`%s runs %s, whose line %d ends in CRLF (\r\n, as a file saved on Windows): %s. Convert it to LF line endings: %s`,
			what, s.Path, s.Line, why, s.Fix()),
		Subject: subject.Ptr(),
	}}
}
