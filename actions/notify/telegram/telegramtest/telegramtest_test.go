package telegramtest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/notimon/notimon/actions/notify/telegram/telegramtest"
)

const (
	token      = "123456:ABC-def_ghi-JKL"
	wrongToken = "123456:not-the-right-one"
	groupID    = int64(-4001)
	superID    = int64(-1001234567890)
	channelID  = int64(-1009876543210)
	oldGroupID = int64(-4002)
	upgradedID = int64(-1001112223334)
)

var chats = []telegramtest.Chat{
	{ID: groupID},
	{ID: superID},
	{ID: channelID, Type: "channel", Username: "notimon_ops"},
	{ID: oldGroupID, MigrateTo: upgradedID},
}

var defaultChat = strconv.FormatInt(telegramtest.DefaultChatID, 10)

// apiResponse is the Bot API's answer envelope.
type apiResponse struct {
	OK          bool            `json:"ok"`
	ErrorCode   int             `json:"error_code"`
	Description string          `json:"description"`
	Result      json.RawMessage `json:"result"`
	Parameters  struct {
		RetryAfter      int   `json:"retry_after"`
		MigrateToChatID int64 `json:"migrate_to_chat_id"`
	} `json:"parameters"`
}

// An encoding builds a request carrying params the way some client would.
type encoding struct {
	name  string
	build func(t *testing.T, u string, params map[string]string) *http.Request
}

var encodings = []encoding{
	{"multipart", func(t *testing.T, u string, params map[string]string) *http.Request {
		var body bytes.Buffer
		w := multipart.NewWriter(&body)
		for k, v := range params {
			if err := w.WriteField(k, v); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		req := newRequest(t, http.MethodPost, u, &body)
		req.Header.Set("Content-Type", w.FormDataContentType())
		return req
	}},
	{"urlencoded", func(t *testing.T, u string, params map[string]string) *http.Request {
		req := newRequest(t, http.MethodPost, u, strings.NewReader(values(params).Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return req
	}},
	{"json", func(t *testing.T, u string, params map[string]string) *http.Request {
		data, err := json.Marshal(params)
		if err != nil {
			t.Fatal(err)
		}
		req := newRequest(t, http.MethodPost, u, bytes.NewReader(data))
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
		return req
	}},
	{"query", func(t *testing.T, u string, params map[string]string) *http.Request {
		return newRequest(t, http.MethodGet, u+"?"+values(params).Encode(), nil)
	}},
}

func newRequest(t *testing.T, method, u string, body io.Reader) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func values(params map[string]string) url.Values {
	v := url.Values{}
	for k, p := range params {
		v.Set(k, p)
	}
	return v
}

// call sends one request with plain net/http and decodes the answer.
func call(t *testing.T, s *telegramtest.Server, enc encoding, tok, method string, params map[string]string) (int, apiResponse) {
	t.Helper()
	resp, err := http.DefaultClient.Do(enc.build(t, s.URL()+"/bot"+tok+"/"+method, params))
	if err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	defer resp.Body.Close()
	var r apiResponse
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatalf("%s: decoding the answer: %v", method, err)
	}
	if r.OK != (resp.StatusCode == http.StatusOK) || !r.OK && r.ErrorCode != resp.StatusCode {
		t.Errorf("answer %d %+v: ok and error_code disagree with the HTTP status", resp.StatusCode, r)
	}
	return resp.StatusCode, r
}

// sendJSON is call with a JSON body to sendMessage.
func sendJSON(t *testing.T, s *telegramtest.Server, params map[string]string) (int, apiResponse) {
	t.Helper()
	return call(t, s, encodings[2], s.Token(), "sendMessage", params)
}

func TestSendMessage(t *testing.T) {
	cases := []struct {
		name    string
		token   string // default: the server's
		method  string // default: sendMessage
		params  map[string]string
		status  int
		desc    string // the description of an error
		visible string // the visible text of a success
	}{
		{name: "plain text", params: map[string]string{"chat_id": defaultChat, "text": "cpu usage: 93%"},
			status: 200, visible: "cpu usage: 93%"},
		{name: "method name in another case", method: "SENDMESSAGE", params: map[string]string{"chat_id": defaultChat, "text": "x"},
			status: 200, visible: "x"},
		{name: "group", params: map[string]string{"chat_id": "-4001", "text": "in the group"}, status: 200, visible: "in the group"},
		{name: "channel by username", params: map[string]string{"chat_id": "@Notimon_Ops", "text": "to the channel"},
			status: 200, visible: "to the channel"},
		{name: "wrong token", token: wrongToken, params: map[string]string{"chat_id": defaultChat, "text": "x"},
			status: 401, desc: "Unauthorized"},
		{name: "malformed token", token: "not-a-token", params: map[string]string{"chat_id": defaultChat, "text": "x"},
			status: 404, desc: "Not Found"},
		{name: "unknown method", method: "sendTelepathy", params: map[string]string{"chat_id": defaultChat, "text": "x"},
			status: 404, desc: "Not Found"},
		{name: "missing chat_id", params: map[string]string{"text": "x"}, status: 400, desc: "Bad Request: chat_id is empty"},
		{name: "unknown chat", params: map[string]string{"chat_id": "777", "text": "x"}, status: 400, desc: "Bad Request: chat not found"},
		{name: "unknown channel", params: map[string]string{"chat_id": "@nobody_here", "text": "x"}, status: 400, desc: "Bad Request: chat not found"},
		{name: "chat_id neither number nor username", params: map[string]string{"chat_id": "ops", "text": "x"}, status: 400, desc: "Bad Request: chat not found"},
		{name: "missing text", params: map[string]string{"chat_id": defaultChat}, status: 400, desc: "Bad Request: message text is empty"},
		{name: "white space only", params: map[string]string{"chat_id": defaultChat, "text": " \n\t\r\n "}, status: 400, desc: "Bad Request: message text is empty"},
		{name: "empty after HTML parsing", params: map[string]string{"chat_id": defaultChat, "text": "<b></b> ", "parse_mode": "HTML"},
			status: 400, desc: "Bad Request: message text is empty"},
		{name: "unsupported parse_mode", params: map[string]string{"chat_id": defaultChat, "text": "x", "parse_mode": "BBCode"},
			status: 400, desc: "Bad Request: unsupported parse_mode"},
		{name: "parse_mode in lower case", params: map[string]string{"chat_id": defaultChat, "text": "<b>x</b>", "parse_mode": "html"},
			status: 200, visible: "x"},
		{name: "markup refused before the chat is looked up", params: map[string]string{"chat_id": "777", "text": "<x>", "parse_mode": "HTML"},
			status: 400, desc: `Bad Request: can't parse entities: Unsupported start tag "x" at byte offset 0`},
		{name: "trimmed", params: map[string]string{"chat_id": defaultChat, "text": "\n  disk full \n\n"}, status: 200, visible: "disk full"},
		{name: "4096 Korean syllables", params: map[string]string{"chat_id": defaultChat, "text": strings.Repeat("가", 4096)},
			status: 200, visible: strings.Repeat("가", 4096)},
		{name: "4097 Korean syllables", params: map[string]string{"chat_id": defaultChat, "text": strings.Repeat("가", 4097)},
			status: 400, desc: "Bad Request: message is too long"},
		{name: "2048 emoji are 4096 units", params: map[string]string{"chat_id": defaultChat, "text": strings.Repeat("🔥", 2048)},
			status: 200, visible: strings.Repeat("🔥", 2048)},
		{name: "2049 emoji are 4098 units", params: map[string]string{"chat_id": defaultChat, "text": strings.Repeat("🔥", 2049)},
			status: 400, desc: "Bad Request: message is too long"},
		{name: "2047 emoji and 2 syllables", params: map[string]string{"chat_id": defaultChat, "text": strings.Repeat("🔥", 2047) + "가나"},
			status: 200, visible: strings.Repeat("🔥", 2047) + "가나"},
		{name: "2047 emoji and 3 syllables", params: map[string]string{"chat_id": defaultChat, "text": strings.Repeat("🔥", 2047) + "가나다"},
			status: 400, desc: "Bad Request: message is too long"},
		{name: "tags do not count", params: map[string]string{"chat_id": defaultChat, "parse_mode": "HTML",
			"text": "<b>" + strings.Repeat("가", 4000) + "</b><i>" + strings.Repeat("나", 96) + "</i>"},
			status: 200, visible: strings.Repeat("가", 4000) + strings.Repeat("나", 96)},
		{name: "decoded references count once", params: map[string]string{"chat_id": defaultChat, "parse_mode": "HTML",
			"text": strings.Repeat("&amp;", 4096)}, status: 200, visible: strings.Repeat("&", 4096)},
		{name: "one visible unit too many", params: map[string]string{"chat_id": defaultChat, "parse_mode": "HTML",
			"text": "<b>" + strings.Repeat("&lt;", 4096) + "</b>!"}, status: 400, desc: "Bad Request: message is too long"},
		{name: "escapes do not count", params: map[string]string{"chat_id": defaultChat, "parse_mode": "MarkdownV2",
			"text": strings.Repeat(`\.`, 4096)}, status: 200, visible: strings.Repeat(".", 4096)},
		{name: "trailing spaces do not count", params: map[string]string{"chat_id": defaultChat, "text": strings.Repeat("가", 4096) + "   \n"},
			status: 200, visible: strings.Repeat("가", 4096)},
		{name: "upgraded group", params: map[string]string{"chat_id": "-4002", "text": "x"},
			status: 400, desc: "Bad Request: group chat was upgraded to a supergroup chat"},
	}
	for _, enc := range encodings {
		t.Run(enc.name, func(t *testing.T) {
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					s := telegramtest.New(t, token, chats...)
					tok, method := s.Token(), "sendMessage"
					if tc.token != "" {
						tok = tc.token
					}
					if tc.method != "" {
						method = tc.method
					}
					status, r := call(t, s, enc, tok, method, tc.params)
					if status != tc.status || r.Description != tc.desc {
						t.Fatalf("answer %d %q, want %d %q", status, r.Description, tc.status, tc.desc)
					}
					msgs := s.Messages()
					if tc.status != 200 {
						if len(msgs) != 0 {
							t.Errorf("a refused message was recorded: %+v", msgs)
						}
						return
					}
					if len(msgs) != 1 {
						t.Fatalf("%d messages recorded, want 1", len(msgs))
					}
					m := msgs[0]
					if m.Visible != tc.visible || m.Text != tc.params["text"] || m.ChatID != tc.params["chat_id"] || m.ID != 1 {
						t.Errorf("recorded %+v", m)
					}
					var res models.Message
					if err := json.Unmarshal(r.Result, &res); err != nil {
						t.Fatal(err)
					}
					if res.ID != 1 || res.Text != tc.visible || res.Chat.ID != m.Chat.ID || res.Date == 0 {
						t.Errorf("result %+v", res)
					}
				})
			}
		})
	}
}

func TestMigrationParameters(t *testing.T) {
	s := telegramtest.New(t, token, chats...)
	status, r := sendJSON(t, s, map[string]string{"chat_id": "-4002", "text": "x"})
	if status != 400 || r.Parameters.MigrateToChatID != upgradedID {
		t.Fatalf("answer %d %+v, want 400 with migrate_to_chat_id %d", status, r, upgradedID)
	}
	// A group upgraded in the middle of a test.
	s.SetChat(telegramtest.Chat{ID: groupID, MigrateTo: superID})
	if status, r := sendJSON(t, s, map[string]string{"chat_id": "-4001", "text": "x"}); status != 400 || r.Parameters.MigrateToChatID != superID {
		t.Fatalf("answer %d %+v after SetChat", status, r)
	}
	if status, _ := sendJSON(t, s, map[string]string{"chat_id": "-1001234567890", "text": "x"}); status != 200 {
		t.Fatalf("the supergroup answered %d", status)
	}
}

func TestRecordsFieldsAsSent(t *testing.T) {
	s := telegramtest.New(t, token, chats...)
	// JSON members that are not strings, as a JSON client sends them.
	body := `{"chat_id": -1001234567890, "text": "<b>web-01</b> down", "parse_mode": "HTML",
		"message_thread_id": 42, "disable_notification": true}`
	resp, err := http.Post(s.URL()+"/bot"+token+"/sendMessage", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var r apiResponse
	json.NewDecoder(resp.Body).Decode(&r)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("answer %d %q", resp.StatusCode, r.Description)
	}
	want := telegramtest.Message{ID: 1, ChatID: "-1001234567890", Chat: telegramtest.Chat{ID: superID}, ThreadID: 42,
		Text: "<b>web-01</b> down", Visible: "web-01 down", ParseMode: "HTML", DisableNotification: true}
	got := s.Messages()[0]
	if got.Time.IsZero() {
		t.Error("no time recorded")
	}
	got.Time = time.Time{}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("recorded\n%+v\nwant\n%+v", got, want)
	}
	var res models.Message
	json.Unmarshal(r.Result, &res)
	if res.MessageThreadID != 42 || res.Chat.Type != "supergroup" || res.From == nil || res.From.Username != telegramtest.BotUsername {
		t.Errorf("result %+v", res)
	}
	req := s.Requests()[0]
	if req.ContentType != "application/json" || req.Params["chat_id"] != "-1001234567890" || req.Params["disable_notification"] != "true" {
		t.Errorf("request %+v", req)
	}

	// parse_mode: null is the string "null" to the Bot API, a classic trap of JSON senders.
	resp, err = http.Post(s.URL()+"/bot"+token+"/sendMessage", "application/json",
		strings.NewReader(`{"chat_id": 100200300, "text": "x", "parse_mode": null}`))
	if err != nil {
		t.Fatal(err)
	}
	json.NewDecoder(resp.Body).Decode(&r)
	resp.Body.Close()
	if r.Description != "Bad Request: unsupported parse_mode" {
		t.Errorf("parse_mode null: %d %q", resp.StatusCode, r.Description)
	}
}

func TestHTML(t *testing.T) {
	cases := []struct {
		name, text string
		visible    string // of a success
		err        string // after "can't parse entities: "
	}{
		{name: "nested tags", text: "<b>bold <i>italic <u>under</u></i></b> <s>gone</s>", visible: "bold italic under gone"},
		{name: "synonyms", text: "<strong>a</strong><em>b</em><ins>c</ins><strike>d</strike><del>e</del>", visible: "abcde"},
		{name: "tags in upper case", text: "<B>x</B>", visible: "x"},
		{name: "link", text: `<a href="http://x">here</a>`, visible: "here"},
		{name: "link with single quotes and an escaped query", text: `<a href='https://x.org/?a=1&amp;b=2'>q</a>`, visible: "q"},
		{name: "spoiler span", text: `<span class="tg-spoiler">secret</span>`, visible: "secret"},
		{name: "spoiler tag", text: `<tg-spoiler>secret</tg-spoiler>`, visible: "secret"},
		{name: "pre with a language", text: "<pre><code class=\"language-go\">x := 1</code></pre>", visible: "x := 1"},
		{name: "blockquote", text: "<blockquote>q</blockquote><blockquote expandable>e</blockquote>", visible: "qe"},
		{name: "custom emoji", text: `<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>`, visible: "👍"},
		{name: "an empty end tag closes the last", text: "<b>x</>", visible: "x"},
		{name: "references", text: "&lt;defunct&gt; &amp; &quot;co&quot; &#65;&#x42;&#x1F525;", visible: `<defunct> & "co" AB🔥`},
		{name: "references without ';'", text: "&lt&gt&amp", visible: "<>&"},
		{name: "unknown entity kept as text", text: "&foo; &nbsp; &copy", visible: "&foo; &nbsp; &copy"},
		{name: "bare ampersand kept as text", text: "Q&A, AT&T & co", visible: "Q&A, AT&T & co"},
		{name: "a lone greater-than", text: "a > b", visible: "a > b"},
		{name: "leading spaces kept inside pre", text: "<pre>  indented</pre>\n", visible: "  indented"},
		{name: "leading spaces trimmed before the first entity", text: "\n  <b>x</b>", visible: "x"},

		{name: "unknown tag", text: "cpu is high <defunct> process", err: `Unsupported start tag "defunct" at byte offset 12`},
		{name: "a less-than", text: "a < b", err: `Unsupported start tag "" at byte offset 2`},
		{name: "a less-than before a word", text: "load <5 now", err: `Unsupported start tag "5" at byte offset 5`},
		{name: "byte offsets count bytes", text: "привет <br>", err: `Unsupported start tag "br" at byte offset 13`},
		{name: "unclosed b", text: "<b>x", err: `Can't find end tag corresponding to start tag "b"`},
		{name: "misnested", text: "<b><i>x</b></i>", err: `Unmatched end tag at byte offset 7, expected "</i>", found "</b>"`},
		{name: "misnested, empty", text: "<b><i></b></i>", err: `Unmatched end tag at byte offset 6, expected "</i>", found "</b>"`},
		{name: "end tag without start", text: "x</b>", err: "Unexpected end tag at byte offset 1"},
		{name: "span without class", text: "<span>x</span>", err: `Tag "span" must have class "tg-spoiler" at byte offset 0`},
		{name: "span with another class", text: `<span class="red">x</span>`, err: `Tag "span" must have class "tg-spoiler" at byte offset 0`},
		{name: "unclosed start tag", text: "x <b", err: "Unclosed start tag at byte offset 2"},
		{name: "a less-than at the end", text: "load <5", err: "Unclosed start tag at byte offset 5"},
		{name: "unclosed attribute", text: "<a href", err: `Unclosed start tag "a" at byte offset 0`},
		{name: "unclosed end tag", text: "<b>x</b", err: "Unclosed end tag at byte offset 4"},
		{name: "empty attribute name", text: `<a ="x">y</a>`, err: `Empty attribute name in the tag "a" at byte offset 0`},
		{name: "bad name token", text: "<a href=x/>y</a>", err: "Unexpected end of name token at byte offset 8"},
		{name: "self-closing tag", text: "<br/>", err: `Unsupported start tag "br/" at byte offset 0`},
		{name: "bad custom emoji id", text: `<tg-emoji emoji-id="x">y</tg-emoji>`, err: "Invalid custom emoji identifier specified"},
		{name: "lone surrogate", text: "&#xD83D;", err: "Text contains invalid Unicode characters after decoding HTML entities, check for unmatched surrogate code units"},
	}
	s := telegramtest.New(t, token)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkMarkup(t, s, "HTML", tc.text, tc.visible, tc.err)
		})
	}
}

// checkMarkup sends text in mode and checks the answer against a visible text or an error.
func checkMarkup(t *testing.T, s *telegramtest.Server, mode, text, visible, parseErr string) {
	t.Helper()
	status, r := sendJSON(t, s, map[string]string{"chat_id": defaultChat, "text": text, "parse_mode": mode})
	if parseErr != "" {
		want := "Bad Request: can't parse entities: " + parseErr
		if status != 400 || r.Description != want {
			t.Errorf("%q: answer %d %q, want 400 %q", text, status, r.Description, want)
		}
		return
	}
	if status != 200 {
		t.Fatalf("%q: answer %d %q, want 200", text, status, r.Description)
	}
	var res models.Message
	if err := json.Unmarshal(r.Result, &res); err != nil {
		t.Fatal(err)
	}
	if res.Text != visible {
		t.Errorf("%q: visible %q, want %q", text, res.Text, visible)
	}
}

func TestStrictAmpersands(t *testing.T) {
	s := telegramtest.New(t, token)
	s.StrictAmpersands(true)
	cases := []struct{ text, visible, err string }{
		{text: "&lt;b&gt; &amp; &quot; &#65; &#x42;", visible: `<b> & " A B`},
		{text: "AT&T", err: `Unescaped "&" at byte offset 2 (telegramtest strict mode: Telegram itself would keep it as text)`},
		{text: "a &foo; b", err: `Unescaped "&" at byte offset 2 (telegramtest strict mode: Telegram itself would keep it as text)`},
		{text: "x&lty", err: `Unescaped "&" at byte offset 1 (telegramtest strict mode: Telegram itself would keep it as text)`},
		{text: `<a href="/?a=1&b=2">x</a>`, err: `Unescaped "&" at byte offset 14 (telegramtest strict mode: Telegram itself would keep it as text)`},
	}
	for _, tc := range cases {
		checkMarkup(t, s, "HTML", tc.text, tc.visible, tc.err)
	}
	s.StrictAmpersands(false)
	checkMarkup(t, s, "HTML", "AT&T", "AT&T", "")
}

func TestMarkdownV2(t *testing.T) {
	reserved := func(c string) string {
		return "Character '" + c + "' is reserved and must be escaped with the preceding '\\'"
	}
	cases := []struct {
		name, text string
		visible    string
		err        string
	}{
		{name: "escaped dot", text: `hello\.`, visible: "hello."},
		{name: "bold", text: "*bold*", visible: "bold"},
		{name: "all entities", text: "*b* _i_ __u__ ~s~ ||sp|| `c.o-d(e)` [link](http://x.org/a_(b\\)) ```go\nx := 1\n```",
			visible: "b i u s sp c.o-d(e) link x := 1"},
		{name: "nested", text: "*bold _italic bold ~strike~_*", visible: "bold italic bold strike"},
		{name: "every reserved character escaped", text: `\_\*\[\]\(\)\~\` + "`" + `\>\#\+\-\=\|\{\}\.\!`, visible: "_*[]()~`>#+-=|{}.!"},
		{name: "backslash before a letter", text: `\a\\`, visible: `a\`},
		{name: "block quote", text: ">quoted\n>lines\nafter", visible: "quoted\nlines\nafter"},
		{name: "expandable block quote", text: "**>quoted\n>more||\nafter", visible: "quoted\nmore\nafter"},
		{name: "custom emoji", text: "![👍](tg://emoji?id=5368324170671202286)", visible: "👍"},
		{name: "link with invalid URL is plain text", text: "[ ](as) x", visible: "x"},

		{name: "unescaped dot", text: "hello.", err: reserved(".")},
		{name: "unescaped minus", text: "cpu - 93%", err: reserved("-")},
		{name: "unescaped parenthesis", text: "load (1m)", err: reserved("(")},
		{name: "single pipe", text: "a|b", err: reserved("|")},
		{name: "greater-than inside a line", text: "a>b", err: reserved(">")},
		{name: "exclamation", text: "down!", err: reserved("!")},
		{name: "unclosed bold", text: "*bold", err: "Can't find end of Bold entity at byte offset 0"},
		{name: "unclosed italic after emoji", text: "🏟 🏟_abacaba", err: "Can't find end of Italic entity at byte offset 9"},
		{name: "unclosed code", text: "x `y", err: "Can't find end of Code entity at byte offset 2"},
		{name: "unclosed pre with language", text: "```a \nb", err: "Can't find end of PreCode entity at byte offset 0"},
		{name: "unclosed URL", text: `[telegram\.org](asd\)`, err: "Can't find end of a URL at byte offset 16"},
		{name: "bold across a quote's end", text: ">*b\n>ld \n>bo\nld*\nasd\ndef", err: "Can't find end of Bold entity at byte offset 1"},
		{name: "bad custom emoji", text: "![👍](tg://emoji#test)", err: "Custom emoji URL must have an emoji identifier"},
	}
	s := telegramtest.New(t, token)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkMarkup(t, s, "MarkdownV2", tc.text, tc.visible, tc.err)
		})
	}
}

func TestLegacyMarkdown(t *testing.T) {
	cases := []struct{ name, text, visible, err string }{
		{name: "entities", text: "*b* _i_ `c` [l](http://x.org) ```\npre```", visible: "b i c l pre"},
		{name: "dots and dashes need no escape", text: "load 1.5 - fine!", visible: "load 1.5 - fine!"},
		{name: "escapes", text: `\_\*`, visible: "_*"},
		{name: "unclosed", text: "a _b", err: "Can't find end of the entity starting at byte offset 2"},
	}
	s := telegramtest.New(t, token)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkMarkup(t, s, "Markdown", tc.text, tc.visible, tc.err)
		})
	}
}

func TestUTF16Len(t *testing.T) {
	cases := []struct {
		s    string
		want int
	}{
		{"", 0}, {"abc", 3}, {"가나다", 3}, {"привет", 6}, {"🔥", 2}, {"👍🏽", 4}, {"é", 1}, {"€", 1},
	}
	for _, tc := range cases {
		if got := telegramtest.UTF16Len(tc.s); got != tc.want {
			t.Errorf("UTF16Len(%q) = %d, want %d", tc.s, got, tc.want)
		}
	}
}

// newBot is a go-telegram/bot client of s, the way the notifier builds one.
func newBot(t *testing.T, s *telegramtest.Server, tok string) *bot.Bot {
	t.Helper()
	b, err := bot.New(tok, bot.WithSkipGetMe(), bot.WithServerURL(s.URL()))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestGoTelegramClient(t *testing.T) {
	cases := []struct {
		name   string
		token  string
		setup  func(s *telegramtest.Server)
		params bot.SendMessageParams
		check  func(t *testing.T, err error)
		status int // of the request the server recorded; 0: dropped or hung
	}{
		{
			name:   "delivered",
			params: bot.SendMessageParams{ChatID: telegramtest.DefaultChatID, Text: "<b>web-01</b> cpu 93%", ParseMode: models.ParseModeHTML},
			check:  wantNoError,
			status: 200,
		},
		{
			name:   "wrong token",
			token:  wrongToken,
			params: bot.SendMessageParams{ChatID: telegramtest.DefaultChatID, Text: "x"},
			check:  wantIs(bot.ErrorUnauthorized, "Unauthorized"),
			status: 401,
		},
		{
			name:   "unknown chat",
			params: bot.SendMessageParams{ChatID: 777, Text: "x"},
			check:  wantIs(bot.ErrorBadRequest, "chat not found"),
			status: 400,
		},
		{
			name:   "unparsable HTML",
			params: bot.SendMessageParams{ChatID: telegramtest.DefaultChatID, Text: "<defunct>", ParseMode: models.ParseModeHTML},
			check:  wantIs(bot.ErrorBadRequest, `can't parse entities: Unsupported start tag "defunct" at byte offset 0`),
			status: 400,
		},
		{
			name:   "unparsable MarkdownV2",
			params: bot.SendMessageParams{ChatID: telegramtest.DefaultChatID, Text: "v1.2", ParseMode: models.ParseModeMarkdown},
			check:  wantIs(bot.ErrorBadRequest, "Character '.' is reserved"),
			status: 400,
		},
		{
			name:   "too long",
			params: bot.SendMessageParams{ChatID: telegramtest.DefaultChatID, Text: strings.Repeat("🔥", 2049)},
			check:  wantIs(bot.ErrorBadRequest, "message is too long"),
			status: 400,
		},
		{
			name:   "429",
			setup:  func(s *telegramtest.Server) { s.Inject(telegramtest.TooManyRequests(7)) },
			params: bot.SendMessageParams{ChatID: telegramtest.DefaultChatID, Text: "x"},
			check: func(t *testing.T, err error) {
				var tooMany *bot.TooManyRequestsError
				if !errors.As(err, &tooMany) || tooMany.RetryAfter != 7 || !strings.Contains(tooMany.Message, "Too Many Requests: retry after 7") {
					t.Errorf("err = %v, want *bot.TooManyRequestsError with RetryAfter 7", err)
				}
			},
			status: 429,
		},
		{
			name:   "500",
			setup:  func(s *telegramtest.Server) { s.Inject(telegramtest.ServerError(500)) },
			params: bot.SendMessageParams{ChatID: telegramtest.DefaultChatID, Text: "x"},
			check:  wantText("500 Internal Server Error"),
			status: 500,
		},
		{
			name:   "502 nginx page",
			setup:  func(s *telegramtest.Server) { s.Inject(telegramtest.ServerErrorHTML(502)) },
			params: bot.SendMessageParams{ChatID: telegramtest.DefaultChatID, Text: "x"},
			check:  wantText("<title>502 Bad Gateway</title>"),
			status: 502,
		},
		{
			name: "403",
			setup: func(s *telegramtest.Server) {
				s.Inject(telegramtest.APIError(403, "Forbidden: bot was blocked by the user"))
			},
			params: bot.SendMessageParams{ChatID: telegramtest.DefaultChatID, Text: "x"},
			check:  wantIs(bot.ErrorForbidden, "bot was blocked by the user"),
			status: 403,
		},
		{
			name:   "migrated group",
			params: bot.SendMessageParams{ChatID: oldGroupID, Text: "x"},
			check: func(t *testing.T, err error) {
				var migrate *bot.MigrateError
				if !errors.As(err, &migrate) || int64(migrate.MigrateToChatID) != upgradedID {
					t.Errorf("err = %v, want *bot.MigrateError to %d", err, upgradedID)
				}
			},
			status: 400,
		},
		{
			name:   "dropped connection",
			setup:  func(s *telegramtest.Server) { s.Inject(telegramtest.Drop()) },
			params: bot.SendMessageParams{ChatID: telegramtest.DefaultChatID, Text: "x"},
			check: func(t *testing.T, err error) {
				var urlErr *url.Error
				if !errors.As(err, &urlErr) {
					t.Errorf("err = %v, want a transport error", err)
				}
			},
			status: 0,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := telegramtest.New(t, token, chats...)
			if tc.setup != nil {
				tc.setup(s)
			}
			tok := token
			if tc.token != "" {
				tok = tc.token
			}
			_, err := newBot(t, s, tok).SendMessage(context.Background(), &tc.params)
			tc.check(t, err)
			if err != nil && strings.Contains(err.Error(), tok) {
				t.Errorf("the token is in the error: %v", err)
			}
			reqs := s.WaitRequests(t, 1, 5*time.Second)
			if len(reqs) != 1 || reqs[0].Status != tc.status || reqs[0].ContentType != "multipart/form-data" || reqs[0].Method != "sendMessage" {
				t.Errorf("requests %+v, want one multipart sendMessage answered %d", reqs, tc.status)
			}
			wantDelivered := 0
			if tc.status == 200 {
				wantDelivered = 1
			}
			if delivered := len(s.Messages()); delivered != wantDelivered {
				t.Errorf("%d messages delivered, want %d", delivered, wantDelivered)
			}
		})
	}
}

func wantNoError(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Errorf("err = %v", err)
	}
}

func wantIs(target error, text string) func(*testing.T, error) {
	return func(t *testing.T, err error) {
		t.Helper()
		if !errors.Is(err, target) || !strings.Contains(err.Error(), text) {
			t.Errorf("err = %v, want %v with %q", err, target, text)
		}
	}
}

func wantText(text string) func(*testing.T, error) {
	return func(t *testing.T, err error) {
		t.Helper()
		if err == nil || !strings.Contains(err.Error(), text) {
			t.Errorf("err = %v, want one with %q", err, text)
		}
	}
}

func TestGetMe(t *testing.T) {
	s := telegramtest.New(t, token)
	me, err := newBot(t, s, token).GetMe(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if me.ID != 123456 || !me.IsBot || me.Username != telegramtest.BotUsername {
		t.Errorf("getMe = %+v", me)
	}
}

func TestHangUntilTheClientGivesUp(t *testing.T) {
	s := telegramtest.New(t, token)
	s.Inject(telegramtest.Hang())
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := newBot(t, s, token).SendMessage(ctx, &bot.SendMessageParams{ChatID: telegramtest.DefaultChatID, Text: "x"})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want the deadline", err)
	}
	if took := time.Since(start); took > 5*time.Second { // a failure bound: the server never answers
		t.Errorf("gave up after %v", took)
	}
	reqs := s.WaitRequests(t, 1, 5*time.Second)
	if reqs[0].Status != 0 || reqs[0].Fault != "Hang" {
		t.Errorf("request %+v", reqs[0])
	}
	// The next request is answered again.
	if _, err := newBot(t, s, token).SendMessage(context.Background(), &bot.SendMessageParams{ChatID: telegramtest.DefaultChatID, Text: "x"}); err != nil {
		t.Fatal(err)
	}
	closeWithin(t, s, 2*time.Second)
}

func TestCloseEndsAHungRequest(t *testing.T) {
	s := telegramtest.New(t, token)
	s.Inject(telegramtest.Hang())
	errc := hangingRequest(t, s, http.DefaultClient)
	closeWithin(t, s, 2*time.Second)
	select {
	case err := <-errc:
		var urlErr *url.Error
		if !errors.As(err, &urlErr) {
			t.Errorf("client got %v, want a transport error", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the client still waits after Close")
	}
	if reqs := s.Requests(); len(reqs) != 1 || reqs[0].Description != "hung until the server closed" {
		t.Errorf("requests %+v", reqs)
	}
}

// hangingRequest starts a getMe with client, which the server must have planned to hang,
// and returns once the request hangs there; its error arrives on the channel.
func hangingRequest(t *testing.T, s *telegramtest.Server, client *http.Client) <-chan error {
	t.Helper()
	wrote := make(chan struct{})
	trace := &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) { close(wrote) }}
	req := newRequest(t, http.MethodGet, s.URL()+"/bot"+token+"/getMe", nil)
	req = req.WithContext(httptrace.WithClientTrace(context.Background(), trace))
	errc := make(chan error, 1)
	go func() {
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			err = fmt.Errorf("answered %s", resp.Status)
		}
		errc <- err
	}()
	select {
	case <-wrote:
	case <-time.After(5 * time.Second):
		t.Fatal("the request was not sent")
	}
	s.WaitHanging(t, 1, 5*time.Second)
	return errc
}

// closeWithin fails the test if Close takes longer than d.
func closeWithin(t *testing.T, s *telegramtest.Server, d time.Duration) {
	t.Helper()
	done := make(chan struct{})
	go func() { s.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("Close took more than %v", d)
	}
}

func TestFaultPlans(t *testing.T) {
	cases := []struct {
		name   string
		plan   func(s *telegramtest.Server)
		calls  int
		status []int
		faults []string
	}{
		{
			name:   "queue then normal",
			plan:   func(s *telegramtest.Server) { s.Inject(telegramtest.TooManyRequests(1), telegramtest.ServerError(500)) },
			calls:  3,
			status: []int{429, 500, 200},
			faults: []string{"TooManyRequests(1)", "ServerError(500)", ""},
		},
		{
			name:   "an outage of n calls",
			plan:   func(s *telegramtest.Server) { s.Fail(3, telegramtest.ServerError(503)) },
			calls:  4,
			status: []int{503, 503, 503, 200},
		},
		{
			name:   "the n-th request",
			plan:   func(s *telegramtest.Server) { s.FailAt(3, telegramtest.ServerErrorHTML(502)) },
			calls:  4,
			status: []int{200, 200, 502, 200},
			faults: []string{"", "", "ServerErrorHTML(502)", ""},
		},
		{
			name: "injected faults fill the requests left free",
			plan: func(s *telegramtest.Server) {
				s.FailAt(2, telegramtest.ServerError(500))
				s.Inject(telegramtest.TooManyRequests(2), telegramtest.TooManyRequests(3))
			},
			calls:  4,
			status: []int{429, 500, 429, 200},
			faults: []string{"TooManyRequests(2)", "ServerError(500)", "TooManyRequests(3)", ""},
		},
		{
			name: "FailAt replaces a planned fault",
			plan: func(s *telegramtest.Server) {
				s.Fail(2, telegramtest.ServerError(500))
				s.FailAt(1, telegramtest.APIError(403, "Forbidden: bot is not a member of the channel chat"))
			},
			calls:  3,
			status: []int{403, 500, 200},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := telegramtest.New(t, token)
			tc.plan(s)
			for range tc.calls {
				resp, err := http.Post(s.URL()+"/bot"+token+"/sendMessage", "application/x-www-form-urlencoded",
					strings.NewReader("chat_id="+defaultChat+"&text=x"))
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
			}
			reqs := s.Requests()
			var status []int
			var faults []string
			for _, r := range reqs {
				status = append(status, r.Status)
				faults = append(faults, r.Fault)
			}
			if !slices.Equal(status, tc.status) {
				t.Errorf("statuses %v, want %v", status, tc.status)
			}
			if tc.faults != nil && !slices.Equal(faults, tc.faults) {
				t.Errorf("faults %q, want %q", faults, tc.faults)
			}
			if got, want := len(s.Messages()), countOK(status); got != want {
				t.Errorf("%d messages delivered, want %d", got, want)
			}
		})
	}
}

func countOK(status []int) int {
	n := 0
	for _, s := range status {
		if s == 200 {
			n++
		}
	}
	return n
}

func TestTooManyRequestsBody(t *testing.T) {
	s := telegramtest.New(t, token)
	s.Inject(telegramtest.TooManyRequests(12))
	status, r := sendJSON(t, s, map[string]string{"chat_id": defaultChat, "text": "x"})
	if status != 429 || r.Description != "Too Many Requests: retry after 12" || r.Parameters.RetryAfter != 12 {
		t.Errorf("answer %d %+v", status, r)
	}
}

func TestServerErrorHTMLBody(t *testing.T) {
	s := telegramtest.New(t, token)
	s.Inject(telegramtest.ServerErrorHTML(502))
	resp, err := http.Get(s.URL() + "/bot" + token + "/getMe")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var page bytes.Buffer
	page.ReadFrom(resp.Body)
	if resp.StatusCode != 502 || resp.Header.Get("Content-Type") != "text/html" ||
		!strings.Contains(page.String(), "<center><h1>502 Bad Gateway</h1></center>") {
		t.Errorf("answer %s %q: %s", resp.Status, resp.Header.Get("Content-Type"), page.String())
	}
}

func TestDownUp(t *testing.T) {
	s := telegramtest.New(t, token)
	b := newBot(t, s, token)
	send := func() error {
		_, err := b.SendMessage(context.Background(), &bot.SendMessageParams{ChatID: telegramtest.DefaultChatID, Text: "x"})
		return err
	}
	if err := send(); err != nil {
		t.Fatal(err)
	}
	s.Down()
	// The first attempt may find its pooled connection cut rather than be refused.
	for i := range 3 {
		err := send()
		if err == nil || i > 0 && !strings.Contains(err.Error(), "connection refused") {
			t.Fatalf("attempt %d while down: err = %v, want connection refused", i+1, err)
		}
	}
	s.Up()
	if err := send(); err != nil {
		t.Fatalf("after Up: %v", err)
	}
	if reqs := s.Requests(); len(reqs) != 2 {
		t.Errorf("%d requests recorded, want the 2 the server received", len(reqs))
	}
	closeWithin(t, s, 2*time.Second)
}

func TestDownCutsAHungRequest(t *testing.T) {
	s := telegramtest.New(t, token)
	s.Inject(telegramtest.Hang())
	errc := hangingRequest(t, s, &http.Client{Transport: &http.Transport{}})
	s.Down()
	select {
	case err := <-errc:
		var urlErr *url.Error
		if !errors.As(err, &urlErr) {
			t.Errorf("client got %v, want a transport error", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the hung request outlived Down")
	}
	s.Up()
	if status, _ := sendJSON(t, s, map[string]string{"chat_id": defaultChat, "text": "x"}); status != 200 {
		t.Errorf("after Up: %d", status)
	}
}

func TestWaitForAsynchronousSenders(t *testing.T) {
	s := telegramtest.New(t, token)
	s.Inject(telegramtest.ServerError(500))
	go func() {
		b, err := bot.New(token, bot.WithSkipGetMe(), bot.WithServerURL(s.URL()))
		if err != nil {
			return
		}
		for i := range 3 {
			time.Sleep(20 * time.Millisecond)
			b.SendMessage(context.Background(), &bot.SendMessageParams{ChatID: telegramtest.DefaultChatID, Text: "alert " + strconv.Itoa(i)})
		}
	}()
	msgs := s.WaitMessages(t, 2, 5*time.Second)
	if msgs[0].Visible != "alert 1" || msgs[1].Visible != "alert 2" || msgs[0].ID != 1 || msgs[1].ID != 2 {
		t.Errorf("messages %+v", msgs)
	}
	if reqs := s.WaitRequests(t, 3, 5*time.Second); reqs[0].Status != 500 {
		t.Errorf("requests %+v", reqs)
	}
}

func TestWaitFailsTheTest(t *testing.T) {
	s := telegramtest.New(t, token)
	ft := &fakeT{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() { recover() }()
		s.WaitMessages(ft, 1, 50*time.Millisecond)
	}()
	<-done
	if !ft.failed || !strings.Contains(ft.msg, "0 messages delivered") {
		t.Errorf("WaitMessages did not fail the test: %q", ft.msg)
	}
}

// fakeT records a Fatalf instead of ending the test.
type fakeT struct {
	testing.TB
	failed bool
	msg    string
}

func (f *fakeT) Helper() {}
func (f *fakeT) Fatalf(format string, args ...any) {
	f.failed, f.msg = true, fmt.Sprintf(format, args...)
	panic("fatal")
}

func TestTokenNeverShown(t *testing.T) {
	s := telegramtest.New(t, token)
	s.Inject(telegramtest.Drop())
	b := newBot(t, s, token)
	_, err := b.SendMessage(context.Background(), &bot.SendMessageParams{ChatID: telegramtest.DefaultChatID, Text: "x"})
	sendJSON(t, s, map[string]string{"chat_id": defaultChat, "text": "x"})
	call(t, s, encodings[0], wrongToken, "sendMessage", map[string]string{"chat_id": defaultChat, "text": "x"})
	shown := fmt.Sprintf("%v %+v %#v %s %v %+v %v", s, s, s, s.URL(), s.Requests(), s.Messages(), err)
	if s.Token() != token {
		t.Fatalf("Token() = %q", s.Token())
	}
	for _, secret := range []string{token, "ABC-def_ghi-JKL", wrongToken} {
		if strings.Contains(shown, secret) {
			t.Errorf("%q shows in %s", secret, shown)
		}
	}
}

func TestConcurrentSenders(t *testing.T) {
	s := telegramtest.New(t, token, chats...)
	s.Fail(5, telegramtest.TooManyRequests(1))
	var wg sync.WaitGroup
	const senders, each = 8, 10
	for g := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b, err := bot.New(token, bot.WithSkipGetMe(), bot.WithServerURL(s.URL()))
			if err != nil {
				t.Error(err)
				return
			}
			for i := range each {
				for {
					_, err := b.SendMessage(context.Background(), &bot.SendMessageParams{ChatID: groupID, Text: fmt.Sprintf("%d/%d", g, i)})
					if err == nil {
						break
					}
					if !bot.IsTooManyRequestsError(err) {
						t.Error(err)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	msgs := s.Messages()
	if len(msgs) != senders*each {
		t.Fatalf("%d messages, want %d", len(msgs), senders*each)
	}
	seen := map[string]bool{}
	for i, m := range msgs {
		if m.ID != i+1 {
			t.Errorf("message %d has id %d", i, m.ID)
		}
		seen[m.Visible] = true
	}
	if len(seen) != senders*each {
		t.Errorf("%d distinct texts", len(seen))
	}
	if n := len(s.Requests()); n != senders*each+5 {
		t.Errorf("%d requests, want %d", n, senders*each+5)
	}
}
