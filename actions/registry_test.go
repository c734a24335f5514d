package actions

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/notimon/notimon/actions/notify"
)

// TestRegistry: every kind has a name of its own and a constructor. (The dsl checks blocks
// against these same descriptors; dsl's TestKindsMatchReadme checks them against the
// README.)
func TestRegistry(t *testing.T) {
	seen := map[string]bool{}
	for _, k := range NotifierKinds {
		if k.Name == "" || seen[k.Name] || k.New == nil {
			t.Errorf("kind %q: empty, registered twice or without New", k.Name)
		}
		seen[k.Name] = true
	}
}

func TestNewNotifier(t *testing.T) {
	var out bytes.Buffer
	n, err := NewNotifier("console", "stdout", nil, Env{Stdout: &out})
	if err != nil {
		t.Fatal(err)
	}
	m := notify.Message{Rule: "disk", State: "firing", Severity: "critical", Text: "디스크 95%\nsecond line", Time: time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)}
	if _, err := n.Notify(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	want := "[2026-11-25T03:00:00Z] stdout · rule disk (critical) firing\n    디스크 95%\n    second line\n"
	if out.String() != want {
		t.Errorf("console printed %q, want %q", out.String(), want)
	}
	if _, err := NewNotifier("pager", "p", nil, Env{}); err == nil || !strings.Contains(err.Error(), `unknown notifier kind "pager"`) {
		t.Errorf("unknown kind: err = %v", err)
	}
	if _, err := NewNotifier("telegram", "tg", map[string]any{"token_file": "/nonexistent/token", "chat_id": "1"}, Env{}); err == nil || !strings.Contains(err.Error(), "token_file") {
		t.Errorf("missing token file: err = %v", err)
	}
}

func TestEscaper(t *testing.T) {
	for _, tc := range []struct {
		kind  string
		attrs map[string]any
		want  string
	}{
		{"telegram", nil, "&lt;defunct&gt; &amp; co"},
		{"telegram", map[string]any{"parse_mode": "HTML"}, "&lt;defunct&gt; &amp; co"},
		{"telegram", map[string]any{"parse_mode": "none"}, "<defunct> & co"},
		{"console", nil, "<defunct> & co"},
		{"webhook", nil, "<defunct> & co"},
	} {
		got := "<defunct> & co"
		if esc := Escaper(tc.kind, tc.attrs); esc != nil {
			got = esc(got)
		}
		if got != tc.want {
			t.Errorf("%s %v: %q, want %q", tc.kind, tc.attrs, got, tc.want)
		}
	}
}
