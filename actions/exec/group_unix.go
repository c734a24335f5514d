//go:build unix

package exec

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"syscall"
)

const groupsSupported = true

// groupAttr puts the command in a process group of its own, whose id is its pid, so that
// one signal reaches it and everything it started that did not detach.
func groupAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

// termGroup asks every process of the group to end: SIGTERM, then SIGCONT so that a
// stopped member can act on it. Errors are ignored: ESRCH means there is nothing left to
// signal, and stopGroup checks the outcome by looking.
func termGroup(pgid int) {
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	_ = syscall.Kill(-pgid, syscall.SIGCONT)
}

// killGroup ends every process of the group that can be ended.
func killGroup(pgid int) {
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
}

// groupMembers counts the running processes of the group. A zombie does not count: it has
// ended and only waits for its parent (or init, or a subreaper) to reap it, which in a
// container whose PID 1 does not reap may be never. Without /proc to look at, the count is
// -1 and any process that kill(2) still finds, zombies included, keeps the group alive.
func groupMembers(pgid int) (n int, alive bool) {
	if err := syscall.Kill(-pgid, 0); errors.Is(err, syscall.ESRCH) {
		return 0, false
	}
	d, err := os.Open("/proc")
	if err != nil {
		return -1, true
	}
	names, err := d.Readdirnames(-1)
	d.Close()
	if err != nil {
		return -1, true
	}
	for _, name := range names {
		if name[0] < '0' || name[0] > '9' {
			continue
		}
		b, err := os.ReadFile("/proc/" + name + "/stat")
		if err != nil {
			continue // gone meanwhile
		}
		if state, pgrp, ok := parseStat(b); ok && pgrp == pgid && state != 'Z' && state != 'X' {
			n++
		}
	}
	return n, n > 0
}

// parseStat reads the state and process group from /proc/<pid>/stat:
// "pid (comm) state ppid pgrp …", where comm may itself contain spaces and parentheses.
func parseStat(b []byte) (state byte, pgrp int, ok bool) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, false
	}
	f := bytes.Fields(b[i+1:])
	if len(f) < 3 || len(f[0]) != 1 {
		return 0, 0, false
	}
	pgrp, err := strconv.Atoi(string(f[2]))
	if err != nil {
		return 0, 0, false
	}
	return f[0][0], pgrp, true
}

// signalDescription describes a death by signal, e.g. "killed by signal 9 (killed)".
func signalDescription(ps *os.ProcessState) (string, bool) {
	ws, ok := ps.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() {
		return "", false
	}
	s := fmt.Sprintf("killed by signal %d (%v", int(ws.Signal()), ws.Signal())
	if ws.CoreDump() {
		s += ", core dumped"
	}
	return s + ")", true
}
