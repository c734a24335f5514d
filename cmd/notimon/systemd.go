package main

import (
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

// systemdNotifier speaks systemd's notify protocol (Type=notify, WatchdogSec=): a datagram
// to $NOTIFY_SOCKET. It does nothing when notimon does not run under systemd.
type systemdNotifier struct {
	socket string
}

func newSystemdNotifier() *systemdNotifier {
	s := &systemdNotifier{socket: os.Getenv("NOTIFY_SOCKET")}
	if strings.HasPrefix(s.socket, "@") { // an abstract socket
		s.socket = "\x00" + s.socket[1:]
	}
	return s
}

func (s *systemdNotifier) notify(state string) {
	if s.socket == "" {
		return
	}
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: s.socket, Net: "unixgram"})
	if err != nil {
		return
	}
	defer conn.Close()
	_, _ = conn.Write([]byte(state))
}

// watchdogPeriod reads WATCHDOG_USEC and WATCHDOG_PID as sd_watchdog_enabled(3) does: it
// returns how often systemd expects a WATCHDOG=1, or 0 when no watchdog applies to this
// process (no WATCHDOG_USEC, or a WATCHDOG_PID that is another process's: the variables
// were inherited from a parent that systemd watches).
func watchdogPeriod(getenv func(string) string, pid int) (time.Duration, error) {
	usec := getenv("WATCHDOG_USEC")
	if usec == "" {
		return 0, nil
	}
	n, err := strconv.ParseUint(usec, 10, 63)
	if err != nil || n == 0 || n > uint64(time.Duration(1<<62)/time.Microsecond) {
		return 0, fmt.Errorf("WATCHDOG_USEC=%q is not a positive number of microseconds", usec)
	}
	if p := getenv("WATCHDOG_PID"); p != "" {
		owner, err := strconv.Atoi(p)
		if err != nil || owner <= 0 {
			return 0, fmt.Errorf("WATCHDOG_PID=%q is not a process id", p)
		}
		if owner != pid {
			return 0, nil
		}
	}
	return time.Duration(n) * time.Microsecond, nil
}

// watchdogPinger sends WATCHDOG=1 on every tick of its own timer (half the watchdog period,
// as sd_watchdog_enabled(3) advises), independent of notimon's ticks, for as long as the
// daemon loop is alive. A tick that legitimately takes longer than the watchdog period
// (an HTTP probe waiting for its timeout) does not get notimon killed; a loop that is
// stuck stops the pings, and systemd restarts notimon one watchdog period later.
type watchdogPinger struct {
	send  func(state string)
	alive func() error // nil while the daemon loop is alive
	ticks <-chan time.Time
	log   *slog.Logger
}

// run pings until stop closes.
func (w *watchdogPinger) run(stop <-chan struct{}) {
	stuck := false
	for {
		select {
		case <-stop:
			return
		case <-w.ticks:
		}
		if err := w.alive(); err != nil {
			if !stuck {
				w.log.Error("the daemon loop is stuck: no more watchdog pings, systemd will restart notimon", "err", err)
				stuck = true
			}
			continue
		}
		if stuck {
			w.log.Warn("the daemon loop moves again: watchdog pings resume")
			stuck = false
		}
		w.send("WATCHDOG=1")
	}
}
