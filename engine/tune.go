package engine

import (
	"log/slog"

	"github.com/notimon/notimon/dsl"
)

// tunableSampler is a sampler that can leave out what no rule of the configuration reads
// and has something to say in the log (probes.System): net then counts sockets only in the
// states and on the ports the rules read, and says when it cannot use netlink.
type tunableSampler interface {
	SetFields(fields []string)
	SetLogger(l *slog.Logger)
}

// tune tells a tunableSampler what cfg reads. It runs for every configuration, the first
// and each one a reload swaps in.
func (e *Engine) tune(cfg *dsl.Config) {
	if s, ok := e.opts.Sampler.(tunableSampler); ok {
		s.SetLogger(e.log)
		s.SetFields(cfg.Fields)
	}
}
