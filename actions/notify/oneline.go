package notify

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// OneLine makes s fit an error message: invalid UTF-8 becomes U+FFFD, every run of spaces,
// line breaks and other control characters becomes one space (none at either end), and a
// result longer than max bytes is cut on a character boundary and ends in "…". Notifiers
// quote a service's reason with it (Telegram's description, a webhook's answer), so that a
// reason never spreads over several log lines nor fills the outbox.
func OneLine(s string, max int) string {
	s = strings.Join(strings.FieldsFunc(strings.ToValidUTF8(s, "\uFFFD"), func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r)
	}), " ")
	if len(s) <= max {
		return s
	}
	n := max
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
