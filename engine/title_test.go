package engine

import (
	"context"
	"sync"
	"testing"

	"github.com/notimon/notimon/actions/notify"
	"github.com/notimon/notimon/probes"
	"github.com/notimon/notimon/probes/cpu"
	"github.com/notimon/notimon/probes/host"
)

// A notifier kind with a title template (ntfy's title, email's subject) gets it rendered
// into Message.Title: its placeholders read the same values as the message, unescaped,
// and a line break a value brings ("x\r\nBcc: …") becomes a space, so it cannot add a
// header. A block that sets no title gets the kind's default.
func TestTitleTemplateIsRenderedOnOneLine(t *testing.T) {
	cfg := load(t, `
notifier "ntfy" "phone" {
  url   = "http://127.0.0.1:9/alerts"
  title = "{{ rule.labels.who }} <{{ cpu.avg3 }}%> {{ rule.state }}"
}
notifier "email" "mail" {
  smtp    = "127.0.0.1:25"
  tls     = "none"
  from    = "notimon@example.org"
  to      = ["ops@example.org"]
  subject = "{{ rule.labels.who }}: {{ rule.name }}"
}
notifier "ntfy" "plain" {
  url = "http://127.0.0.1:9/alerts"
}
rule "overload" {
  when   = "cpu.avg3 > 50"
  labels = { who = "x\r\nBcc: evil@example.org" }
  notify "phone" { message = "cpu {{ cpu.avg3 }}" }
  notify "plain" { message = "cpu {{ cpu.avg3 }}" }
  notify "mail" { message = "cpu {{ cpu.avg3 }}" }
}
`)
	var mu sync.Mutex
	var got []notify.Message
	rec := notify.NotifierFunc(func(_ context.Context, m notify.Message) (bool, error) {
		mu.Lock()
		got = append(got, m)
		mu.Unlock()
		return false, nil
	})
	var asked []probes.Ref
	snap := probes.Snapshot{Host: host.Values{Name: "web-01"}, CPU: cpu.Values{Avg3: 93.456}}
	e := New(cfg, Options{Sampler: recorded(snap, &asked), Notify: rec})
	e.Tick(context.Background(), t0)
	if err := e.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	titles := map[string]string{}
	for _, m := range got {
		titles[m.Notifier] = m.Title
	}
	want := map[string]string{
		"phone": "x Bcc: evil@example.org <93.46%> firing",
		"plain": "[web-01] overload firing",
		"mail":  "x Bcc: evil@example.org: overload",
	}
	if len(titles) != 3 || titles["phone"] != want["phone"] || titles["plain"] != want["plain"] || titles["mail"] != want["mail"] {
		t.Errorf("titles %q, want %q", titles, want)
	}
}
