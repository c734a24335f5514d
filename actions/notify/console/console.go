// Package console is the notifier that prints messages to standard output. It needs no
// credentials, so it is how a fresh install shows what notimon would send.
package console

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/notimon/notimon/actions/notify"
)

// Console writes each message as a header line followed by the text, indented.
type Console struct {
	name string
	mu   sync.Mutex
	w    io.Writer
}

var _ notify.Notifier = (*Console)(nil)

// New returns a console notifier called name that writes to w.
func New(name string, w io.Writer) *Console { return &Console{name: name, w: w} }

// Notify prints m. A write error (a closed pipe) is not worth retrying.
func (c *Console) Notify(_ context.Context, m notify.Message) (bool, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "[%s] %s · rule %s", m.Time.Format(time.RFC3339), c.name, m.Rule)
	if m.Severity != "" {
		fmt.Fprintf(&b, " (%s)", m.Severity)
	}
	if m.State != "" {
		fmt.Fprintf(&b, " %s", m.State)
	}
	b.WriteString("\n")
	for _, line := range strings.Split(strings.TrimRight(m.Text, "\n"), "\n") {
		b.WriteString("    " + line + "\n")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, err := io.WriteString(c.w, b.String()); err != nil {
		return false, fmt.Errorf("console: %w", err)
	}
	return false, nil
}
