package chatops

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/notimon/notimon/engine/status"
)

// maxReloadLines bounds how much of a failed reload's diagnostics /status quotes: the log
// and `notimon validate` have them all.
const maxReloadLines = 4

// statusText is the reply to /status: engine/status (what `notimon status` shows) as a
// chat message: the firing and pending rules with their values, their silences and acks,
// the silences, the last reload, a queued outbox and what could not be read.
func (b *Bot) statusText(now time.Time) string {
	st, err := status.Read(b.opts.StateDir, b.config(), now)
	if err != nil {
		return "Cannot read the status: " + err.Error()
	}
	var w strings.Builder
	host := ""
	if st.Host != "" {
		host = " on " + st.Host
	}
	c := st.Counts
	fmt.Fprintf(&w, "notimon%s: %d firing, %d pending of %d rules", host, c.Firing, c.Pending, c.Rules)
	if c.Silenced > 0 || c.Acked > 0 {
		fmt.Fprintf(&w, "; %d silenced, %d acked", c.Silenced, c.Acked)
	}
	w.WriteString(".\n")
	for _, state := range []string{"firing", "pending"} {
		for _, r := range st.Rules {
			if r.State != state {
				continue
			}
			w.WriteString("\n")
			since := r.Since
			icon := "⏳"
			if state == "firing" {
				icon, since = "🔥", r.FiringSince
			}
			fmt.Fprintf(&w, "%s %s", icon, r.Name)
			if r.Severity != "" {
				fmt.Fprintf(&w, " (%s)", r.Severity)
			}
			fmt.Fprintf(&w, " %s since %s (%s)", state, clock(since), ago(now.Sub(since)))
			if v := values(r.Values); v != "" {
				w.WriteString(": " + v)
			}
			w.WriteString("\n")
			if r.Error != "" {
				fmt.Fprintf(&w, "   ⚠️ %s\n", r.Error)
			}
			for _, s := range r.Silenced {
				fmt.Fprintf(&w, "   🔕 silenced until %s by %s (silence %s)\n", clock(s.EndsAt), orSomeone(s.By), s.ID)
			}
			if r.Ack != nil {
				fmt.Fprintf(&w, "   ✅ acked by %s at %s\n", orSomeone(r.Ack.By), clock(r.Ack.At))
			}
		}
	}
	var active []status.Silence
	for _, s := range st.Silences {
		if s.Status != "expired" {
			active = append(active, s)
		}
	}
	if len(active) > 0 {
		w.WriteString("\nSilences:\n")
		for _, s := range active {
			fmt.Fprintf(&w, "🔕 %s %s, %s until %s, by %s", s.ID, matchers(s.Silence), s.Status, clock(s.End()), orSomeone(s.By))
			if s.Comment != "" {
				fmt.Fprintf(&w, ": %q", s.Comment)
			}
			w.WriteString("\n")
		}
	}
	if r := st.LastReload; r != nil {
		if r.OK {
			fmt.Fprintf(&w, "\nLast reload: ok at %s.\n", clock(r.Time))
		} else {
			lines := strings.Split(strings.TrimSpace(r.Error), "\n")
			if len(lines) > maxReloadLines {
				lines = append(lines[:maxReloadLines], "…")
			}
			fmt.Fprintf(&w, "\nLast reload: FAILED at %s; the previous rules keep running:\n%s\n", clock(r.Time), strings.Join(lines, "\n"))
		}
	}
	if st.Outbox.Queued > 0 {
		fmt.Fprintf(&w, "\nOutbox: %d messages waiting.\n", st.Outbox.Queued)
		for _, n := range st.Outbox.Notifiers {
			if n.Queued > 0 && n.LastError != "" {
				fmt.Fprintf(&w, "   %s: %d, last error: %s\n", n.Name, n.Queued, n.LastError)
			}
		}
	}
	for _, p := range st.Problems {
		fmt.Fprintf(&w, "\n⚠️ %s\n", p)
	}
	return strings.TrimSpace(w.String())
}

// values renders a rule's values as "cpu.avg3=93.25 mem.real_pct=40".
func values(vs map[string]any) string {
	keys := make([]string, 0, len(vs))
	for k := range vs {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]string, len(keys))
	for i, k := range keys {
		v := vs[k]
		if f, ok := v.(float64); ok {
			v = strconv.FormatFloat(math.Round(f*100)/100, 'f', -1, 64)
		}
		out[i] = fmt.Sprintf("%s=%v", k, v)
	}
	return strings.Join(out, " ")
}

// ago is a duration in the largest units that matter: 45s, 12m, 3h5m, 2d4h.
func ago(d time.Duration) string {
	switch {
	case d < time.Minute:
		return d.Round(time.Second).String()
	case d < time.Hour:
		return fmt.Sprintf("%dm", d/time.Minute)
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh%dm", d/time.Hour, d%time.Hour/time.Minute)
	}
	return fmt.Sprintf("%dd%dh", d/(24*time.Hour), d%(24*time.Hour)/time.Hour)
}

func orSomeone(by string) string {
	if by == "" {
		return "someone"
	}
	return by
}
