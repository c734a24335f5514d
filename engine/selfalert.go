package engine

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/notimon/notimon/actions/notify"
)

// SelfAlert sends text, about notimon itself, to every declared notifier now, one attempt
// each and without the outbox (it is for when the outbox cannot be used), and returns a
// failure per notifier that could not be reached. The text is escaped for each notifier's
// kind; the message's rule is "notimon".
func (e *Engine) SelfAlert(ctx context.Context, now time.Time, text string) []error {
	_, errs := e.selfAlert(ctx, now, text, "")
	return errs
}

// selfAlert is SelfAlert to every notifier but skip (the one the alert is about); sent
// counts the notifiers that took it.
func (e *Engine) selfAlert(ctx context.Context, now time.Time, text, skip string) (sent int, errs []error) {
	e.mu.Lock()
	names := make([]string, 0, len(e.notifiers))
	for name := range e.notifiers {
		if name != skip {
			names = append(names, name)
		}
	}
	e.mu.Unlock()
	slices.Sort(names)
	host := e.config().Settings.Host
	for _, name := range names {
		entry, _ := e.notifier(name)
		body := text
		if entry.escape != nil {
			body = entry.escape(text)
		}
		m := notify.Message{Notifier: name, Rule: "notimon", Severity: "critical", Host: host, Text: body, Time: now}
		if err := e.send(ctx, m); err != nil {
			errs = append(errs, fmt.Errorf("self-alert: %w", err))
		} else {
			sent++
		}
	}
	return sent, errs
}
