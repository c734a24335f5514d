package main

import (
	"log/slog"
	"runtime/debug"

	"github.com/notimon/notimon/engine/store"
	"github.com/notimon/notimon/server/metrics"
)

// newMetrics builds the registry of /metrics and --metrics-file, with the outbox of the
// store st returns (nil: no outbox, nothing waits) and this binary's version. The rules
// are recorded as loaded now: the caller has loaded them.
func newMetrics(st func() *store.Store, logger *slog.Logger) *metrics.Metrics {
	bi, _ := debug.ReadBuildInfo()
	v := readBuildVersion(bi, version, commit, date)
	m := metrics.New(metrics.Options{
		Version: v.Version, Revision: v.Commit, Now: clock, Logger: logger,
		Outbox: func() ([]store.Entry, error) {
			if s := st(); s != nil {
				return s.Pending()
			}
			return nil, nil
		},
	})
	m.Loaded(clock())
	return m
}

// writeMetricsFile writes reg to path after a cron run (--metrics-file); nothing when reg is nil.
func writeMetricsFile(reg *metrics.Metrics, path string) []error {
	if reg == nil {
		return nil
	}
	if err := reg.WriteTextfile(path); err != nil {
		return []error{err}
	}
	return nil
}
