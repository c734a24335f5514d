package probes

import (
	"log/slog"

	"github.com/notimon/notimon/probes/net"
)

// SetFields tells the sampler which probe fields the rules read (dsl.Config.Fields), so
// that probes can leave out what no rule reads: net counts TCP sockets only in the states
// the rules read, and port by port only the ports they name and the listening ports, not
// every ephemeral port of a busy machine. Without a call, everything is sampled. It is
// safe while samples run.
func (s *System) SetFields(fields []string) {
	s.net.SetNeed(net.NeedOf(fields))
}

// SetTCPNeed sets what net counts directly: net.All for `notimon probe --all`.
func (s *System) SetTCPNeed(n net.Need) { s.net.SetNeed(n) }

// SetLogger sets where probes report trouble worth a line in the log: net counting TCP
// sockets from /proc/net/tcp because netlink is unavailable. nil: nowhere.
func (s *System) SetLogger(l *slog.Logger) { s.net.SetLogger(l) }
