package chatops

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/notimon/notimon/engine/control"
	"github.com/notimon/notimon/engine/store"
)

// statusText is the reply to /status.
func (b *Bot) statusText(now time.Time) string {
	var doc struct {
		Rules map[string]struct {
			State       string    `json:"state"`
			Since       time.Time `json:"since"`
			FiringSince time.Time `json:"firing_since"`
		} `json:"rules"`
		Reload *struct {
			Time  time.Time `json:"time"`
			OK    bool      `json:"ok"`
			Error string    `json:"error"`
		} `json:"last_reload"`
	}
	var w strings.Builder
	if _, err := store.NewReader(b.opts.StateDir).Load(&doc); err != nil {
		fmt.Fprintf(&w, "Cannot read the state: %v\n", err)
	}
	names := make([]string, 0, len(doc.Rules))
	for n := range doc.Rules {
		names = append(names, n)
	}
	sort.Strings(names)
	var firing, pending []string
	for _, n := range names {
		st := doc.Rules[n]
		switch st.State {
		case "firing":
			firing = append(firing, fmt.Sprintf("🔥 %s since %s", n, clock(st.FiringSince)))
		case "pending":
			pending = append(pending, fmt.Sprintf("⏳ %s since %s", n, clock(st.Since)))
		}
	}
	fmt.Fprintf(&w, "Firing: %d, pending: %d.\n", len(firing), len(pending))
	for _, l := range append(firing, pending...) {
		w.WriteString(l + "\n")
	}
	sils, err := control.Silences(b.opts.StateDir, now)
	if err != nil {
		fmt.Fprintf(&w, "Cannot read the silences: %v\n", err)
	}
	for _, s := range sils {
		if s.Active(now) {
			fmt.Fprintf(&w, "🔕 %s\n", s.Describe())
		}
	}
	if r := doc.Reload; r != nil {
		if r.OK {
			fmt.Fprintf(&w, "Last reload: ok at %s\n", clock(r.Time))
		} else {
			fmt.Fprintf(&w, "Last reload: FAILED at %s: %s\n", clock(r.Time), r.Error)
		}
	}
	return strings.TrimSpace(w.String())
}
