package discord

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/notimon/notimon/actions/notify"
	"github.com/notimon/notimon/actions/notify/webhook"
)

// MaxContent is the longest content Discord accepts, in characters.
const MaxContent = 2000

// Discord posts each message to one channel webhook.
type Discord struct{ sender *webhook.Sender }

var _ notify.Notifier = (*Discord)(nil)

// New checks cfg and builds the notifier. It makes no request.
func New(cfg webhook.Config) (*Discord, error) {
	s, err := webhook.NewSender("discord", cfg, true) // the path holds the token
	if err != nil {
		return nil, err
	}
	return &Discord{sender: s}, nil
}

// Payload is what the webhook receives.
type Payload struct {
	Content         string   `json:"content"`
	AllowedMentions Mentions `json:"allowed_mentions"`
}

// Mentions is Discord's allowed_mentions; an empty (not absent) Parse pings no one.
type Mentions struct {
	Parse []string `json:"parse"`
}

// Notify sends m in as many parts as it takes, skipping those m.Resume says were delivered.
func (d *Discord) Notify(ctx context.Context, m notify.Message) (bool, error) {
	parts := Split(m.Text, MaxContent)
	first := 0
	if m.Resume.Of == len(parts) && m.Resume.Sent < len(parts) {
		first = m.Resume.Sent
	}
	for i := first; i < len(parts); i++ {
		body, err := json.Marshal(Payload{Content: parts[i], AllowedMentions: Mentions{Parse: []string{}}})
		if err != nil {
			return false, fmt.Errorf("discord: encoding the payload: %w", err)
		}
		retryable, err := d.sender.Post(ctx, body)
		if err != nil {
			if i > 0 {
				err = &notify.PartialError{Parts: notify.Parts{Sent: i, Of: len(parts)}, Err: err}
			}
			return retryable, err
		}
	}
	return false, nil
}

const specials = "\\*_~`|>#-[]()<"

// Escape makes a placeholder's output literal text in Discord markdown: a backslash before
// every character that could start formatting, a heading, a list, a quote, a spoiler, a
// masked link or a mention (<@id>).
func Escape(s string) string {
	if !strings.ContainsAny(s, specials) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(specials, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

const fence = "```"

// Split returns text as parts of at most max characters: text itself when it fits, else
// parts cut at line breaks (a longer line at a space, else between characters, never
// after an escaping backslash), numbered "(i/n)\n", a code block open at a cut closed at
// the end of its part and reopened at the start of the next.
func Split(text string, max int) []string {
	if utf8.RuneCountInString(text) <= max {
		return []string{text}
	}
	room := max - len("(999/999)\n") - 2*len(fence+"\n")
	var chunks []string
	var cur strings.Builder
	curLen := 0
	flush := func() {
		if curLen > 0 {
			chunks = append(chunks, strings.TrimRight(cur.String(), "\n"))
		}
		cur.Reset()
		curLen = 0
	}
	for _, line := range strings.SplitAfter(text, "\n") {
		for line != "" {
			n := utf8.RuneCountInString(line)
			if curLen+n <= room {
				cur.WriteString(line)
				curLen += n
				break
			}
			if curLen > 0 {
				flush()
				continue
			}
			head := cutLine(line, room)
			chunks = append(chunks, head)
			line = line[len(head):]
		}
	}
	flush()
	parts := make([]string, len(chunks))
	open := false
	for i, c := range chunks {
		if open {
			c = fence + "\n" + c
		}
		if strings.Count(c, fence)%2 == 1 {
			c += "\n" + fence
			open = true
		} else {
			open = false
		}
		parts[i] = fmt.Sprintf("(%d/%d)\n%s", i+1, len(chunks), c)
	}
	return parts
}

// cutLine returns the start of line with at most room characters: up to its last space
// when that is in the second half, else as many characters as fit, one fewer when the
// last would be a backslash escaping the next.
func cutLine(line string, room int) string {
	end := len(line)
	for i := range line {
		if room == 0 {
			end = i
			break
		}
		room--
	}
	head := line[:end]
	if sp := strings.LastIndexByte(head, ' '); sp >= len(head)/2 {
		return head[:sp+1]
	}
	if trailing := len(head) - len(strings.TrimRight(head, "\\")); trailing%2 == 1 {
		head = head[:len(head)-1]
	}
	return head
}
