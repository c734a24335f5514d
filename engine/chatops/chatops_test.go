package chatops_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/notimon/notimon/actions/notify"
	"github.com/notimon/notimon/actions/notify/telegram"
	"github.com/notimon/notimon/actions/notify/telegram/telegramtest"
	"github.com/notimon/notimon/dsl"
	"github.com/notimon/notimon/engine/chatops"
	"github.com/notimon/notimon/engine/control"
	"github.com/notimon/notimon/engine/store"
	"github.com/notimon/notimon/internal/syncbuf"
)

const token = "424242:AAF-chatops-test-token_x"

var (
	t0    = time.Date(2026, 12, 1, 17, 30, 0, 0, time.UTC)
	alice = telegramtest.User{ID: 7001, Username: "alice", FirstName: "Alice"}
	bob   = telegramtest.User{ID: 7002, Username: "bob_ops", FirstName: "Bob"}
	carol = telegramtest.User{ID: 7003, FirstName: "Carol"} // no username
)

const (
	opsChat   = int64(-1001000000001)
	otherChat = int64(-1001000000002)
	longRule  = "disk [/var/lib/postgresql] is *almost* full on the primary database server of the eu-west fleet"
)

// fixture is a state directory, a fake Bot API, rules with a commands notifier, and a
// Service over them, with its log.
type fixture struct {
	t   *testing.T
	srv *telegramtest.Server
	dir string
	cfg *dsl.Config
	svc *chatops.Service
	log *syncbuf.Buffer
	now time.Time
}

func newFixture(t *testing.T, notifierAttrs string) *fixture {
	t.Helper()
	f := &fixture{t: t, dir: t.TempDir(), log: &syncbuf.Buffer{}, now: t0}
	f.srv = telegramtest.New(t, token, telegramtest.Chat{ID: opsChat}, telegramtest.Chat{ID: otherChat})
	src := fmt.Sprintf(`
notifier "telegram" "ops" {
  token    = %q
  chat_id  = %d
  api_url  = %q
  commands = true
  %s
}
rule "cpu" {
  when = "cpu.avg3 > 90"
  notify "ops" { message = "cpu {{ cpu.avg3 }}" }
}
rule "disk x" {
  when = "cpu.avg3 > 95"
  notify "ops" { message = "disk" }
}
rule %q {
  when = "cpu.avg3 > 99"
  notify "ops" { message = "long" }
}
`, token, opsChat, f.srv.URL(), notifierAttrs, longRule)
	cfg, diags := dsl.LoadSource(map[string][]byte{"rules.hcl": []byte(src)}, dsl.Options{})
	if diags.HasErrors() {
		var b bytes.Buffer
		dsl.WriteDiagnostics(&b, cfg.Files, diags)
		t.Fatalf("rules:\n%s", b.String())
	}
	f.cfg = cfg
	f.svc = chatops.New(chatops.Options{
		StateDir: f.dir,
		Logger:   slog.New(slog.NewTextHandler(f.log, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:      func() time.Time { return f.now },
	})
	// The rules' state as a run leaves it: cpu and the long one firing, "disk x" inactive.
	st, err := store.Open(f.dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	doc := map[string]any{"version": 1, "rules": map[string]any{
		"cpu": map[string]any{"state": "firing", "since": t0.Add(-time.Hour), "firing_since": t0.Add(-time.Hour),
			"values": map[string]any{"cpu.avg3": 93.257}, "values_at": t0},
		longRule: map[string]any{"state": "firing", "since": t0.Add(-time.Hour), "firing_since": t0.Add(-time.Hour)},
		"disk x": map[string]any{"state": "inactive", "since": t0.Add(-time.Hour)},
	}, "last_reload": map[string]any{"time": t0.Add(-time.Minute), "ok": false, "error": "rules.hcl:3:9: error: Unknown probe field\nmore\nlines\nof\ndiagnostics"}}
	if err := st.Save(doc); err != nil {
		t.Fatal(err)
	}
	st.Close()
	return f
}

func (f *fixture) drain() {
	f.t.Helper()
	if errs := f.svc.Drain(context.Background(), f.cfg); len(errs) > 0 {
		f.t.Fatalf("Drain: %v", errs)
	}
}

// replies returns the texts of the messages the bot sent to chat.
func (f *fixture) replies(chat int64) []string {
	var out []string
	for _, m := range f.srv.Messages() {
		if m.Chat.ID == chat {
			out = append(out, m.Visible)
		}
	}
	return out
}

func (f *fixture) silences() []control.Silence {
	f.t.Helper()
	s, err := control.Silences(f.dir, f.now)
	if err != nil {
		f.t.Fatal(err)
	}
	return s
}

func (f *fixture) acks() map[string]control.Ack {
	f.t.Helper()
	a, err := control.Acks(f.dir)
	if err != nil {
		f.t.Fatal(err)
	}
	return a
}

// alert sends a firing message of rule through the notifier, as the engine would.
func (f *fixture) alert(rule string) telegramtest.Message {
	f.t.Helper()
	tc, err := telegram.FromAttrs(f.cfg.Notifier("ops").Attrs)
	if err != nil {
		f.t.Fatal(err)
	}
	n, err := telegram.New(tc)
	if err != nil {
		f.t.Fatal(err)
	}
	if _, err := n.Notify(context.Background(), notify.Message{Notifier: "ops", Rule: rule, State: "firing", Text: "<b>" + telegram.EscapeHTML(rule) + "</b> is firing"}); err != nil {
		f.t.Fatal(err)
	}
	msgs := f.srv.Messages()
	return msgs[len(msgs)-1]
}

func TestCommandsFromTheNotifiersChat(t *testing.T) {
	f := newFixture(t, "")
	f.srv.PostText(opsChat, alice, "/silence cpu* 2h deploying the new kernel")
	f.drain()
	sils := f.silences()
	if len(sils) != 1 {
		t.Fatalf("silences %+v, want 1", sils)
	}
	s := sils[0]
	if s.Matchers[0].Rule != "cpu*" || !s.EndsAt.Equal(t0.Add(2*time.Hour)) || s.By != "@alice" || s.Comment != "deploying the new kernel" {
		t.Errorf("silence %+v", s)
	}
	r := f.replies(opsChat)
	if len(r) != 1 || !strings.Contains(r[0], "Silenced cpu* for 2h, until 2026-12-01 19:30 UTC") || !strings.Contains(r[0], "/unsilence "+s.ID) {
		t.Fatalf("replies %q", r)
	}

	f.srv.PostText(opsChat, bob, "/unsilence "+s.ID)
	f.srv.PostText(opsChat, alice, "/ack cpu looking into it")
	f.srv.PostText(opsChat, carol, "/ack disk x")   // acks "disk", with the comment "x"
	f.srv.PostText(opsChat, carol, `/ack "disk x"`) // not firing
	f.srv.PostText(opsChat, alice, "/status@"+telegramtest.BotUsername)
	f.srv.PostText(opsChat, alice, "/status@some_other_bot")
	f.srv.PostText(opsChat, alice, "just chatting")
	f.srv.PostText(opsChat, alice, "/HELP")
	f.srv.PostText(opsChat, alice, "/silence cpu soon")
	f.drain()
	if s := f.silences()[0]; s.Active(f.now) || !s.ExpiredAt.Equal(t0) {
		t.Errorf("after /unsilence: %+v", s)
	}
	acks := f.acks()
	if a, ok := acks["cpu"]; !ok || a.By != "@alice" || a.Comment != "looking into it" || !a.At.Equal(t0) {
		t.Errorf("acks %+v", acks)
	}
	if _, ok := acks["disk x"]; ok {
		t.Error("a rule that is not firing was acked")
	}
	r = f.replies(opsChat)[1:]
	want := []string{
		"Silence " + s.ID + " ended: rule=cpu*",
		"Acked cpu",
		"Not acked: ack disk: no rule \"disk\"",
		"Not acked: ack disk x: the rule is not firing",
		statusHead() + "2 firing, 0 pending of 3 rules; 0 silenced, 1 acked.\n\n🔥 cpu (warning) firing since 2026-12-01 16:30 UTC (1h0m): cpu.avg3=93.26\n   ✅ acked by @alice at 2026-12-01 17:30 UTC\n",
		"notimon commands:",
		"Not silenced: \"soon\" is not a duration",
	}
	if len(r) != len(want) {
		t.Fatalf("replies:\n%s\nwant %d", strings.Join(r, "\n---\n"), len(want))
	}
	for i, w := range want {
		if !strings.Contains(r[i], w) {
			t.Errorf("reply %d %q, want it to contain %q", i+1, r[i], w)
		}
	}
	if !strings.Contains(r[4], "🔥 "+longRule+" (warning) firing") ||
		!strings.Contains(r[4], "Last reload: FAILED at 2026-12-01 17:29 UTC; the previous rules keep running:\nrules.hcl:3:9: error: Unknown probe field\nmore\nlines\nof\n…") {
		t.Errorf("/status %q", r[4])
	}
	if f.srv.Pending() != 0 {
		t.Errorf("%d updates left unconfirmed after a drain", f.srv.Pending())
	}
}

func TestOtherChatsAndUsersChangeNothing(t *testing.T) {
	cases := []struct {
		name    string
		attrs   string
		chat    int64
		user    telegramtest.User
		allowed bool
	}{
		{"anyone in the notifier's chat", "", opsChat, carol, true},
		{"another chat", "", otherChat, alice, false},
		{"a private chat", "", alice.ID, alice, false},
		{"a listed user in the chat", `allowed_users = ["@alice", 7003]`, opsChat, alice, true},
		{"a listed id in the chat", `allowed_users = ["@alice", 7003]`, opsChat, carol, true},
		{"an unlisted user in the chat", `allowed_users = ["@alice", 7003]`, opsChat, bob, false},
		{"a listed user in a private chat", `allowed_users = ["@ALICE"]`, alice.ID, alice, true},
		{"a listed user in another group", `allowed_users = ["@alice"]`, otherChat, alice, false},
		{"a listed user's name in someone else's private chat", `allowed_users = ["@alice"]`, bob.ID, telegramtest.User{ID: bob.ID, Username: "alice_"}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tc.attrs)
			f.srv.PostText(tc.chat, tc.user, "/silence cpu 1h")
			f.srv.PostText(tc.chat, tc.user, "/ack cpu")
			f.drain()
			changed := len(f.silences()) == 1 && len(f.acks()) == 1
			replied := len(f.replies(tc.chat)) == 2
			if tc.allowed != changed || tc.allowed != replied {
				t.Fatalf("allowed %v: silences %v, acks %v, replies %q", tc.allowed, f.silences(), f.acks(), f.replies(tc.chat))
			}
			if !tc.allowed {
				if len(f.srv.Messages()) != 0 {
					t.Errorf("replied to a stranger: %+v", f.srv.Messages())
				}
				if !strings.Contains(f.log.String(), "ignored a Telegram update from a chat or user not allowed") || !strings.Contains(f.log.String(), fmt.Sprint(tc.user.ID)) {
					t.Errorf("not logged:\n%s", f.log.String())
				}
			}
		})
	}
}

func TestButtons(t *testing.T) {
	f := newFixture(t, `allowed_users = ["@alice", "@bob_ops"]`)
	m := f.alert(longRule)
	if len(m.Buttons) != 1 || len(m.Buttons[0]) != 3 {
		t.Fatalf("alert buttons %+v", m.Buttons)
	}
	ack, s1h := m.Buttons[0][0].CallbackData, m.Buttons[0][1].CallbackData

	// A stranger's press does nothing: no answer, no edit, no state.
	q0 := f.srv.Press(t, carol, m.ID, s1h)
	f.drain()
	if len(f.silences()) != 0 || f.srv.Callbacks()[0].Answered || f.srv.Messages()[0].Edits != 0 {
		t.Fatalf("a stranger's press acted: %+v %+v", f.silences(), f.srv.Callbacks())
	}

	q1 := f.srv.Press(t, bob, m.ID, s1h)
	f.now = t0.Add(time.Minute)
	f.drain()
	sils := f.silences()
	if len(sils) != 1 || !sils[0].EndsAt.Equal(f.now.Add(time.Hour)) || sils[0].By != "@bob_ops" {
		t.Fatalf("silences %+v", sils)
	}
	if !sils[0].Matches(longRule, nil) || sils[0].Matches("disk x", nil) || sils[0].Matches("disk [/var/lib/postgresql] is *almost* full", nil) {
		t.Errorf("the button's silence %q matches other rules than %q", sils[0].Matchers[0].Rule, longRule)
	}
	cbs := f.srv.Callbacks()
	if cbs[1].ID != q1.ID || !cbs[1].Answered || !strings.Contains(cbs[1].Text, "Silenced for 1h") || cbs[1].ShowAlert {
		t.Errorf("answer %+v", cbs[1])
	}
	edited := f.srv.Messages()[0]
	if edited.Edits != 1 || !strings.HasPrefix(edited.Visible, longRule+" is firing\n\n🔕 Silenced for 1h by @bob_ops at 2026-12-01 17:31 UTC") || edited.Buttons == nil {
		t.Errorf("edited message %q, %d edits, buttons %v", edited.Visible, edited.Edits, edited.Buttons)
	}

	f.srv.Press(t, alice, m.ID, ack)
	f.drain()
	if a, ok := f.acks()[longRule]; !ok || a.By != "@alice" {
		t.Fatalf("acks %+v", f.acks())
	}
	edited = f.srv.Messages()[0]
	if edited.Edits != 2 || !strings.HasSuffix(edited.Visible, "✅ Acked by @alice at 2026-12-01 17:31 UTC") || !strings.Contains(edited.Visible, "Silenced for 1h") {
		t.Errorf("edited message %q", edited.Visible)
	}
	_ = q0

	// A button of a rule that is not firing is answered with the reason, and edits nothing.
	m2 := f.alert("disk x")
	f.srv.Press(t, alice, m2.ID, m2.Buttons[0][0].CallbackData)
	f.drain()
	last := f.srv.Callbacks()[len(f.srv.Callbacks())-1]
	if !last.Answered || !last.ShowAlert || !strings.Contains(last.Text, "Not acked") || f.srv.Messages()[1].Edits != 0 {
		t.Errorf("ack of a rule that is not firing: %+v", last)
	}
}

func TestAnUpdateIsAppliedOnceAcrossACrash(t *testing.T) {
	f := newFixture(t, "")
	id := f.srv.PostText(opsChat, alice, "/silence cpu 1h")
	// The run dies after applying the command, before it confirms it to Telegram: the
	// getUpdates that would have confirmed it is cut.
	f.srv.FailAt(3, telegramtest.Drop()) // getUpdates, the reply, then this one
	if errs := f.svc.Drain(context.Background(), f.cfg); len(errs) != 1 {
		t.Fatalf("Drain errors %v, want the cut connection", errs)
	}
	if f.srv.Confirmed() >= id || len(f.silences()) != 1 {
		t.Fatalf("confirmed %d (update %d), silences %v", f.srv.Confirmed(), id, f.silences())
	}
	// The next run (a new process) does not apply it again.
	again := chatops.New(chatops.Options{StateDir: f.dir, Now: func() time.Time { return t0 }})
	if errs := again.Drain(context.Background(), f.cfg); len(errs) > 0 {
		t.Fatal(errs)
	}
	if n := len(f.silences()); n != 1 {
		t.Fatalf("%d silences after the replay, want 1", n)
	}
	if f.srv.Confirmed() != id {
		t.Errorf("confirmed %d, want %d", f.srv.Confirmed(), id)
	}
	data, err := os.ReadFile(filepath.Join(f.dir, "telegram-"+mustGlob(t, f.dir)))
	if err != nil || !strings.Contains(string(data), fmt.Sprint(id)) {
		t.Errorf("offset file %s %v", data, err)
	}
	if strings.Contains(string(data), token) {
		t.Error("the token is in the state directory")
	}
}

// mustGlob returns the name of the offset file after "telegram-".
func mustGlob(t *testing.T, dir string) string {
	m, _ := filepath.Glob(filepath.Join(dir, "telegram-*.json"))
	if len(m) != 1 {
		t.Fatalf("offset files %v", m)
	}
	return strings.TrimPrefix(filepath.Base(m[0]), "telegram-")
}

func TestDaemonLoopFollowsTheRules(t *testing.T) {
	f := newFixture(t, "")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f.svc.Update(ctx, f.cfg)
	defer f.svc.Stop()
	f.srv.WaitPolling(t, 10*time.Second)
	id := f.srv.PostText(opsChat, alice, "/silence cpu 1h")
	f.srv.WaitConfirmed(t, id, 10*time.Second)
	if len(f.silences()) != 1 || len(f.replies(opsChat)) != 1 {
		t.Fatalf("silences %v replies %v", f.silences(), f.replies(opsChat))
	}
	// Rules without a commands notifier: the loop stops, and nothing reads the updates.
	cfg, diags := dsl.LoadSource(map[string][]byte{"r.hcl": []byte(`notifier "console" "c" {}`)}, dsl.Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	f.svc.Update(ctx, cfg)
	reqs := len(f.srv.Requests())
	f.srv.PostText(opsChat, alice, "/silence cpu 2h")
	if n := len(f.srv.Requests()); n != reqs || f.srv.Pending() != 1 {
		t.Errorf("requests after the loop stopped: %d → %d, pending %d", reqs, n, f.srv.Pending())
	}
	for _, r := range f.srv.Requests() {
		if strings.Contains(fmt.Sprint(r), token) {
			t.Errorf("the token is in a recorded request: %+v", r)
		}
	}
	if strings.Contains(f.log.String(), token) {
		t.Error("the token is in the log")
	}
}

func TestStatusShowsSilences(t *testing.T) {
	f := newFixture(t, "")
	f.srv.PostText(opsChat, alice, `/silence cpu 90m "kernel update"`)
	f.srv.PostText(opsChat, alice, "/status")
	f.drain()
	r := f.replies(opsChat)
	if len(r) != 2 {
		t.Fatalf("replies %q", r)
	}
	id := f.silences()[0].ID
	for _, want := range []string{
		statusHead() + "2 firing, 0 pending of 3 rules; 1 silenced, 0 acked.",
		"🔥 cpu (warning) firing since 2026-12-01 16:30 UTC (1h0m): cpu.avg3=93.26\n   🔕 silenced until 2026-12-01 19:00 UTC by @alice (silence " + id + ")",
		"Silences:\n🔕 " + id + " rule=cpu, active until 2026-12-01 19:00 UTC, by @alice: \"kernel update\"",
	} {
		if !strings.Contains(r[1], want) {
			t.Errorf("/status:\n%s\nwant it to contain:\n%s", r[1], want)
		}
	}
	if !strings.HasPrefix(r[0], "🔕 Silenced cpu for 1h30m, until 2026-12-01 19:00 UTC") {
		t.Errorf("/silence reply %q", r[0])
	}
}

func TestDrainWhenTelegramIsDown(t *testing.T) {
	f := newFixture(t, "")
	f.srv.PostText(opsChat, alice, "/silence cpu 1h")
	f.srv.Down()
	start := time.Now()
	errs := f.svc.Drain(context.Background(), f.cfg)
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "getUpdates") || strings.Contains(errs[0].Error(), token) {
		t.Fatalf("Drain with Telegram down: %v", errs)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("a refused connection took %v", d)
	}
	if len(f.silences()) != 0 {
		t.Fatal("applied a command it could not read")
	}
	f.srv.Up()
	f.drain()
	if len(f.silences()) != 1 {
		t.Fatal("the command queued while Telegram was down was not applied once it was back")
	}
}

// statusHead is how /status starts on this machine: status.Read names the host from
// settings.host or, as the engine does, os.Hostname.
func statusHead() string {
	if h, err := os.Hostname(); err == nil && h != "" {
		return "notimon on " + h + ": "
	}
	return "notimon: "
}
