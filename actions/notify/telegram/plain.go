package telegram

import (
	"html"
	"strings"
)

// PlainText turns a message in mode into the text a reader would see: tags removed and
// entities decoded for HTML, escapes removed for MarkdownV2. It is lenient: it is used when
// Telegram has refused the markup, so the markup may be broken.
func PlainText(text, mode string) string {
	switch mode {
	case ModeHTML:
		var b strings.Builder
		for _, t := range tokenize(text, mode) {
			if t.tag != "" && allowedTag(t.tag) {
				continue
			}
			if strings.HasPrefix(t.raw, "&") {
				b.WriteString(html.UnescapeString(t.raw))
				continue
			}
			b.WriteString(t.raw)
		}
		return b.String()
	case ModeMarkdownV2:
		var b strings.Builder
		for _, t := range tokenize(text, mode) {
			b.WriteString(strings.TrimPrefix(t.raw, "\\"))
		}
		return b.String()
	}
	return text
}

// allowedTag reports whether Telegram's HTML mode knows the tag.
func allowedTag(name string) bool {
	switch name {
	case "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler",
		"a", "code", "pre", "blockquote", "tg-emoji":
		return true
	}
	return false
}
