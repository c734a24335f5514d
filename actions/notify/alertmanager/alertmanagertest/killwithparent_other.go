//go:build !linux

package alertmanagertest

import "os/exec"

// killWithParent is a no-op where the kernel cannot tie a child's life to its parent's;
// the test's cleanup still kills the process.
func killWithParent(*exec.Cmd) {}
