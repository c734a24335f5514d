package slack

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/notimon/notimon/actions/notify"
	"github.com/notimon/notimon/actions/notify/webhook"
)

// MaxText is the longest text Slack posts whole, in characters; it truncates longer ones.
const MaxText = 40000

// Slack posts each message to one incoming webhook.
type Slack struct{ sender *webhook.Sender }

var _ notify.Notifier = (*Slack)(nil)

// New checks cfg and builds the notifier. It makes no request.
func New(cfg webhook.Config) (*Slack, error) {
	s, err := webhook.NewSender("slack", cfg, true) // the path is the token
	if err != nil {
		return nil, err
	}
	return &Slack{sender: s}, nil
}

// Payload is what an incoming webhook receives.
type Payload struct {
	Text string `json:"text"`
}

// Notify makes one POST of m's text, cut to MaxText characters.
func (s *Slack) Notify(ctx context.Context, m notify.Message) (bool, error) {
	body, err := json.Marshal(Payload{Text: Truncate(m.Text, MaxText)})
	if err != nil {
		return false, fmt.Errorf("slack: encoding the payload: %w", err)
	}
	return s.sender.Post(ctx, body)
}

var escaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// Escape makes a placeholder's output literal text in mrkdwn: Slack reads &, < and > as
// the start of an escape, a link or a mention (<!channel>), and asks for these three to be
// escaped; nothing else needs it.
func Escape(s string) string { return escaper.Replace(s) }

// Truncate returns text if it has at most max characters; otherwise its start, cut at the
// last line break of the allowed length when one falls in its second half (else at a
// character boundary, never inside an &amp;-style escape), followed by a marker that says
// how many characters were left out.
func Truncate(text string, max int) string {
	n := utf8.RuneCountInString(text)
	if n <= max {
		return text
	}
	marker := func(left int) string {
		return fmt.Sprintf("\n… [notimon: %d more characters left out; Slack takes at most %d]", left, max)
	}
	keep := max - utf8.RuneCountInString(marker(n)) // the count has at most as many digits as n
	if keep < 0 {
		keep = 0
	}
	cut := 0
	for i := range text { // the byte offset of the keep-th character
		if keep == 0 {
			cut = i
			break
		}
		keep--
	}
	head := text[:cut]
	if nl := strings.LastIndexByte(head, '\n'); nl >= len(head)/2 {
		head = head[:nl]
	} else if amp := strings.LastIndexByte(head, '&'); amp >= 0 && !strings.Contains(head[amp:], ";") && len(head)-amp <= len("&amp;") {
		head = head[:amp] // an escape cut in half would show as text
	}
	return head + marker(n-utf8.RuneCountInString(head))
}
