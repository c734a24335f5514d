package telegram_test

import (
	"context"
	"strings"
	"testing"

	"github.com/notimon/notimon/actions/notify/telegram"
	"github.com/notimon/notimon/actions/notify/telegram/telegramtest"
)

func TestButtonsOnFiringMessagesWithCommands(t *testing.T) {
	long := strings.Repeat("a very long rule name ", 20) // 440 bytes
	cases := []struct {
		name     string
		commands bool
		state    string
		rule     string
		text     string
		buttons  bool
	}{
		{"firing with commands", true, "firing", "overload", "cpu high", true},
		{"a long rule name", true, "firing", long, "cpu high", true},
		{"resolved", true, "resolved", "overload", "cpu ok", false},
		{"sent by hand", true, "", "", "hello", false},
		{"commands off", false, "firing", "overload", "cpu high", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := telegramtest.New(t, token)
			n := newNotifier(t, srv, func(c *telegram.Config) { c.Commands = tc.commands })
			m := msg(tc.text)
			m.State, m.Rule = tc.state, tc.rule
			if _, err := n.Notify(context.Background(), m); err != nil {
				t.Fatal(err)
			}
			got := srv.Messages()[0].Buttons
			if !tc.buttons {
				if got != nil {
					t.Fatalf("buttons %+v, want none", got)
				}
				return
			}
			if len(got) != 1 || len(got[0]) != 3 || got[0][0].Text != "Ack" || got[0][1].Text != "Silence 1h" || got[0][2].Text != "Silence 24h" {
				t.Fatalf("buttons %+v", got)
			}
			for i, action := range []string{telegram.ButtonAck, telegram.ButtonSilence1h, telegram.ButtonSilence1d} {
				data := got[0][i].CallbackData
				a, ref, ok := telegram.ParseButton(data)
				if !ok || a != action || ref != telegram.RuleRef(tc.rule) || len(data) > telegramtest.MaxCallbackData {
					t.Errorf("button %d data %q (%d bytes): parsed %q %q %v", i, data, len(data), a, ref, ok)
				}
			}
		})
	}
}

func TestButtonsUnderTheLastPart(t *testing.T) {
	srv := telegramtest.New(t, token)
	n := newNotifier(t, srv, func(c *telegram.Config) { c.Commands = true })
	m := msg(strings.Repeat("disk full on /var\n", 600)) // about 10,800 characters: 3 parts
	m.State = "firing"
	if _, err := n.Notify(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	got := srv.Messages()
	if len(got) < 2 {
		t.Fatalf("%d parts, want several", len(got))
	}
	for i, p := range got {
		if last := i == len(got)-1; (p.Buttons != nil) != last {
			t.Errorf("part %d of %d: buttons %+v", i+1, len(got), p.Buttons)
		}
	}
}

func TestButtonsSurviveThePlainTextFallback(t *testing.T) {
	srv := telegramtest.New(t, token)
	n := newNotifier(t, srv, func(c *telegram.Config) { c.Commands = true })
	m := msg("<b>unclosed cpu 99%")
	m.State = "firing"
	if _, err := n.Notify(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	got := srv.Messages()
	if len(got) != 1 || got[0].ParseMode != "" || got[0].Buttons == nil {
		t.Fatalf("delivered %+v", got)
	}
}

func TestParseButtonRefusesForeignData(t *testing.T) {
	for _, data := range []string{"", "ack", "ack:", "del:" + telegram.RuleRef("x"), "ack:short", "ack:" + telegram.RuleRef("x") + "z"} {
		if a, ref, ok := telegram.ParseButton(data); ok {
			t.Errorf("ParseButton(%q) = %q %q, want refused", data, a, ref)
		}
	}
}
