//go:build linux

package command

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestCRLFScriptError: a command probe whose script was saved with Windows line endings
// reports why in its error field, which rules and messages read.
func TestCRLFScriptError(t *testing.T) {
	p := filepath.Join(t.TempDir(), "queue-depth.sh")
	if err := os.WriteFile(p, []byte("#!/bin/sh\r\necho 3\r\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	v := Sample(context.Background(), Config{Argv: []string{p}}, now)
	want := p + `: bad interpreter: script ` + p + ` has Windows line endings (CRLF): its interpreter is "/bin/sh\r"; fix with sed -i 's/\r$//' ` + p
	if v.Error != want || v.ExitCode != -1 {
		t.Errorf("error %q, exit code %v\nwant %q, -1", v.Error, v.ExitCode, want)
	}
}
