package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/notimon/notimon/actions/notify/telegram/telegramtest"
	"github.com/notimon/notimon/engine/control"
)

const (
	opsChatID   = int64(-1002000000001) // the commands notifier's chat
	otherChatID = int64(-1002000000002) // a chat the bot is also in
	beatChatID  = int64(-1002000000003) // a plain notifier's chat: one message per tick
)

var (
	tgAlice = telegramtest.User{ID: 8001, Username: "alice", FirstName: "Alice"}
	tgBob   = telegramtest.User{ID: 8002, Username: "bob", FirstName: "Bob"}
	tgCarol = telegramtest.User{ID: 8003, FirstName: "Carol"} // no username: listed by id
)

// msgsIn returns the messages delivered to chat whose visible text starts with prefix.
func msgsIn(srv *telegramtest.Server, chat int64, prefix string) []telegramtest.Message {
	var out []telegramtest.Message
	for _, m := range srv.Messages() {
		if m.Chat.ID == chat && strings.HasPrefix(m.Visible, prefix) {
			out = append(out, m)
		}
	}
	return out
}

// msgByID is the delivered message id as it is now.
func msgByID(t *testing.T, srv *telegramtest.Server, id int) telegramtest.Message {
	t.Helper()
	m, ok := srv.Message(id)
	if !ok {
		t.Fatalf("no delivered message %d", id)
	}
	return m
}

// waitMsgs waits until at least n messages of chat start with prefix, and returns them.
func waitMsgs(t *testing.T, srv *telegramtest.Server, chat int64, prefix string, n int) []telegramtest.Message {
	t.Helper()
	srv.WaitFor(t, 15*time.Second, fmt.Sprintf("%d messages %q in chat %d", n, prefix, chat), func() bool {
		return len(msgsIn(srv, chat, prefix)) >= n
	})
	return msgsIn(srv, chat, prefix)
}

// stopsWithinATick checks that the rule whose messages start with prefix sends at most one
// more message (a tick already under way) once the command has acted, and then none over
// the next ticks, which the beat rule counts: one message per tick in beatChatID.
func stopsWithinATick(t *testing.T, srv *telegramtest.Server, prefix string) {
	t.Helper()
	n0 := len(msgsIn(srv, opsChatID, prefix))
	beats := len(msgsIn(srv, beatChatID, "beat"))
	waitMsgs(t, srv, beatChatID, "beat", beats+2)
	n1 := len(msgsIn(srv, opsChatID, prefix))
	if n1 > n0+1 {
		t.Fatalf("%q: %d messages in the 2 ticks after the command acted, want at most 1", prefix, n1-n0)
	}
	// The rule repeats every other tick: 4 ticks would bring 2 messages.
	waitMsgs(t, srv, beatChatID, "beat", beats+6)
	if n2 := len(msgsIn(srv, opsChatID, prefix)); n2 != n1 {
		t.Fatalf("%q: %d more messages over 4 more ticks; the command did not stop them", prefix, n2-n1)
	}
}

func commandRules(srv *telegramtest.Server, interval, repeat string) string {
	return fmt.Sprintf(`settings { interval = %q }
notifier "telegram" "ops" {
  token         = env("NOTIMON_TELEGRAM_TOKEN")
  chat_id       = %d
  api_url       = %q
  commands      = true
  allowed_users = ["@alice", 8003]
}
notifier "telegram" "beats" {
  token   = env("NOTIMON_TELEGRAM_TOKEN")
  chat_id = %d
  api_url = %q
}
rule "hot" {
  when   = "true"
  repeat = %[6]q
  notify "ops" { message = "hot firing" }
}
rule "warm" {
  when   = "true"
  repeat = %[6]q
  notify "ops" { message = "warm firing" }
}
rule "acked" {
  when   = "true"
  repeat = %[6]q
  notify "ops" { message = "acked firing" }
}
rule "beat" {
  when   = "true"
  repeat = "50ms"
  notify "beats" { message = "beat" }
}
`, interval, opsChatID, srv.URL(), beatChatID, srv.URL(), repeat)
}

// TestDaemonTelegramCommands runs the real binary as a daemon with a 200 ms tick against the
// fake Bot API: alerts arrive with buttons; commands and presses from a chat or user that is
// not allowed change nothing; /silence from the allowed chat stops a rule's repeats within
// a tick; the Silence 1h and Ack buttons act, answer and edit the message.
func TestDaemonTelegramCommands(t *testing.T) {
	srv := telegramtest.New(t, testToken, telegramtest.Chat{ID: opsChatID}, telegramtest.Chat{ID: otherChatID}, telegramtest.Chat{ID: beatChatID})
	rules := writeRules(t, map[string]string{"rules.hcl": commandRules(srv, "200ms", "300ms")})
	state := filepath.Join(t.TempDir(), "state")
	d := startDaemon(t, rules, state, srv)
	d.waitLog(0, "notimon started", 10*time.Second)

	// Alerts flow, with their buttons.
	for _, p := range []string{"hot firing", "warm firing", "acked firing"} {
		ms := waitMsgs(t, srv, opsChatID, p, 2)
		if b := ms[0].Buttons; len(b) != 1 || len(b[0]) != 3 || b[0][0].Text != "Ack" || b[0][1].Text != "Silence 1h" || b[0][2].Text != "Silence 24h" {
			t.Fatalf("%q arrived with buttons %+v", p, b)
		}
	}
	srv.WaitPolling(t, 10*time.Second)

	// Strangers: another chat, an unlisted user in the chat, an unlisted user's press.
	hot := msgsIn(srv, opsChatID, "hot firing")
	srv.PostText(otherChatID, tgAlice, "/silence hot 1h")
	srv.PostText(opsChatID, tgBob, "/silence hot 1h")
	srv.PostText(opsChatID, tgBob, "/ack hot")
	q := srv.Press(t, tgBob, hot[0].ID, hot[0].Buttons[0][1].CallbackData)
	srv.WaitConfirmed(t, q.UpdateID, 10*time.Second)
	d.waitLog(0, "ignored a Telegram update from a chat or user not allowed to command (see the notifier's chat_id and allowed_users)", 5*time.Second)
	waitMsgs(t, srv, opsChatID, "hot firing", len(hot)+2) // still firing
	if s, err := control.Silences(state, time.Now()); err != nil || len(s) != 0 {
		t.Fatalf("silences after strangers' commands: %v %v", s, err)
	}
	if a, err := control.Acks(state); err != nil || len(a) != 0 {
		t.Fatalf("acks after strangers' commands: %v %v", a, err)
	}
	if cb := srv.Callbacks(); cb[0].Answered || msgByID(t, srv, hot[0].ID).Edits != 0 {
		t.Fatalf("a stranger's press was answered or edited the message: %+v", cb)
	}
	if r := msgsIn(srv, otherChatID, ""); len(r) != 0 {
		t.Fatalf("replied in another chat: %q", visibleTexts(r))
	}
	if r := msgsIn(srv, opsChatID, "🔕"); len(r) != 0 {
		t.Fatalf("replied to a stranger: %q", visibleTexts(r))
	}

	// /silence from the allowed chat and user.
	srv.PostText(opsChatID, tgAlice, "/silence hot 1h deploy")
	reply := waitMsgs(t, srv, opsChatID, "🔕 Silenced hot for 1h", 1)[0]
	stopsWithinATick(t, srv, "hot firing")
	sils, err := control.Silences(state, time.Now())
	if err != nil || len(sils) != 1 || sils[0].By != "@alice" || sils[0].Comment != "deploy" || !strings.Contains(reply.Visible, sils[0].ID) {
		t.Fatalf("silences %+v %v; reply %q", sils, err, reply.Visible)
	}

	// /unsilence from the allowed chat: one "still firing after the silence" (with its
	// buttons), then hot's repeats resume.
	srv.PostText(opsChatID, tgAlice, "/unsilence "+sils[0].ID)
	waitMsgs(t, srv, opsChatID, "🔔 Silence "+sils[0].ID+" ended", 1)
	catchUp := waitMsgs(t, srv, opsChatID, "still firing after the silence\nhot firing", 1)
	if catchUp[0].Buttons == nil {
		t.Errorf("the catch-up message has no buttons")
	}
	n := len(msgsIn(srv, opsChatID, "hot firing"))
	waitMsgs(t, srv, opsChatID, "hot firing", n+2)
	if c := msgsIn(srv, opsChatID, "still firing after the silence"); len(c) != 1 {
		t.Errorf("%d catch-up messages after /unsilence, want 1: %q", len(c), visibleTexts(c))
	}
	if s, err := control.Silences(state, time.Now()); err != nil || len(s) != 1 || s[0].Status(time.Now()) != "expired" {
		t.Fatalf("silences after /unsilence: %+v %v", s, err)
	}

	// The Silence 1h button, pressed by a user listed by id.
	warm := msgsIn(srv, opsChatID, "warm firing")
	last := warm[len(warm)-1]
	q = srv.Press(t, tgCarol, last.ID, last.Buttons[0][1].CallbackData)
	srv.WaitFor(t, 10*time.Second, "the Silence 1h press answered and the message edited", func() bool {
		cb := srv.Callbacks()
		return cb[len(cb)-1].Answered && msgByID(t, srv, last.ID).Edits == 1
	})
	stopsWithinATick(t, srv, "warm firing")
	if cb := srv.Callbacks(); !strings.HasPrefix(cb[len(cb)-1].Text, "Silenced for 1h") {
		t.Errorf("answer %+v", cb[len(cb)-1])
	}
	if e := msgByID(t, srv, last.ID); !strings.HasPrefix(e.Visible, "warm firing\n\n🔕 Silenced for 1h by Carol (id 8003) at ") || e.Buttons == nil {
		t.Errorf("edited %q, buttons %v", e.Visible, e.Buttons)
	}

	// The Ack button.
	acked := msgsIn(srv, opsChatID, "acked firing")
	last = acked[len(acked)-1]
	srv.Press(t, tgAlice, last.ID, last.Buttons[0][0].CallbackData)
	srv.WaitFor(t, 10*time.Second, "the Ack press answered and the message edited", func() bool {
		cb := srv.Callbacks()
		return cb[len(cb)-1].Answered && msgByID(t, srv, last.ID).Edits == 1
	})
	stopsWithinATick(t, srv, "acked firing")
	if e := msgByID(t, srv, last.ID); !strings.Contains(e.Visible, "\n\n✅ Acked by @alice at ") {
		t.Errorf("edited %q", e.Visible)
	}
	if a, err := control.Acks(state); err != nil || a["acked"].By != "@alice" {
		t.Errorf("acks %+v %v", a, err)
	}

	d.stop(10 * time.Second)
	if strings.Contains(d.log(), testToken) || strings.Contains(d.log(), strings.SplitN(testToken, ":", 2)[1]) {
		t.Error("the token is in the daemon's log")
	}
	entries, _ := os.ReadDir(state)
	for _, e := range entries {
		b, _ := os.ReadFile(filepath.Join(state, e.Name()))
		if strings.Contains(string(b), testToken) {
			t.Errorf("the token is in %s", e.Name())
		}
	}
}

// TestCronTelegramCommands: commands and button presses queued between two `run --once`
// runs are applied by the next run, before its tick; a stranger's are not.
func TestCronTelegramCommands(t *testing.T) {
	srv := telegramtest.New(t, testToken, telegramtest.Chat{ID: opsChatID}, telegramtest.Chat{ID: otherChatID}, telegramtest.Chat{ID: beatChatID})
	t.Setenv("NOTIMON_TELEGRAM_TOKEN", testToken)
	rules := writeRules(t, map[string]string{"rules.hcl": commandRules(srv, "1m", "1m")})
	state := t.TempDir()
	now := fakeClock(t, time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC))
	run := func() {
		t.Helper()
		if code, _, errOut := notimon(t, "run", "--once", "--state-dir", state, rules); code != exitOK {
			t.Fatalf("run at %s: exit %d\n%s", now.Format("15:04"), code, errOut)
		}
		*now = now.Add(2 * time.Minute)
	}
	run()
	hot, warm, acked := msgsIn(srv, opsChatID, "hot firing"), msgsIn(srv, opsChatID, "warm firing"), msgsIn(srv, opsChatID, "acked firing")
	if len(hot) != 1 || len(warm) != 1 || len(acked) != 1 || hot[0].Buttons == nil {
		t.Fatalf("first run delivered %q", visibleTexts(srv.Messages()))
	}

	// Between the runs: a command and two presses from the allowed chat, and strangers'.
	srv.PostText(opsChatID, tgAlice, "/silence hot 1h")
	srv.Press(t, tgAlice, warm[0].ID, warm[0].Buttons[0][2].CallbackData) // Silence 24h
	srv.Press(t, tgCarol, acked[0].ID, acked[0].Buttons[0][0].CallbackData)
	srv.PostText(otherChatID, tgAlice, "/silence beat 1h")
	srv.PostText(opsChatID, tgBob, "/ack beat")
	run()
	if n := len(msgsIn(srv, opsChatID, "hot firing")) + len(msgsIn(srv, opsChatID, "warm firing")) + len(msgsIn(srv, opsChatID, "acked firing")); n != 3 {
		t.Errorf("the second run repeated silenced or acked rules: %q", visibleTexts(srv.Messages()))
	}
	if len(msgsIn(srv, beatChatID, "beat")) != 2 {
		t.Errorf("the strangers' commands held back the beat rule: %q", visibleTexts(msgsIn(srv, beatChatID, "")))
	}
	sils, err := control.Silences(state, *now)
	if err != nil || len(sils) != 2 {
		t.Fatalf("silences %+v %v, want 2", sils, err)
	}
	if sils[0].Matchers[0].Rule != "hot" || !sils[0].EndsAt.Equal(time.Date(2026, 12, 1, 4, 2, 0, 0, time.UTC)) {
		t.Errorf("the /silence of the queue: %+v (the run's clock was 03:02)", sils[0])
	}
	if sils[1].Matchers[0].Rule != "warm" || sils[1].EndsAt.Sub(sils[1].StartsAt) != 24*time.Hour {
		t.Errorf("the Silence 24h press: %+v", sils[1])
	}
	if a, err := control.Acks(state); err != nil || len(a) != 1 || a["acked"].By != "Carol (id 8003)" {
		t.Errorf("acks %+v %v", a, err)
	}
	if r := msgsIn(srv, opsChatID, "🔕 Silenced hot for 1h"); len(r) != 1 {
		t.Errorf("replies %q", visibleTexts(srv.Messages()))
	}
	if r := msgsIn(srv, otherChatID, ""); len(r) != 0 {
		t.Errorf("replied to a stranger: %q", visibleTexts(r))
	}
	for _, m := range []telegramtest.Message{warm[0], acked[0]} {
		if e := msgByID(t, srv, m.ID); e.Edits != 1 {
			t.Errorf("message %q not edited after its press", e.Visible)
		}
	}
	if srv.Pending() != 0 {
		t.Errorf("%d updates left unconfirmed", srv.Pending())
	}

	// A third run: the queue is empty, nothing is applied again, the rules stay quiet.
	run()
	if s, _ := control.Silences(state, *now); len(s) != 2 {
		t.Errorf("%d silences after a run with nothing queued, want 2", len(s))
	}
	if n := len(msgsIn(srv, opsChatID, "hot firing")); n != 1 {
		t.Errorf("hot repeated during its silence: %d messages", n)
	}
}
