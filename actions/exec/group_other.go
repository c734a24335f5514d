//go:build !unix

package exec

import (
	"os"
	"syscall"
)

// groupsSupported is false where there are no process groups to stop a command's
// descendants with: Run refuses to start commands it could not stop.
const groupsSupported = false

func groupAttr() *syscall.SysProcAttr                   { return nil }
func termGroup(int)                                     {}
func killGroup(int)                                     {}
func groupMembers(int) (int, bool)                      { return 0, false }
func signalDescription(*os.ProcessState) (string, bool) { return "", false }
