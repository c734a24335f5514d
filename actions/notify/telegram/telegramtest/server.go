package telegramtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log"
	"mime"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

// DefaultChatID is a private chat every Server knows, so that a test that does not care
// about chats has one to send to.
const DefaultChatID int64 = 100200300

// BotUsername is the username getMe answers. The bot's id is the number before the ':' in
// the token, as with real tokens (1 if there is none).
const BotUsername = "notimon_test_bot"

// MaxMessageLength is Telegram's limit on a message's visible text, in UTF-16 code units.
const MaxMessageLength = 4096

// maxBody bounds a request body; the real API's limits are far below it for sendMessage.
const maxBody = 8 << 20

// Chat is a chat the server knows. Sending to any other chat answers "chat not found".
type Chat struct {
	ID int64
	// Type is "private", "group", "supergroup" or "channel". Empty means private for a
	// positive ID, supergroup for an ID of the -100… form, group for another negative ID.
	Type string
	// Username, without "@", lets requests name the chat "@Username" (case-insensitive).
	Username string
	// MigrateTo, when not zero, says this group was upgraded to that supergroup: sending here
	// answers 400 "group chat was upgraded to a supergroup chat" with migrate_to_chat_id.
	MigrateTo int64
}

func (c Chat) chatType() string {
	switch {
	case c.Type != "":
		return c.Type
	case c.ID > 0:
		return "private"
	case c.ID <= -1_000_000_000_000:
		return "supergroup"
	}
	return "group"
}

// Message is a message the server delivered.
type Message struct {
	ID   int // message_id, increasing from 1 across the server
	Time time.Time
	// ChatID is chat_id as the request gave it: "-1001234567890" or "@ops".
	ChatID string
	// Chat is the chat it was delivered to.
	Chat                Chat
	ThreadID            int    // message_thread_id; 0 if absent
	Text                string // text as sent, markup included
	Visible             string // what the chat shows: markup parsed, references decoded, trimmed
	ParseMode           string // parse_mode as sent
	DisableNotification bool
	// Buttons are the inline keyboard (reply_markup) the message shows now; nil without.
	Buttons [][]Button
	// Edits counts the editMessageText calls that changed it; Text, Visible, ParseMode and
	// Buttons are then the latest edit's, EditTime its time.
	Edits    int
	EditTime time.Time
}

// Request is one HTTP request the server finished with. It holds no token: the path, which
// carries it, is reduced to the method name.
type Request struct {
	Time        time.Time
	HTTPMethod  string // GET, POST …
	Method      string // the Bot API method in the path, e.g. "sendMessage"; "" for a path that is not /bot<token>/<method>
	ContentType string // media type of the body: "multipart/form-data", "application/json" …; "" without one
	// Params are the parameters as the API reads them: query string, form fields, or JSON
	// members (non-string values as their JSON text).
	Params map[string]string
	// Fault names the injected fault that answered, e.g. "TooManyRequests(3)"; "" if none.
	Fault string
	// Status is the HTTP status answered: 0 when the connection was dropped or a hung request
	// ended without an answer.
	Status int
	// Description is the error description answered, or what became of an unanswered request.
	Description string
}

// Server is a fake Telegram Bot API. Its methods are safe for concurrent use.
type Server struct {
	token string
	http  *httptest.Server
	gate  *gate
	quit  chan struct{} // closed by Close: releases hung requests
	once  sync.Once

	mu        sync.Mutex
	chats     map[int64]Chat
	strictAmp bool
	slots     []*Fault // faults for the next requests, in order; nil: answer normally
	messages  []Message
	requests  []Request
	hanging   int           // requests hanging on a Hang fault right now
	changed   chan struct{} // closed and replaced whenever messages, requests, updates or hanging change
	lastMsgID int           // message ids, shared by the bot's messages and the users'
	userMsgs  map[int]int64 // users' messages: id → chat

	// Updates (updates.go).
	pending    []update         // queued, not confirmed
	lastUpdate int64            // the last update_id given
	confirmed  int64            // the highest update_id confirmed by an offset
	allowed    []string         // allowed_updates as last given; nil: the default
	poller     chan struct{}    // the waiting getUpdates, closed to end it with 409
	queries    []*CallbackQuery // button presses
	lastQuery  int
}

// New starts a server on 127.0.0.1 that accepts token and knows DefaultChatID and chats,
// and closes it when the test ends. Give the token the real form (123456:ABC-def…): like
// api.telegram.org, the server answers a wrong token of that form 401 Unauthorized and a
// malformed one 404 Not Found.
func New(t testing.TB, token string, chats ...Chat) *Server {
	t.Helper()
	if token == "" {
		t.Fatal("telegramtest.New: the token is empty")
	}
	s := &Server{
		token:    token,
		quit:     make(chan struct{}),
		chats:    map[int64]Chat{DefaultChatID: {ID: DefaultChatID}},
		changed:  make(chan struct{}),
		userMsgs: map[int]int64{},
	}
	for _, c := range chats {
		s.chats[c.ID] = c
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("telegramtest.New: %v", err)
	}
	s.gate = newGate(ln)
	s.http = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	s.http.Listener.Close()
	s.http.Listener = s.gate
	// net/http logs nothing with the token today; keep it that way whatever it logs later.
	s.http.Config.ErrorLog = log.New(io.Discard, "", 0)
	s.http.Start()
	t.Cleanup(s.Close)
	return s
}

// URL is the server's base URL, http://127.0.0.1:<port>, to give a client as its API
// server (bot.WithServerURL, a notifier's api_url). It holds no token.
func (s *Server) URL() string { return s.http.URL }

// Token is the token the server accepts.
func (s *Server) Token() string { return s.token }

// String names the server by its URL, so that printing it never prints the token.
func (s *Server) String() string { return "telegramtest.Server(" + s.URL() + ")" }

// GoString is String, for %#v.
func (s *Server) GoString() string { return s.String() }

// Close stops the server: requests hanging on a fault end without an answer, then the
// listener and every connection close. New calls it when the test ends; calling it again
// does nothing.
func (s *Server) Close() {
	s.once.Do(func() {
		close(s.quit)
		s.http.Close()
	})
}

// SetChat adds a chat or replaces the one with the same ID, for instance to upgrade a group
// to a supergroup in the middle of a test.
func (s *Server) SetChat(c Chat) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.chats[c.ID] = c
}

// StrictAmpersands makes HTML parsing refuse an "&" that does not start a complete
// reference (&lt; &gt; &amp; &quot; &#NN; &#xHH; with their ';'), with a "can't parse
// entities" error. Telegram itself shows such an "&" as it is, so this is stricter than
// Telegram; use it to prove that a sender escapes every "&" it inserts.
func (s *Server) StrictAmpersands(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.strictAmp = on
}

// Messages returns the delivered messages, oldest first.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.messages)
}

// Message returns the delivered message whose message_id is id, as it is now (edits
// included).
func (s *Server) Message(id int) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := slices.IndexFunc(s.messages, func(m Message) bool { return m.ID == id })
	if i < 0 {
		return Message{}, false
	}
	return s.messages[i], true
}

// Requests returns the requests the server has finished with, in that order: answered,
// dropped, or, for a hung one, abandoned by its client. A request the server has not seen
// (refused while Down) is not there.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := slices.Clone(s.requests)
	for i := range out {
		out[i].Params = cloneParams(out[i].Params)
	}
	return out
}

// WaitMessages waits until at least n messages are delivered and returns them all; it fails
// the test after timeout. For senders that deliver asynchronously.
func (s *Server) WaitMessages(t testing.TB, n int, timeout time.Duration) []Message {
	t.Helper()
	if !s.wait(timeout, func() bool { return len(s.messages) >= n }) {
		got := s.Messages()
		t.Fatalf("telegramtest: %d messages delivered after %v, want %d; requests: %s", len(got), timeout, n, summary(s.Requests()))
	}
	return s.Messages()
}

// WaitRequests waits until the server has finished with at least n requests and returns
// them all; it fails the test after timeout. For asynchronous senders whose attempts fail.
func (s *Server) WaitRequests(t testing.TB, n int, timeout time.Duration) []Request {
	t.Helper()
	if !s.wait(timeout, func() bool { return len(s.requests) >= n }) {
		t.Fatalf("telegramtest: %d requests after %v, want %d: %s", len(s.Requests()), timeout, n, summary(s.Requests()))
	}
	return s.Requests()
}

// WaitHanging waits until n requests hang on a Hang fault, that is until the server has read
// them and will not answer, and fails the test after timeout. A test that then cuts them
// (Close, Down) knows the server had them.
func (s *Server) WaitHanging(t testing.TB, n int, timeout time.Duration) {
	t.Helper()
	if !s.wait(timeout, func() bool { return s.hanging >= n }) {
		t.Fatalf("telegramtest: %d requests hanging after %v, want %d; requests: %s", s.hangingNow(), timeout, n, summary(s.Requests()))
	}
}

func (s *Server) hangingNow() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hanging
}

// addHanging counts a request that starts (+1) or stops (-1) hanging.
func (s *Server) addHanging(d int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hanging += d
	close(s.changed)
	s.changed = make(chan struct{})
}

// wait waits until done, called with s.mu held, is true.
func (s *Server) wait(timeout time.Duration, done func() bool) bool {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		s.mu.Lock()
		ok, changed := done(), s.changed
		s.mu.Unlock()
		if ok {
			return true
		}
		select {
		case <-changed:
		case <-timer.C:
			return false
		}
	}
}

// summary lists requests as "sendMessage 429, sendMessage 200" for failure messages.
func summary(reqs []Request) string {
	if len(reqs) == 0 {
		return "none"
	}
	parts := make([]string, len(reqs))
	for i, r := range reqs {
		parts[i] = r.Method + " " + strconv.Itoa(r.Status)
		if r.Description != "" {
			parts[i] += " (" + r.Description + ")"
		}
	}
	return strings.Join(parts, ", ")
}

// record stores a finished request, and its message if one was delivered, giving the
// message its id. It runs before the answer is written, so that a client that has its
// answer finds both recorded.
func (s *Server) record(req Request, msg *Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if msg != nil {
		s.lastMsgID++
		msg.ID = s.lastMsgID
		s.messages = append(s.messages, *msg)
	}
	s.requests = append(s.requests, req)
	close(s.changed)
	s.changed = make(chan struct{})
}

// serve answers one request.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	params, contentType, bodyErr := readParams(w, r)
	method, token, isAPI := splitPath(r.URL.Path)
	req := Request{
		Time:        time.Now(),
		HTTPMethod:  r.Method,
		Method:      method,
		ContentType: contentType,
		Params:      params,
	}
	if f := s.nextFault(); f != nil {
		req.Fault = f.String()
		s.applyFault(w, r, req, f)
		return
	}

	var a answer
	var msg *Message
	switch {
	case !isAPI:
		a = apiError(http.StatusNotFound, "Not Found")
	case token != s.token && !tokenForm.MatchString(token):
		a = apiError(http.StatusNotFound, "Not Found")
	case token != s.token:
		a = apiError(http.StatusUnauthorized, "Unauthorized")
	case bodyErr != nil:
		a = apiError(http.StatusBadRequest, "Bad Request: "+bodyErr.Error())
	default:
		switch strings.ToLower(method) {
		case "getme":
			a = okAnswer(s.botUser())
		case "sendmessage":
			a, msg = s.sendMessage(params)
		case "getupdates":
			s.getUpdates(w, r, req, params)
			return
		case "answercallbackquery":
			a = s.answerCallbackQuery(params)
		case "editmessagetext":
			var edited *Message
			if a, edited = s.editMessageText(params); edited != nil {
				a = okAnswer(s.messageJSON(*edited))
			}
		default:
			a = apiError(http.StatusNotFound, "Not Found")
		}
	}
	req.Status, req.Description = a.status, a.description
	s.record(req, msg)
	if msg != nil {
		a = okAnswer(s.messageJSON(*msg))
	}
	a.write(w)
}

// tokenForm is what a bot token looks like; the real API answers 404 to anything else.
var tokenForm = regexp.MustCompile(`^[0-9]+:[A-Za-z0-9_-]+$`)

// splitPath splits /bot<token>/<method>.
func splitPath(path string) (method, token string, ok bool) {
	rest, ok := strings.CutPrefix(path, "/bot")
	if !ok {
		return "", "", false
	}
	token, method, ok = strings.Cut(rest, "/")
	if !ok || method == "" {
		return "", "", false
	}
	return method, token, true
}

// readParams reads the parameters the way the Bot API does: from the query string and from
// a multipart, urlencoded or JSON body; the query string wins. The body is always consumed,
// so that a hung request notices when its client goes away.
func readParams(w http.ResponseWriter, r *http.Request) (map[string]string, string, error) {
	params := map[string]string{}
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	mediaType := ""
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mediaType, _, _ = mime.ParseMediaType(ct)
	}
	var readErr, jsonErr error
	switch mediaType {
	case "application/json":
		var body []byte
		if body, readErr = io.ReadAll(r.Body); readErr == nil && len(bytes.TrimSpace(body)) > 0 {
			var obj map[string]json.RawMessage
			if json.Unmarshal(body, &obj) != nil {
				jsonErr = errors.New("can't parse JSON object")
			}
			for k, v := range obj {
				// A string is its value; anything else, null included, its JSON text.
				var str string
				if v = bytes.TrimSpace(v); len(v) > 0 && v[0] == '"' && json.Unmarshal(v, &str) == nil {
					params[k] = str
				} else {
					params[k] = string(compactJSON(v))
				}
			}
		}
	case "application/x-www-form-urlencoded":
		if readErr = r.ParseForm(); readErr == nil {
			for k, v := range r.PostForm {
				params[k] = v[0]
			}
		}
	case "multipart/form-data":
		readErr = r.ParseMultipartForm(maxBody)
		if errors.Is(readErr, io.EOF) {
			readErr = nil // an empty body: go-telegram/bot sends one for methods without parameters
		}
		if r.MultipartForm != nil {
			for k, v := range r.MultipartForm.Value {
				params[k] = v[0]
			}
		}
	}
	// Read to the end (a multipart parser stops at the closing boundary, before a chunked
	// body's last chunk): only then does net/http notice a client that goes away.
	if _, err := io.Copy(io.Discard, r.Body); readErr == nil {
		readErr = err
	}
	for k, v := range r.URL.Query() {
		params[k] = v[0]
	}
	if readErr != nil {
		return params, mediaType, errors.New("can't read the request body")
	}
	return params, mediaType, jsonErr
}

func compactJSON(v []byte) []byte {
	var b bytes.Buffer
	if json.Compact(&b, v) != nil {
		return v
	}
	return b.Bytes()
}

func cloneParams(p map[string]string) map[string]string {
	if p == nil {
		return nil
	}
	out := make(map[string]string, len(p))
	for k, v := range p {
		out[k] = v
	}
	return out
}

// sendMessage checks a sendMessage in the order the Bot API does: the request's own fields,
// the markup, then the chat, then the text Telegram would store.
func (s *Server) sendMessage(p map[string]string) (answer, *Message) {
	for _, v := range p {
		if !utf8.ValidString(v) {
			return apiError(http.StatusBadRequest, "Bad Request: strings must be encoded in UTF-8"), nil
		}
	}
	chatID := p["chat_id"]
	if chatID == "" {
		return apiError(http.StatusBadRequest, "Bad Request: chat_id is empty"), nil
	}
	out, a := s.checkText(p, chatID)
	if a.status != 0 {
		return a, nil
	}
	thread, _ := strconv.Atoi(p["message_thread_id"])
	silent := strings.ToLower(p["disable_notification"])
	return answer{status: http.StatusOK}, &Message{
		Time:                time.Now(),
		ChatID:              chatID,
		Chat:                out.chat,
		ThreadID:            thread,
		Text:                out.text,
		Visible:             out.visible,
		ParseMode:           p["parse_mode"],
		DisableNotification: silent == "true" || silent == "1",
		Buttons:             out.buttons,
	}
}

// outgoing is a message's text as sendMessage and editMessageText take it.
type outgoing struct {
	text, visible string
	chat          Chat
	buttons       [][]Button
}

// checkText checks the text, parse_mode and reply_markup of a message to send or edit as
// Telegram does, and finds its chat; a non-zero answer is the error to return.
func (s *Server) checkText(p map[string]string, chatID string) (outgoing, answer) {
	text := p["text"]
	if text == "" {
		return outgoing{}, apiError(http.StatusBadRequest, "Bad Request: message text is empty")
	}
	s.mu.Lock()
	strict := s.strictAmp
	chat, known := s.lookupChat(chatID)
	s.mu.Unlock()

	parsedText, err := parseMarkup(text, p["parse_mode"], strict)
	switch {
	case errors.Is(err, errUnsupportedMode):
		return outgoing{}, apiError(http.StatusBadRequest, "Bad Request: unsupported parse_mode")
	case err != nil:
		return outgoing{}, apiError(http.StatusBadRequest, "Bad Request: can't parse entities: "+err.Error())
	}
	buttons, a := parseReplyMarkup(p["reply_markup"])
	switch {
	case a.status != 0:
		return outgoing{}, a
	case !known:
		return outgoing{}, apiError(http.StatusBadRequest, "Bad Request: chat not found")
	case chat.MigrateTo != 0:
		a := apiError(http.StatusBadRequest, "Bad Request: group chat was upgraded to a supergroup chat")
		a.params = &responseParameters{MigrateToChatID: chat.MigrateTo}
		return outgoing{}, a
	}
	visible := visibleText(parsedText)
	if isEmptyText(visible) {
		return outgoing{}, apiError(http.StatusBadRequest, "Bad Request: message text is empty")
	}
	if UTF16Len(visible) > MaxMessageLength {
		return outgoing{}, apiError(http.StatusBadRequest, "Bad Request: message is too long")
	}
	return outgoing{text: text, visible: visible, chat: chat, buttons: buttons}, answer{}
}

// lookupChat finds a chat by id or @username; s.mu must be held.
func (s *Server) lookupChat(chatID string) (Chat, bool) {
	if name, ok := strings.CutPrefix(chatID, "@"); ok {
		for _, c := range s.chats {
			if c.Username != "" && strings.EqualFold(c.Username, name) {
				return c, true
			}
		}
		return Chat{}, false
	}
	id, err := strconv.ParseInt(chatID, 10, 64)
	if err != nil {
		return Chat{}, false
	}
	c, ok := s.chats[id]
	return c, ok
}

type userJSON struct {
	ID                      int64  `json:"id"`
	IsBot                   bool   `json:"is_bot"`
	FirstName               string `json:"first_name"`
	Username                string `json:"username"`
	CanJoinGroups           bool   `json:"can_join_groups"`
	CanReadAllGroupMessages bool   `json:"can_read_all_group_messages"`
	SupportsInlineQueries   bool   `json:"supports_inline_queries"`
}

func (s *Server) botUser() userJSON {
	id, err := strconv.ParseInt(strings.SplitN(s.token, ":", 2)[0], 10, 64)
	if err != nil || id <= 0 {
		id = 1
	}
	return userJSON{ID: id, IsBot: true, FirstName: "notimon test", Username: BotUsername, CanJoinGroups: true}
}

type chatJSON struct {
	ID        int64  `json:"id"`
	Type      string `json:"type"`
	Title     string `json:"title,omitempty"`
	Username  string `json:"username,omitempty"`
	FirstName string `json:"first_name,omitempty"`
}

type messageJSON struct {
	MessageID       int           `json:"message_id"`
	MessageThreadID int           `json:"message_thread_id,omitempty"`
	From            *userJSON     `json:"from,omitempty"`
	SenderChat      *chatJSON     `json:"sender_chat,omitempty"`
	Chat            chatJSON      `json:"chat"`
	Date            int64         `json:"date"`
	EditDate        int64         `json:"edit_date,omitempty"`
	Text            string        `json:"text"`
	Entities        []entityJSON  `json:"entities,omitempty"`
	ReplyMarkup     *keyboardJSON `json:"reply_markup,omitempty"`
}

func chatOf(c Chat) chatJSON {
	chat := chatJSON{ID: c.ID, Type: c.chatType(), Username: c.Username}
	if chat.Type == "private" {
		chat.FirstName = "Test user"
	} else {
		chat.Title = "Test chat " + strconv.FormatInt(c.ID, 10)
	}
	return chat
}

func (s *Server) messageJSON(m Message) messageJSON {
	chat := chatOf(m.Chat)
	out := messageJSON{MessageID: m.ID, MessageThreadID: m.ThreadID, Chat: chat, Date: m.Time.Unix(), Text: m.Visible, ReplyMarkup: keyboard(m.Buttons)}
	if !m.EditTime.IsZero() {
		out.EditDate = m.EditTime.Unix()
	}
	if chat.Type == "channel" {
		out.SenderChat = &chat
	} else {
		bot := s.botUser()
		out.From = &bot
	}
	return out
}

// answer is a JSON answer of the Bot API.
type answer struct {
	status      int
	description string // of an error
	params      *responseParameters
	result      any // of a success
}

type responseParameters struct {
	MigrateToChatID int64 `json:"migrate_to_chat_id,omitempty"`
	RetryAfter      int   `json:"retry_after,omitempty"`
}

func apiError(status int, description string) answer {
	return answer{status: status, description: description}
}

func okAnswer(result any) answer { return answer{status: http.StatusOK, result: result} }

func (a answer) write(w http.ResponseWriter) {
	var body any
	if a.status == http.StatusOK {
		body = struct {
			OK     bool `json:"ok"`
			Result any  `json:"result"`
		}{true, a.result}
	} else {
		body = struct {
			OK          bool                `json:"ok"`
			ErrorCode   int                 `json:"error_code"`
			Description string              `json:"description"`
			Parameters  *responseParameters `json:"parameters,omitempty"`
		}{false, a.status, a.description, a.params}
	}
	data, err := json.Marshal(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(a.status)
	w.Write(data)
}
