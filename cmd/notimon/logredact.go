package main

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync/atomic"

	"github.com/notimon/notimon/dsl"
)

// logSecrets are the secrets of every configuration a process has loaded (a daemon's
// earlier rules included: an error about the old token may still be logged after a
// reload), as a Config that holds only them, so that dsl's Redact does the replacing.
type logSecrets struct {
	cfg atomic.Pointer[dsl.Config]
}

// add adds cfg's secrets; a configuration that failed to load may have some too.
func (s *logSecrets) add(cfg *dsl.Config) {
	if cfg == nil || len(cfg.Secrets) == 0 {
		return
	}
	for {
		old := s.cfg.Load()
		var have []string
		if old != nil {
			have = old.Secrets
		}
		merged := slices.Clone(have)
		for _, sec := range cfg.Secrets {
			if !slices.Contains(merged, sec) {
				merged = append(merged, sec)
			}
		}
		if len(merged) == len(have) {
			return
		}
		// Longest first: a secret that contains another is replaced whole.
		slices.SortStableFunc(merged, func(a, b string) int { return len(b) - len(a) })
		if s.cfg.CompareAndSwap(old, &dsl.Config{Secrets: merged}) {
			return
		}
	}
}

// redactHandler is a slog.Handler that replaces every secret in a record before its inner
// handler formats it: in the message and in attribute values (strings, errors, anything
// printed with %v, LogValuers, nested groups), those of With included.
type redactHandler struct {
	inner   slog.Handler
	secrets *logSecrets
}

// redacting wraps h so that the secrets added to s never reach its output.
func redacting(h slog.Handler, s *logSecrets) slog.Handler {
	return &redactHandler{inner: h, secrets: s}
}

// addLogSecrets makes logger, when it is one of newLogger's, hide cfg's secrets from now on.
func addLogSecrets(logger *slog.Logger, cfg *dsl.Config) {
	if h, ok := logger.Handler().(*redactHandler); ok {
		h.secrets.add(cfg)
	}
}

func (h *redactHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.inner.Enabled(ctx, l)
}

func (h *redactHandler) Handle(ctx context.Context, r slog.Record) error {
	cfg := h.secrets.cfg.Load()
	if cfg == nil {
		return h.inner.Handle(ctx, r)
	}
	out := slog.NewRecord(r.Time, r.Level, cfg.Redact(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(redactAttr(cfg, a))
		return true
	})
	return h.inner.Handle(ctx, out)
}

func (h *redactHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if cfg := h.secrets.cfg.Load(); cfg != nil {
		red := make([]slog.Attr, len(attrs))
		for i, a := range attrs {
			red[i] = redactAttr(cfg, a)
		}
		attrs = red
	}
	return &redactHandler{inner: h.inner.WithAttrs(attrs), secrets: h.secrets}
}

func (h *redactHandler) WithGroup(name string) slog.Handler {
	return &redactHandler{inner: h.inner.WithGroup(name), secrets: h.secrets}
}

// redactAttr is a with its value's secrets replaced. A value that had to be printed to be
// searched (an error, a struct, a map) becomes the redacted string when it held a secret,
// else it is kept as it was.
func redactAttr(cfg *dsl.Config, a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		a.Value = slog.StringValue(cfg.Redact(v.String()))
	case slog.KindGroup:
		group := v.Group()
		red := make([]slog.Attr, len(group))
		for i, g := range group {
			red[i] = redactAttr(cfg, g)
		}
		a.Value = slog.GroupValue(red...)
	case slog.KindAny:
		var s string
		switch x := v.Any().(type) {
		case error:
			s = x.Error()
		case []byte:
			s = string(x)
		default:
			s = fmt.Sprintf("%+v", x)
		}
		if red := cfg.Redact(s); red != s {
			a.Value = slog.StringValue(red)
		} else {
			a.Value = v
		}
	default:
		a.Value = v // numbers, times, durations, bools: no secret in them
	}
	return a
}
