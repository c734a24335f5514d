package telegramtest

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// User is a Telegram user who writes to the bot or presses its buttons in a test.
type User struct {
	ID        int64
	Username  string // without "@"; may be empty, as on Telegram
	FirstName string // "Test user" when empty
}

// Button is an inline keyboard button of a delivered message.
type Button struct {
	Text         string
	CallbackData string // callback_data; "" for a button of another kind (url …)
	URL          string
}

// CallbackQuery is a button press a test made with Press, and how the bot answered it.
type CallbackQuery struct {
	ID        string // callback_query.id, what answerCallbackQuery names
	UpdateID  int64
	From      User
	ChatID    int64 // the chat of the message whose button was pressed
	MessageID int
	Data      string
	// Answered says answerCallbackQuery was called for it; Text and ShowAlert are what it
	// said.
	Answered  bool
	Text      string
	ShowAlert bool
}

// Limits of inline keyboards, as the Bot API enforces them.
const (
	MaxCallbackData = 64  // bytes of a button's callback_data
	MaxButtons      = 100 // buttons in one inline keyboard
)

// Texts of the errors specific to updates, callbacks and edits.
const (
	errQueryInvalid = "Bad Request: query is too old and response timeout expired or query ID is invalid"
	errNotModified  = "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message"
	errConflict     = "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
)

// update is a queued update, in Bot API JSON.
type update struct {
	ID       int64
	kind     string // "message" or "callback_query"
	message  *messageJSON
	callback *callbackJSON
}

func (u update) MarshalJSON() ([]byte, error) {
	out := map[string]any{"update_id": u.ID}
	if u.message != nil {
		out["message"] = u.message
	}
	if u.callback != nil {
		out["callback_query"] = u.callback
	}
	return json.Marshal(out)
}

type callbackJSON struct {
	ID           string      `json:"id"`
	From         userJSON    `json:"from"`
	Message      messageJSON `json:"message"`
	ChatInstance string      `json:"chat_instance"`
	Data         string      `json:"data"`
}

type entityJSON struct {
	Type   string `json:"type"`
	Offset int    `json:"offset"`
	Length int    `json:"length"`
}

type buttonJSON struct {
	Text         string `json:"text"`
	CallbackData string `json:"callback_data,omitempty"`
	URL          string `json:"url,omitempty"`
}

type keyboardJSON struct {
	InlineKeyboard [][]buttonJSON `json:"inline_keyboard"`
}

// firstUpdateID is the first update's id: real ones are large numbers.
const firstUpdateID = 700_000_001

// defaultUpdates are the update types delivered when allowed_updates was never given or
// given as an empty list: all but chat_member, message_reaction, message_reaction_count.
var notByDefault = []string{"chat_member", "message_reaction", "message_reaction_count"}

func (u User) json() userJSON {
	name := u.FirstName
	if name == "" {
		name = "Test user"
	}
	return userJSON{ID: u.ID, FirstName: name, Username: u.Username}
}

// PostText makes user write text in the chat chatID (a private chat with the bot when
// chatID is user.ID), as an update for getUpdates, and returns its update_id; 0 when the
// bot's allowed_updates excludes messages, which Telegram then never creates. A chat the
// server does not know yet is added. Commands ("/status@bot …") carry their bot_command
// entity, as Telegram's do.
func (s *Server) PostText(chatID int64, user User, text string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.allows("message") {
		return 0
	}
	chat, ok := s.chats[chatID]
	if !ok {
		chat = Chat{ID: chatID}
		s.chats[chatID] = chat
	}
	s.lastMsgID++
	s.userMsgs[s.lastMsgID] = chatID
	from := user.json()
	m := messageJSON{MessageID: s.lastMsgID, From: &from, Chat: chatOf(chat), Date: time.Now().Unix(), Text: text}
	if loc := botCommand.FindStringIndex(text); loc != nil {
		m.Entities = []entityJSON{{Type: "bot_command", Offset: 0, Length: UTF16Len(text[:loc[1]])}}
	}
	return s.enqueue(update{kind: "message", message: &m})
}

var botCommand = regexp.MustCompile(`^/[A-Za-z0-9_]+(@[A-Za-z0-9_]+)?`)

// Press makes user press the button whose callback_data is data on the delivered message
// messageID, as a callback_query update, and returns the query. It fails the test when the
// message does not exist or has no such button: a user can press only what is shown. The
// query's ID is 0 when the bot's allowed_updates excludes callback queries.
func (s *Server) Press(t testing.TB, user User, messageID int, data string) CallbackQuery {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	i := slices.IndexFunc(s.messages, func(m Message) bool { return m.ID == messageID })
	if i < 0 {
		t.Fatalf("telegramtest: Press: no delivered message %d", messageID)
		return CallbackQuery{}
	}
	m := s.messages[i]
	if !slices.ContainsFunc(slices.Concat(m.Buttons...), func(b Button) bool { return b.CallbackData == data && data != "" }) {
		t.Fatalf("telegramtest: Press: message %d has no button with callback_data %q; its buttons: %v", messageID, data, m.Buttons)
		return CallbackQuery{}
	}
	if !s.allows("callback_query") {
		return CallbackQuery{}
	}
	s.lastQuery++
	q := &CallbackQuery{
		ID:        strconv.FormatInt(s.botUser().ID, 10) + "-" + strconv.Itoa(s.lastQuery),
		From:      user,
		ChatID:    m.Chat.ID,
		MessageID: m.ID,
		Data:      data,
	}
	cb := &callbackJSON{
		ID:           q.ID,
		From:         user.json(),
		Message:      s.messageJSON(m),
		ChatInstance: strconv.FormatInt(m.Chat.ID*7+user.ID, 10),
		Data:         data,
	}
	q.UpdateID = s.enqueue(update{kind: "callback_query", callback: cb})
	s.queries = append(s.queries, q)
	return *q
}

// allows reports whether the bot's allowed_updates lets kind be created; s.mu held.
func (s *Server) allows(kind string) bool {
	if len(s.allowed) == 0 {
		return !slices.Contains(notByDefault, kind)
	}
	return slices.Contains(s.allowed, kind)
}

// enqueue queues u with the next update_id; s.mu held.
func (s *Server) enqueue(u update) int64 {
	if s.lastUpdate == 0 {
		s.lastUpdate = firstUpdateID - 1
	}
	s.lastUpdate++
	u.ID = s.lastUpdate
	s.pending = append(s.pending, u)
	s.notify()
	return u.ID
}

// notify wakes whoever waits on a change; s.mu held.
func (s *Server) notify() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// Callbacks returns the button presses made with Press, oldest first, with their answers.
func (s *Server) Callbacks() []CallbackQuery {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]CallbackQuery, len(s.queries))
	for i, q := range s.queries {
		out[i] = *q
	}
	return out
}

// Confirmed is the highest update_id the bot has confirmed, by calling getUpdates with a
// higher offset: what Telegram will never deliver again. 0 before any.
func (s *Server) Confirmed() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.confirmed
}

// Pending is how many queued updates the bot has not confirmed yet.
func (s *Server) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.pending)
}

// WaitConfirmed waits until the bot has confirmed the update id (see Confirmed), that is,
// until it has fetched it and asked for the ones after it; it fails the test after timeout.
func (s *Server) WaitConfirmed(t testing.TB, id int64, timeout time.Duration) {
	t.Helper()
	if !s.wait(timeout, func() bool { return s.confirmed >= id }) {
		t.Fatalf("telegramtest: update %d not confirmed after %v (confirmed up to %d); requests: %s", id, timeout, s.Confirmed(), summary(s.Requests()))
	}
}

// WaitFor waits until cond, which may call the Server's methods, is true; it fails the
// test with what after timeout. cond is called again whenever a request finishes or an
// update is queued.
func (s *Server) WaitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		s.mu.Lock()
		changed := s.changed
		s.mu.Unlock()
		if cond() {
			return
		}
		select {
		case <-changed:
		case <-timer.C:
			if cond() {
				return
			}
			t.Fatalf("telegramtest: after %v, still not %s; requests: %s", timeout, what, summary(s.Requests()))
			return
		}
	}
}

// WaitPolling waits until a getUpdates request is waiting for updates (a long poll, with
// nothing to deliver yet) and fails the test after timeout.
func (s *Server) WaitPolling(t testing.TB, timeout time.Duration) {
	t.Helper()
	if !s.wait(timeout, func() bool { return s.poller != nil }) {
		t.Fatalf("telegramtest: no getUpdates long poll waiting after %v; requests: %s", timeout, summary(s.Requests()))
	}
}

// getUpdates confirms the updates before offset, then answers the ones after it at once or,
// with a timeout, when one arrives or the timeout passes. A newer getUpdates ends a waiting
// one with 409 Conflict, as on Telegram.
func (s *Server) getUpdates(w http.ResponseWriter, r *http.Request, req Request, p map[string]string) {
	offset, limit, timeout, allowed, a := updatesParams(p)
	if a.status != 0 {
		s.finish(w, req, a)
		return
	}
	s.mu.Lock()
	if allowed != nil {
		s.allowed = allowed
	}
	switch {
	case offset > 0:
		s.pending = slices.DeleteFunc(s.pending, func(u update) bool { return u.ID < offset })
		s.confirmed = max(s.confirmed, offset-1)
	case offset < 0:
		if n := int(-offset); n < len(s.pending) {
			s.confirmed = max(s.confirmed, s.pending[len(s.pending)-n-1].ID)
			s.pending = slices.Clone(s.pending[len(s.pending)-n:])
		}
	}
	if s.poller != nil {
		close(s.poller)
	}
	me := make(chan struct{})
	s.poller = me
	s.notify()
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		if s.poller == me {
			s.poller = nil
			s.notify()
		}
		s.mu.Unlock()
	}()

	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		s.mu.Lock()
		ups := s.pending[:min(limit, len(s.pending))]
		out := slices.Clone(ups)
		changed := s.changed
		s.mu.Unlock()
		if len(out) > 0 || timeout == 0 {
			s.finish(w, req, okAnswer(out))
			return
		}
		select {
		case <-changed:
		case <-timer.C:
			timeout = 0
		case <-me:
			s.finish(w, req, apiError(http.StatusConflict, errConflict))
			return
		case <-r.Context().Done():
			req.Description = "long poll ended by the client"
			s.record(req, nil)
			return
		case <-s.quit:
			req.Description = "long poll ended by the server's close"
			s.record(req, nil)
			hangUp(w)
			return
		}
	}
}

// updatesParams reads getUpdates' parameters: offset, limit (1–100, default 100),
// timeout in seconds, allowed_updates (a JSON array; nil when absent).
func updatesParams(p map[string]string) (offset int64, limit int, timeout time.Duration, allowed []string, a answer) {
	limit = 100
	if v := p["offset"]; v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, 0, 0, nil, apiError(http.StatusBadRequest, "Bad Request: invalid offset specified")
		}
		offset = n
	}
	if v := p["limit"]; v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return 0, 0, 0, nil, apiError(http.StatusBadRequest, "Bad Request: invalid limit specified")
		}
		limit = min(max(n, 1), 100)
	}
	if v := p["timeout"]; v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return 0, 0, 0, nil, apiError(http.StatusBadRequest, "Bad Request: invalid timeout specified")
		}
		timeout = time.Duration(max(n, 0)) * time.Second
	}
	if v, ok := p["allowed_updates"]; ok && v != "" {
		if err := json.Unmarshal([]byte(v), &allowed); err != nil {
			return 0, 0, 0, nil, apiError(http.StatusBadRequest, "Bad Request: can't parse allowed updates JSON object")
		}
		if allowed == nil {
			allowed = []string{}
		}
	}
	return offset, limit, timeout, allowed, answer{}
}

// finish records a request and writes its answer.
func (s *Server) finish(w http.ResponseWriter, req Request, a answer) {
	req.Status, req.Description = a.status, a.description
	s.record(req, nil)
	a.write(w)
}

// answerCallbackQuery answers a query once; an unknown or answered one is "too old".
func (s *Server) answerCallbackQuery(p map[string]string) answer {
	id := p["callback_query_id"]
	if id == "" {
		return apiError(http.StatusBadRequest, "Bad Request: parameter \"callback_query_id\" is required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	i := slices.IndexFunc(s.queries, func(q *CallbackQuery) bool { return q.ID == id })
	if i < 0 || s.queries[i].Answered {
		return apiError(http.StatusBadRequest, errQueryInvalid)
	}
	q := s.queries[i]
	alert := strings.ToLower(p["show_alert"])
	q.Answered, q.Text, q.ShowAlert = true, p["text"], alert == "true" || alert == "1"
	return okAnswer(true)
}

// editMessageText replaces the text (and the inline keyboard: without reply_markup it is
// removed) of a message the bot sent, checked as sendMessage checks a new one.
func (s *Server) editMessageText(p map[string]string) (answer, *Message) {
	for _, v := range p {
		if !utf8.ValidString(v) {
			return apiError(http.StatusBadRequest, "Bad Request: strings must be encoded in UTF-8"), nil
		}
	}
	if p["inline_message_id"] != "" {
		return apiError(http.StatusBadRequest, "Bad Request: message to edit not found"), nil // inline messages are not modelled
	}
	if p["chat_id"] == "" {
		return apiError(http.StatusBadRequest, "Bad Request: chat_id is empty"), nil
	}
	msgID, err := strconv.Atoi(p["message_id"])
	if err != nil || msgID <= 0 {
		return apiError(http.StatusBadRequest, "Bad Request: message identifier is not specified"), nil
	}
	out, a := s.checkText(p, p["chat_id"])
	if a.status != 0 {
		return a, nil
	}
	chat, text, visible, buttons := out.chat, out.text, out.visible, out.buttons
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.userMsgs[msgID]; ok && c == chat.ID {
		return apiError(http.StatusBadRequest, "Bad Request: message can't be edited"), nil
	}
	i := slices.IndexFunc(s.messages, func(m Message) bool { return m.ID == msgID && m.Chat.ID == chat.ID })
	if i < 0 {
		return apiError(http.StatusBadRequest, "Bad Request: message to edit not found"), nil
	}
	m := &s.messages[i]
	if m.Visible == visible && m.Text == text && m.ParseMode == p["parse_mode"] && slices.EqualFunc(m.Buttons, buttons, slices.Equal) {
		return apiError(http.StatusBadRequest, errNotModified), nil
	}
	m.Text, m.Visible, m.ParseMode, m.Buttons = text, visible, p["parse_mode"], buttons
	m.Edits++
	m.EditTime = time.Now()
	edited := *m
	return answer{status: http.StatusOK}, &edited
}

// parseReplyMarkup reads reply_markup: an inline keyboard is checked as Telegram checks it
// and returned; another kind of markup (a reply keyboard, force_reply) is accepted and not
// modelled.
func parseReplyMarkup(v string) ([][]Button, answer) {
	if strings.TrimSpace(v) == "" {
		return nil, answer{}
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(v), &raw); err != nil {
		return nil, apiError(http.StatusBadRequest, "Bad Request: can't parse reply keyboard markup JSON object")
	}
	kb, ok := raw["inline_keyboard"]
	if !ok {
		return nil, answer{}
	}
	var rows [][]map[string]json.RawMessage
	if err := json.Unmarshal(kb, &rows); err != nil {
		return nil, apiError(http.StatusBadRequest, "Bad Request: can't parse inline keyboard button: InlineKeyboardButton must be an Object")
	}
	var out [][]Button
	n := 0
	for _, row := range rows {
		var buttons []Button
		for _, b := range row {
			var text, data, url string
			if json.Unmarshal(b["text"], &text) != nil {
				return nil, apiError(http.StatusBadRequest, "Bad Request: can't parse inline keyboard button: Field \"text\" must be of type String")
			}
			_, hasData := b["callback_data"]
			_, hasURL := b["url"]
			if hasData && json.Unmarshal(b["callback_data"], &data) != nil || hasURL && json.Unmarshal(b["url"], &url) != nil {
				return nil, apiError(http.StatusBadRequest, "Bad Request: can't parse inline keyboard button: Field \"callback_data\" must be of type String")
			}
			other := false
			for _, k := range []string{"switch_inline_query", "switch_inline_query_current_chat", "callback_game", "pay", "login_url", "web_app", "copy_text", "switch_inline_query_chosen_chat"} {
				_, has := b[k]
				other = other || has
			}
			switch {
			case !hasData && !hasURL && !other:
				return nil, apiError(http.StatusBadRequest, "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
			case hasData && (data == "" || len(data) > MaxCallbackData):
				return nil, apiError(http.StatusBadRequest, "Bad Request: BUTTON_DATA_INVALID")
			case hasURL && url == "":
				return nil, apiError(http.StatusBadRequest, "Bad Request: BUTTON_URL_INVALID")
			}
			buttons = append(buttons, Button{Text: text, CallbackData: data, URL: url})
			n++
		}
		if len(buttons) > 0 {
			out = append(out, buttons)
		}
	}
	if n > MaxButtons {
		return nil, apiError(http.StatusBadRequest, "Bad Request: reply markup is too long")
	}
	return out, answer{}
}

func keyboard(buttons [][]Button) *keyboardJSON {
	if len(buttons) == 0 {
		return nil
	}
	kb := &keyboardJSON{}
	for _, row := range buttons {
		var r []buttonJSON
		for _, b := range row {
			r = append(r, buttonJSON{Text: b.Text, CallbackData: b.CallbackData, URL: b.URL})
		}
		kb.InlineKeyboard = append(kb.InlineKeyboard, r)
	}
	return kb
}
