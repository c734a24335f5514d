package notify

import (
	"fmt"
	"strings"
	"unicode"
)

// Header injection: a header is one line, so a value holding a line break ends its header
// and starts another. A rendered value such as "x\r\nBcc: evil@example.org" put into an
// email Subject adds a recipient; into an HTTP header, a header of the attacker's choosing.
// notimon's values come from the system it watches (a process name, an HTTP error, a
// command's output), so every value that reaches a header goes through one of these two:
//
//   - HeaderValue for text notimon puts into a header itself (a Subject or title made from
//     a rendered message): line breaks become spaces and the text is still delivered.
//   - CheckHeader for headers the operator configures (`headers = { ... }`): a line break
//     there is a mistake (a token file's final newline), refused with an error that names
//     the header but never quotes its value, which is often a secret.

// HeaderValue returns s as one header line: every run of line breaks and other control
// characters (CR, LF, NUL, the Unicode line and paragraph separators …) becomes a single
// space, and spaces at either end are trimmed. A tab is kept; header values allow it.
func HeaderValue(s string) string {
	if !strings.ContainsFunc(s, breaksHeader) {
		return strings.TrimSpace(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	gap := false
	for _, r := range s {
		if breaksHeader(r) {
			gap = true
			continue
		}
		if gap {
			b.WriteByte(' ')
			gap = false
		}
		b.WriteRune(r)
	}
	return strings.TrimSpace(b.String())
}

// breaksHeader reports whether r may not stand in a header value: a control character
// other than tab, or a Unicode line or paragraph separator.
func breaksHeader(r rune) bool {
	return r != '\t' && unicode.IsControl(r) || r == '\u2028' || r == '\u2029'
}

// CheckHeader reports why name and value cannot be sent as one HTTP header: a name that is
// not a token (RFC 9110, section 5.6.2), or a value with a line break or another control
// character (net/http would refuse the request at send time). The error names the header,
// never its value.
func CheckHeader(name, value string) error {
	if !ValidToken(name) {
		return fmt.Errorf("header name %q is not a valid HTTP header name (letters, digits and !#$%%&'*+-.^_`|~ only)", name)
	}
	for i := 0; i < len(value); i++ {
		switch c := value[i]; {
		case c == '\r' || c == '\n':
			return fmt.Errorf("the value of header %q contains a line break (CR or LF); a header is one line, and a line break would start another header", name)
		case c == 0:
			return fmt.Errorf("the value of header %q contains a NUL byte", name)
		case c < 0x20 && c != '\t' || c == 0x7f:
			return fmt.Errorf("the value of header %q contains the control character 0x%02x", name, c)
		}
	}
	return nil
}

// ValidToken reports whether s is an HTTP token (RFC 9110, section 5.6.2), which is what a
// header name and a method must be.
func ValidToken(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case strings.ContainsRune("!#$%&'*+-.^_`|~", r):
		default:
			return false
		}
	}
	return true
}
