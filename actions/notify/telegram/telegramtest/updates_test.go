package telegramtest_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/notimon/notimon/actions/notify/telegram/telegramtest"
)

var (
	alice = telegramtest.User{ID: 5001, Username: "alice", FirstName: "Alice"}
	bob   = telegramtest.User{ID: 5002, Username: "bob"}
)

// getUpdates calls getUpdates with params (JSON body) and decodes the updates.
func getUpdates(t *testing.T, s *telegramtest.Server, params map[string]string) (int, apiResponse, []models.Update) {
	t.Helper()
	status, r := call(t, s, encodings[2], s.Token(), "getUpdates", params)
	var ups []models.Update
	if status == http.StatusOK {
		if err := json.Unmarshal(r.Result, &ups); err != nil {
			t.Fatalf("getUpdates result %s: %v", r.Result, err)
		}
	}
	return status, r, ups
}

func ids(ups []models.Update) []int64 {
	out := make([]int64, len(ups))
	for i, u := range ups {
		out[i] = u.ID
	}
	return out
}

func TestGetUpdatesOffsetLimitConfirm(t *testing.T) {
	s := telegramtest.New(t, token, chats...)
	u1 := s.PostText(groupID, alice, "/status@notimon_test_bot now")
	u2 := s.PostText(telegramtest.DefaultChatID, bob, "hello")
	u3 := s.PostText(groupID, bob, "/help")
	if u2 != u1+1 || u3 != u2+1 || u1 < 1000 {
		t.Fatalf("update ids %d %d %d: want large and increasing", u1, u2, u3)
	}

	_, _, ups := getUpdates(t, s, nil)
	if got := ids(ups); len(got) != 3 || got[0] != u1 || got[2] != u3 {
		t.Fatalf("getUpdates without offset = %v, want [%d %d %d]", got, u1, u2, u3)
	}
	m := ups[0].Message
	if m == nil || m.Text != "/status@notimon_test_bot now" || m.Chat.ID != groupID || m.Chat.Type != "group" ||
		m.From == nil || m.From.ID != alice.ID || m.From.Username != "alice" || m.From.FirstName != "Alice" || m.Date == 0 {
		t.Fatalf("message %+v", m)
	}
	if len(m.Entities) != 1 || m.Entities[0].Type != models.MessageEntityTypeBotCommand || m.Entities[0].Offset != 0 || m.Entities[0].Length != len("/status@notimon_test_bot") {
		t.Errorf("entities %+v, want one bot_command over the command", m.Entities)
	}
	if len(ups[1].Message.Entities) != 0 {
		t.Errorf("plain text has entities %+v", ups[1].Message.Entities)
	}
	if s.Confirmed() != 0 || s.Pending() != 3 {
		t.Fatalf("confirmed %d, pending %d before any offset", s.Confirmed(), s.Pending())
	}

	// An offset confirms what is before it: those are never delivered again.
	_, _, ups = getUpdates(t, s, map[string]string{"offset": strconv.FormatInt(u2, 10), "limit": "1"})
	if got := ids(ups); len(got) != 1 || got[0] != u2 {
		t.Fatalf("offset %d limit 1 = %v", u2, got)
	}
	if s.Confirmed() != u1 || s.Pending() != 2 {
		t.Fatalf("confirmed %d, pending %d; want %d, 2", s.Confirmed(), s.Pending(), u1)
	}
	_, _, ups = getUpdates(t, s, nil)
	if got := ids(ups); len(got) != 2 || got[0] != u2 {
		t.Fatalf("without offset after confirming %d: %v", u1, got)
	}
	// A negative offset keeps the last -offset updates.
	_, _, ups = getUpdates(t, s, map[string]string{"offset": "-1"})
	if got := ids(ups); len(got) != 1 || got[0] != u3 || s.Confirmed() != u2 {
		t.Fatalf("offset -1 = %v, confirmed %d", got, s.Confirmed())
	}
	_, _, ups = getUpdates(t, s, map[string]string{"offset": strconv.FormatInt(u3+1, 10)})
	if len(ups) != 0 || s.Confirmed() != u3 || s.Pending() != 0 {
		t.Fatalf("after the last: %v, confirmed %d, pending %d", ids(ups), s.Confirmed(), s.Pending())
	}
	if status, r, _ := getUpdates(t, s, map[string]string{"offset": "x"}); status != 400 || r.Description != "Bad Request: invalid offset specified" {
		t.Errorf("bad offset: %d %q", status, r.Description)
	}
}

func TestLongPoll(t *testing.T) {
	s := telegramtest.New(t, token)
	type result struct {
		ups []models.Update
		err error
	}
	done := make(chan result, 1)
	go func() {
		resp, err := http.Post(s.URL()+"/bot"+token+"/getUpdates?timeout=30", "", nil)
		if err != nil {
			done <- result{err: err}
			return
		}
		defer resp.Body.Close()
		var r apiResponse
		json.NewDecoder(resp.Body).Decode(&r)
		var ups []models.Update
		json.Unmarshal(r.Result, &ups)
		done <- result{ups: ups}
	}()
	s.WaitPolling(t, 10*time.Second)
	select {
	case r := <-done:
		t.Fatalf("the long poll answered before any update: %+v", r)
	default:
	}
	start := time.Now()
	id := s.PostText(telegramtest.DefaultChatID, alice, "/help")
	r := <-done
	if r.err != nil || len(r.ups) != 1 || r.ups[0].ID != id {
		t.Fatalf("long poll = %+v, want update %d", r, id)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("the long poll answered %v after the update", d)
	}

	// With nothing to deliver, a long poll answers [] when its timeout passes.
	start = time.Now()
	status, _, ups := getUpdates(t, s, map[string]string{"offset": strconv.FormatInt(id+1, 10), "timeout": "1"})
	if status != 200 || len(ups) != 0 || time.Since(start) < time.Second {
		t.Errorf("timeout 1 with nothing queued: %d %v after %v", status, ups, time.Since(start))
	}
}

func TestLongPollConflict(t *testing.T) {
	s := telegramtest.New(t, token)
	first := make(chan apiResponse, 1)
	go func() {
		_, r, _ := getUpdates(t, s, map[string]string{"timeout": "30"})
		first <- r
	}()
	s.WaitPolling(t, 10*time.Second)
	second := make(chan []models.Update, 1)
	go func() {
		_, _, ups := getUpdates(t, s, map[string]string{"timeout": "30"})
		second <- ups
	}()
	r := <-first
	if r.OK || r.ErrorCode != 409 || !strings.HasPrefix(r.Description, "Conflict: terminated by other getUpdates request") {
		t.Fatalf("the older poll got %+v, want 409 Conflict", r)
	}
	s.WaitPolling(t, 10*time.Second)
	id := s.PostText(telegramtest.DefaultChatID, alice, "hi")
	if ups := <-second; len(ups) != 1 || ups[0].ID != id {
		t.Fatalf("the newer poll got %v", ids(ups))
	}
}

func TestAllowedUpdates(t *testing.T) {
	s := telegramtest.New(t, token)
	res := sendWithButtons(t, s, [][]models.InlineKeyboardButton{{{Text: "Ack", CallbackData: "ack:1"}}})
	getUpdates(t, s, map[string]string{"allowed_updates": `["message"]`})
	if q := s.Press(t, alice, res.ID, "ack:1"); q.UpdateID != 0 {
		t.Errorf("a callback query was created although allowed_updates is [message]: %+v", q)
	}
	if id := s.PostText(telegramtest.DefaultChatID, alice, "hi"); id == 0 {
		t.Error("a message was not created although allowed_updates is [message]")
	}
	// Without allowed_updates the previous setting stays; an empty list restores the default.
	getUpdates(t, s, nil)
	if q := s.Press(t, alice, res.ID, "ack:1"); q.UpdateID != 0 {
		t.Error("allowed_updates was forgotten by a call without it")
	}
	getUpdates(t, s, map[string]string{"allowed_updates": `[]`})
	if q := s.Press(t, alice, res.ID, "ack:1"); q.UpdateID == 0 {
		t.Error("an empty allowed_updates did not restore the default")
	}
	if status, r, _ := getUpdates(t, s, map[string]string{"allowed_updates": `message`}); status != 400 || !strings.Contains(r.Description, "allowed updates") {
		t.Errorf("allowed_updates that is not JSON: %d %q", status, r.Description)
	}
}

// sendWithButtons sends a message with an inline keyboard through go-telegram/bot, as the
// notifier does.
func sendWithButtons(t *testing.T, s *telegramtest.Server, rows [][]models.InlineKeyboardButton) *models.Message {
	t.Helper()
	m, err := newBot(t, s, token).SendMessage(context.Background(), &bot.SendMessageParams{
		ChatID: telegramtest.DefaultChatID, Text: "<b>cpu</b> firing", ParseMode: models.ParseModeHTML,
		ReplyMarkup: models.InlineKeyboardMarkup{InlineKeyboard: rows},
	})
	if err != nil {
		t.Fatalf("sendMessage with buttons: %v", err)
	}
	return m
}

func TestInlineKeyboard(t *testing.T) {
	s := telegramtest.New(t, token)
	data64 := strings.Repeat("é", 32) // 64 bytes, 32 characters
	m := sendWithButtons(t, s, [][]models.InlineKeyboardButton{
		{{Text: "Ack", CallbackData: "a:1"}, {Text: "Silence 1h", CallbackData: data64}},
		{{Text: "Runbook", URL: "https://example.com/rb"}},
	})
	if m.ReplyMarkup == nil || len(m.ReplyMarkup.InlineKeyboard) != 2 || m.ReplyMarkup.InlineKeyboard[0][1].CallbackData != data64 {
		t.Fatalf("answer's reply_markup %+v", m.ReplyMarkup)
	}
	got := s.Messages()[0].Buttons
	if len(got) != 2 || got[0][0] != (telegramtest.Button{Text: "Ack", CallbackData: "a:1"}) || got[1][0].URL != "https://example.com/rb" {
		t.Fatalf("recorded buttons %+v", got)
	}

	btn := func(text, data string) string {
		b, _ := json.Marshal(map[string]string{"text": text, "callback_data": data})
		return string(b)
	}
	many := func(n int) string {
		var row []string
		for i := range n {
			row = append(row, btn("b", strconv.Itoa(i)))
		}
		return `{"inline_keyboard":[[` + strings.Join(row, ",") + `]]}`
	}
	cases := []struct {
		name, markup, want string
	}{
		{"callback_data of 65 bytes", `{"inline_keyboard":[[` + btn("x", strings.Repeat("a", 65)) + `]]}`, "Bad Request: BUTTON_DATA_INVALID"},
		{"multi-byte callback_data over 64 bytes", `{"inline_keyboard":[[` + btn("x", strings.Repeat("é", 33)) + `]]}`, "Bad Request: BUTTON_DATA_INVALID"},
		{"empty callback_data", `{"inline_keyboard":[[` + btn("x", "") + `]]}`, "Bad Request: BUTTON_DATA_INVALID"},
		{"101 buttons", many(101), "Bad Request: reply markup is too long"},
		{"a text-only button", `{"inline_keyboard":[[{"text":"x"}]]}`, "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"},
		{"not JSON", `{inline_keyboard`, "Bad Request: can't parse reply keyboard markup JSON object"},
		{"rows not arrays", `{"inline_keyboard":[{"text":"x"}]}`, "Bad Request: can't parse inline keyboard button: InlineKeyboardButton must be an Object"},
		{"100 buttons", many(100), ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, enc := range encodings {
				status, r := call(t, s, enc, token, "sendMessage", map[string]string{"chat_id": defaultChat, "text": "x", "reply_markup": tc.markup})
				if tc.want == "" && status != 200 || tc.want != "" && (status != 400 || r.Description != tc.want) {
					t.Errorf("%s: %d %q, want %q", enc.name, status, r.Description, tc.want)
				}
			}
		})
	}
}

func TestCallbackQuery(t *testing.T) {
	s := telegramtest.New(t, token)
	b := newBot(t, s, token)
	m := sendWithButtons(t, s, [][]models.InlineKeyboardButton{{{Text: "Ack", CallbackData: "a:1"}, {Text: "Silence 1h", CallbackData: "s1:1"}}})
	q := s.Press(t, bob, m.ID, "s1:1")
	if q.ID == "" || q.UpdateID == 0 || q.ChatID != telegramtest.DefaultChatID || q.MessageID != m.ID || q.Answered {
		t.Fatalf("Press = %+v", q)
	}
	_, _, ups := getUpdates(t, s, nil)
	if len(ups) != 1 || ups[0].CallbackQuery == nil {
		t.Fatalf("updates %+v", ups)
	}
	cq := ups[0].CallbackQuery
	if cq.ID != q.ID || cq.Data != "s1:1" || cq.From.ID != bob.ID || cq.From.Username != "bob" || cq.ChatInstance == "" {
		t.Fatalf("callback_query %+v", cq)
	}
	msg := cq.Message.Message
	if msg == nil || msg.ID != m.ID || msg.Text != "cpu firing" || msg.Chat.ID != telegramtest.DefaultChatID ||
		msg.ReplyMarkup == nil || msg.ReplyMarkup.InlineKeyboard[0][1].CallbackData != "s1:1" {
		t.Fatalf("callback_query.message %+v", msg)
	}

	ok, err := b.AnswerCallbackQuery(context.Background(), &bot.AnswerCallbackQueryParams{CallbackQueryID: q.ID, Text: "Silenced for 1h"})
	if err != nil || !ok {
		t.Fatalf("answerCallbackQuery: %v %v", ok, err)
	}
	if got := s.Callbacks(); len(got) != 1 || !got[0].Answered || got[0].Text != "Silenced for 1h" {
		t.Fatalf("Callbacks() = %+v", got)
	}
	// A query is answered once; an unknown one is refused the same way.
	for _, id := range []string{q.ID, "424242"} {
		_, err = b.AnswerCallbackQuery(context.Background(), &bot.AnswerCallbackQueryParams{CallbackQueryID: id})
		if !errors.Is(err, bot.ErrorBadRequest) || !strings.Contains(err.Error(), "query is too old and response timeout expired or query ID is invalid") {
			t.Errorf("answering %q: %v", id, err)
		}
	}

	// A button that is not on the message cannot be pressed.
	ft := &fakeT{TB: t}
	func() {
		defer func() { recover() }()
		s.Press(ft, alice, m.ID, "a:2")
	}()
	if !ft.failed || !strings.Contains(ft.msg, `no button with callback_data "a:2"`) {
		t.Errorf("Press of a missing button: %q", ft.msg)
	}
	ft = &fakeT{TB: t}
	func() {
		defer func() { recover() }()
		s.Press(ft, alice, 99, "a:1")
	}()
	if !ft.failed || !strings.Contains(ft.msg, "no delivered message 99") {
		t.Errorf("Press on a missing message: %q", ft.msg)
	}
}

func TestEditMessageText(t *testing.T) {
	s := telegramtest.New(t, token, chats...)
	b := newBot(t, s, token)
	ctx := context.Background()
	keys := [][]models.InlineKeyboardButton{{{Text: "Ack", CallbackData: "a:1"}}}
	m := sendWithButtons(t, s, keys)
	s.PostText(telegramtest.DefaultChatID, alice, "/help") // message 2

	edit := func(p *bot.EditMessageTextParams) (*models.Message, error) {
		if p.ChatID == nil {
			p.ChatID = telegramtest.DefaultChatID
		}
		return b.EditMessageText(ctx, p)
	}
	// Same text, same buttons: not modified.
	_, err := edit(&bot.EditMessageTextParams{MessageID: m.ID, Text: "<b>cpu</b> firing", ParseMode: models.ParseModeHTML, ReplyMarkup: models.InlineKeyboardMarkup{InlineKeyboard: keys}})
	if err == nil || !strings.Contains(err.Error(), "message is not modified") {
		t.Fatalf("identical edit: %v", err)
	}
	// New text, buttons kept.
	got, err := edit(&bot.EditMessageTextParams{MessageID: m.ID, Text: "cpu firing\n\nAcked by @alice", ReplyMarkup: models.InlineKeyboardMarkup{InlineKeyboard: keys}})
	if err != nil || got.Text != "cpu firing\n\nAcked by @alice" || got.EditDate == 0 || got.ReplyMarkup == nil {
		t.Fatalf("edit: %+v %v", got, err)
	}
	rec := s.Messages()[0]
	if rec.Edits != 1 || rec.Visible != "cpu firing\n\nAcked by @alice" || len(rec.Buttons) != 1 || len(s.Messages()) != 1 {
		t.Fatalf("recorded after the edit: %+v (%d messages)", rec, len(s.Messages()))
	}
	// The same text without reply_markup removes the keyboard: that is a modification.
	if _, err := edit(&bot.EditMessageTextParams{MessageID: m.ID, Text: "cpu firing\n\nAcked by @alice"}); err != nil {
		t.Fatalf("removing the keyboard: %v", err)
	}
	if rec := s.Messages()[0]; rec.Edits != 2 || rec.Buttons != nil {
		t.Fatalf("after removing the keyboard: %+v", rec)
	}

	cases := []struct {
		name string
		p    bot.EditMessageTextParams
		want string
	}{
		{"a message that does not exist", bot.EditMessageTextParams{MessageID: 999, Text: "x"}, "message to edit not found"},
		{"a message of another chat", bot.EditMessageTextParams{ChatID: groupID, MessageID: m.ID, Text: "x"}, "message to edit not found"},
		{"a user's message", bot.EditMessageTextParams{MessageID: 2, Text: "x"}, "message can't be edited"},
		{"an unknown chat", bot.EditMessageTextParams{ChatID: int64(-77), MessageID: m.ID, Text: "x"}, "chat not found"},
		{"bad entities", bot.EditMessageTextParams{MessageID: m.ID, Text: "<b>x", ParseMode: models.ParseModeHTML}, "can't parse entities"},
		{"empty text", bot.EditMessageTextParams{MessageID: m.ID, Text: ""}, "message text is empty"},
		{"callback_data too long", bot.EditMessageTextParams{MessageID: m.ID, Text: "y", ReplyMarkup: models.InlineKeyboardMarkup{
			InlineKeyboard: [][]models.InlineKeyboardButton{{{Text: "x", CallbackData: strings.Repeat("z", 65)}}}}}, "BUTTON_DATA_INVALID"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := edit(&tc.p); !errors.Is(err, bot.ErrorBadRequest) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want 400 %q", err, tc.want)
			}
		})
	}
	if rec := s.Messages()[0]; rec.Edits != 2 {
		t.Errorf("a refused edit changed the message: %+v", rec)
	}
}

func TestWaitConfirmed(t *testing.T) {
	s := telegramtest.New(t, token)
	id := s.PostText(telegramtest.DefaultChatID, alice, "/status")
	getUpdates(t, s, map[string]string{"offset": strconv.FormatInt(id+1, 10)})
	s.WaitConfirmed(t, id, 10*time.Second)
	if s.Pending() != 0 {
		t.Errorf("pending %d after confirming", s.Pending())
	}
	ft := &fakeT{TB: t}
	func() {
		defer func() { recover() }()
		s.WaitConfirmed(ft, id+5, 20*time.Millisecond)
	}()
	if !ft.failed || !strings.Contains(ft.msg, "not confirmed") {
		t.Errorf("WaitConfirmed did not fail: %q", ft.msg)
	}
}
