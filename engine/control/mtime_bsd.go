//go:build darwin || freebsd || netbsd || openbsd || dragonfly

package control

import "syscall"

func mtime(st *syscall.Stat_t) (sec, nsec int64) {
	return int64(st.Mtimespec.Sec), int64(st.Mtimespec.Nsec)
}
