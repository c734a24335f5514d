package ntfy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/notimon/notimon/actions/notify"
	"github.com/notimon/notimon/actions/notify/webhook"
)

// MaxMessage is the longest message ntfy keeps as a message, in bytes.
const MaxMessage = 4096

// Config is an ntfy notifier's settings.
type Config struct {
	URL     string // the server and the topic: https://ntfy.sh/<topic>
	Token   string // an access token, sent as "Authorization: Bearer <token>"; "" for none
	Tags    []string
	Timeout time.Duration
	Client  *http.Client // nil: the sender's own
}

// Ntfy publishes each message to one topic.
type Ntfy struct {
	topic  string
	tags   []string
	sender *webhook.Sender
}

var _ notify.Notifier = (*Ntfy)(nil)

// topicRE is what ntfy accepts as a topic name.
var topicRE = regexp.MustCompile(`^[-_A-Za-z0-9]{1,64}$`)

// New checks cfg and builds the notifier. It makes no request.
func New(cfg Config) (*Ntfy, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil {
		return nil, errors.New("ntfy: url is not a valid URL")
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, errors.New("ntfy: url must be the server and the topic only (https://ntfy.sh/<topic>), without a query, a fragment or a user; put an access token in token")
	}
	path := strings.TrimSuffix(u.Path, "/")
	i := strings.LastIndexByte(path, '/')
	if i < 0 || path[i+1:] == "" {
		return nil, errors.New("ntfy: url has no topic; write it as https://ntfy.sh/<topic>")
	}
	topic := path[i+1:]
	if !topicRE.MatchString(topic) {
		// The topic is a secret of sorts: say what is wrong, not what it is.
		return nil, errors.New("ntfy: the url's topic (its last segment) must be 1 to 64 letters, digits, '-' or '_'")
	}
	for _, t := range cfg.Tags {
		if t != notify.HeaderValue(t) || strings.Contains(t, ",") {
			return nil, fmt.Errorf("ntfy: tag %q has a comma, a line break or a control character", t)
		}
	}
	root := url.URL{Scheme: u.Scheme, Host: u.Host, Path: path[:i] + "/"}
	var headers map[string]string
	if cfg.Token != "" {
		if err := notify.CheckHeader("Authorization", "Bearer "+cfg.Token); err != nil {
			return nil, fmt.Errorf("ntfy: token: %w", err)
		}
		headers = map[string]string{"Authorization": "Bearer " + cfg.Token}
	}
	s, err := webhook.NewSender("ntfy", webhook.Config{URL: root.String(), Headers: headers, Timeout: cfg.Timeout, Client: cfg.Client}, false)
	if err != nil {
		return nil, err
	}
	return &Ntfy{topic: topic, tags: cfg.Tags, sender: s}, nil
}

// Payload is ntfy's JSON publishing form.
type Payload struct {
	Topic    string   `json:"topic"`
	Message  string   `json:"message"`
	Title    string   `json:"title,omitempty"`
	Tags     []string `json:"tags,omitempty"`
	Priority int      `json:"priority"`
}

// Priority maps a message's severity and state to an ntfy priority (1–5).
func Priority(m notify.Message) int {
	if m.State == "resolved" {
		return 3
	}
	switch strings.ToLower(m.Severity) {
	case "critical":
		return 5
	case "warning":
		return 4
	}
	return 3
}

// Notify makes one POST of m.
func (n *Ntfy) Notify(ctx context.Context, m notify.Message) (bool, error) {
	body, err := json.Marshal(Payload{
		Topic:    n.topic,
		Message:  Truncate(m.Text, MaxMessage),
		Title:    notify.HeaderValue(m.Title),
		Tags:     n.tags,
		Priority: Priority(m),
	})
	if err != nil {
		return false, fmt.Errorf("ntfy: encoding the payload: %w", err)
	}
	retryable, err := n.sender.Post(ctx, body)
	return retryable, notify.RedactError(err, n.topic)
}

// Truncate returns text if it has at most max bytes; otherwise its start, cut at the last
// line break in its second half (else at a character boundary), and a marker saying how
// many bytes were left out.
func Truncate(text string, max int) string {
	if len(text) <= max {
		return text
	}
	marker := fmt.Sprintf("\n… [notimon: %d more bytes left out; ntfy keeps %d]", len(text), max)
	cut := max - len(marker)
	for cut > 0 && !utf8.RuneStart(text[cut]) {
		cut--
	}
	head := text[:cut]
	if nl := strings.LastIndexByte(head, '\n'); nl >= len(head)/2 {
		head = head[:nl]
	}
	return head + fmt.Sprintf("\n… [notimon: %d more bytes left out; ntfy keeps %d]", len(text)-len(head), max)
}
