package telegramtest

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The parsers below follow TDLib's parse_html, parse_markdown_v2 and parse_markdown
// (td/telegram/MessageEntity.cpp), which the Bot API runs on every text with a parse_mode:
// same scanning rules, same byte offsets, same error messages. They compute the visible text
// only; the entities themselves are not kept, except where the first one starts, which decides
// how far Telegram trims leading white space.

// markupError is a refusal by a parser. The server prefixes it with
// "Bad Request: can't parse entities: ".
type markupError string

func (e markupError) Error() string { return string(e) }

func refuse(format string, args ...any) error { return markupError(fmt.Sprintf(format, args...)) }

// errUnsupportedMode is answered as "Bad Request: unsupported parse_mode".
var errUnsupportedMode = markupError("unsupported parse_mode")

// parsed is a text after its markup is parsed and before Telegram cleans and trims it.
type parsed struct {
	text string
	// first is the byte offset in text where the first formatting entity starts, or -1.
	first int
}

// firstEntity tracks where the earliest non-empty entity starts.
type firstEntity int

func (f *firstEntity) add(pos int) {
	if *f < 0 || pos < int(*f) {
		*f = firstEntity(pos)
	}
}

// parseMarkup parses text as mode says; mode is compared case-insensitively, as the Bot API
// does. strictAmp makes HTML refuse an "&" that is not a complete character reference.
func parseMarkup(text, mode string, strictAmp bool) (parsed, error) {
	switch strings.ToLower(mode) {
	case "", "none":
		return parsed{text: text, first: -1}, nil
	case "html":
		return parseHTML(text, strictAmp)
	case "markdownv2":
		return parseMarkdownV2(text)
	case "markdown":
		return parseMarkdown(text)
	}
	return parsed{}, errUnsupportedMode
}

// at reads text as TDLib reads a C string: past the end is NUL.
func at(text string, i int) byte {
	if i < len(text) {
		return text[i]
	}
	return 0
}

// isSpace is TDLib's is_space, NUL included (that is what stops its scans at the end).
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == 0 || c == '\v'
}

func isAlpha(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isAlnum(c byte) bool { return isAlpha(c) || isDigit(c) }

func hexValue(c byte) (uint64, bool) {
	switch {
	case isDigit(c):
		return uint64(c - '0'), true
	case 'a' <= c && c <= 'f':
		return uint64(c-'a') + 10, true
	case 'A' <= c && c <= 'F':
		return uint64(c-'A') + 10, true
	}
	return 0, false
}

// asciiLower is TDLib's to_lower: ASCII letters only.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// utf16Units is how many UTF-16 code units the character starting with byte c takes, 0 for a
// continuation byte: Telegram counts lengths and offsets in UTF-16.
func utf16Units(c byte) int {
	switch {
	case c&0xC0 == 0x80:
		return 0
	case c >= 0xF0:
		return 2
	}
	return 1
}

// UTF16Len is the length of s as Telegram counts it: UTF-16 code units, so a Korean syllable
// counts 1 and an emoji outside the Basic Multilingual Plane counts 2.
func UTF16Len(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

// decodeHTMLEntity is TDLib's decode_html_entity: &lt; &gt; &amp; &quot; and numeric
// references, the ';' optional. It returns 0 for anything else, which stays literal text;
// next is the offset after the reference.
func decodeHTMLEntity(text string, pos int) (code uint32, next int, semicolon bool) {
	end := pos + 1
	if at(text, pos+1) == '#' {
		var res uint64
		end++
		if at(text, pos+2) == 'x' {
			end++
			for {
				v, ok := hexValue(at(text, end))
				if !ok {
					break
				}
				res = min(res*16+v, 1<<40)
				end++
			}
		} else {
			for isDigit(at(text, end)) {
				res = min(res*10+uint64(at(text, end)-'0'), 1<<40)
				end++
			}
		}
		if res == 0 || res >= 0x10FFFF || end-pos >= 10 {
			return 0, pos, false
		}
		code = uint32(res)
	} else {
		for isAlpha(at(text, end)) {
			end++
		}
		switch text[pos+1 : end] {
		case "lt":
			code = '<'
		case "gt":
			code = '>'
		case "amp":
			code = '&'
		case "quot":
			code = '"'
		default:
			return 0, pos, false
		}
	}
	if at(text, end) == ';' {
		return code, end + 1, true
	}
	return code, end, false
}

var htmlTags = map[string]bool{
	"a": true, "b": true, "strong": true, "i": true, "em": true, "s": true, "strike": true,
	"del": true, "u": true, "ins": true, "tg-spoiler": true, "tg-emoji": true, "span": true,
	"pre": true, "code": true, "blockquote": true,
}

// parseHTML is TDLib's do_parse_html.
func parseHTML(text string, strictAmp bool) (parsed, error) {
	type open struct {
		tag, arg string
		utf16    int // UTF-16 offset where the entity starts
		pos      int // byte offset in out where the entity starts
	}
	var (
		stack     []open
		out       = make([]byte, 0, len(text))
		utf16     int
		surrogate bool
		first     = firstEntity(-1)
	)
	for i := 0; i < len(text); i++ {
		c := text[i]
		if c == '&' {
			code, next, semicolon := decodeHTMLEntity(text, i)
			if strictAmp && (code == 0 || !semicolon) {
				return parsed{}, refuse("Unescaped \"&\" at byte offset %d (telegramtest strict mode: Telegram itself would keep it as text)", i)
			}
			if code != 0 {
				utf16++
				if code > 0xFFFF {
					utf16++
				}
				surrogate = surrogate || 0xD800 <= code && code <= 0xDFFF
				out = utf8.AppendRune(out, rune(code))
				i = next - 1
				continue
			}
		}
		if c != '<' {
			utf16 += utf16Units(c)
			out = append(out, c)
			continue
		}

		begin := i
		i++
		if at(text, i) != '/' {
			// A start tag.
			for !isSpace(at(text, i)) && at(text, i) != '>' {
				i++
			}
			if at(text, i) == 0 {
				return parsed{}, refuse("Unclosed start tag at byte offset %d", begin)
			}
			tag := asciiLower(text[begin+1 : i])
			if !htmlTags[tag] {
				return parsed{}, refuse("Unsupported start tag %q at byte offset %d", tag, begin)
			}
			arg := ""
			for at(text, i) != '>' {
				for at(text, i) != 0 && isSpace(at(text, i)) {
					i++
				}
				if at(text, i) == '>' {
					break
				}
				nameBegin := i
				for c := at(text, i); !isSpace(c) && !strings.ContainsRune("=>/\"'", rune(c)); c = at(text, i) {
					i++
				}
				name := text[nameBegin:i]
				if name == "" {
					return parsed{}, refuse("Empty attribute name in the tag %q at byte offset %d", tag, begin)
				}
				for at(text, i) != 0 && isSpace(at(text, i)) {
					i++
				}
				if at(text, i) != '=' {
					if at(text, i) == 0 {
						return parsed{}, refuse("Unclosed start tag %q at byte offset %d", tag, begin)
					}
					if tag == "blockquote" && name == "expandable" {
						arg = "1"
					}
					continue
				}
				i++
				for at(text, i) != 0 && isSpace(at(text, i)) {
					i++
				}
				if at(text, i) == 0 {
					return parsed{}, refuse("Unclosed start tag %q at byte offset %d", tag, begin)
				}
				var value string
				if q := at(text, i); q != '\'' && q != '"' {
					// A name token: letters, digits, periods and hyphens, not case-sensitive.
					tokenBegin := i
					for isAlnum(at(text, i)) || at(text, i) == '.' || at(text, i) == '-' {
						i++
					}
					value = asciiLower(text[tokenBegin:i])
					if !isSpace(at(text, i)) && at(text, i) != '>' {
						return parsed{}, refuse("Unexpected end of name token at byte offset %d", tokenBegin)
					}
				} else {
					i++
					var v []byte
					for at(text, i) != q && at(text, i) != 0 {
						if at(text, i) == '&' {
							code, next, semicolon := decodeHTMLEntity(text, i)
							if strictAmp && (code == 0 || !semicolon) {
								return parsed{}, refuse("Unescaped \"&\" at byte offset %d (telegramtest strict mode: Telegram itself would keep it as text)", i)
							}
							if code != 0 {
								v = utf8.AppendRune(v, rune(code))
								i = next
								continue
							}
						}
						v = append(v, text[i])
						i++
					}
					if at(text, i) == q {
						i++
					}
					value = string(v)
				}
				if at(text, i) == 0 {
					return parsed{}, refuse("Unclosed start tag at byte offset %d", begin)
				}
				switch {
				case tag == "a" && name == "href", tag == "tg-emoji" && name == "emoji-id":
					arg = value
				case tag == "code" && name == "class" && strings.HasPrefix(value, "language-"):
					arg = value[len("language-"):]
				case tag == "span" && name == "class" && strings.HasPrefix(value, "tg-"):
					arg = value[len("tg-"):]
				case tag == "blockquote" && name == "expandable":
					arg = "1"
				}
			}
			if tag == "span" && arg != "spoiler" {
				return parsed{}, refuse("Tag \"span\" must have class \"tg-spoiler\" at byte offset %d", begin)
			}
			stack = append(stack, open{tag: tag, arg: arg, utf16: utf16, pos: len(out)})
			continue
		}

		// An end tag.
		if len(stack) == 0 {
			return parsed{}, refuse("Unexpected end tag at byte offset %d", begin)
		}
		for !isSpace(at(text, i)) && at(text, i) != '>' {
			i++
		}
		endTag := asciiLower(text[begin+2 : i])
		for isSpace(at(text, i)) && at(text, i) != 0 {
			i++
		}
		if at(text, i) != '>' {
			return parsed{}, refuse("Unclosed end tag at byte offset %d", begin)
		}
		top := stack[len(stack)-1]
		if endTag != "" && endTag != top.tag {
			return parsed{}, refuse("Unmatched end tag at byte offset %d, expected \"</%s>\", found \"</%s>\"", begin, top.tag, endTag)
		}
		if utf16 > top.utf16 {
			switch top.tag {
			case "tg-emoji":
				if !validCustomEmojiID(top.arg) {
					return parsed{}, refuse("Invalid custom emoji identifier specified")
				}
				first.add(top.pos)
			case "a":
				href := top.arg
				if href == "" {
					href = string(out[top.pos:])
				}
				if validLink(href) {
					first.add(top.pos)
				}
			default:
				first.add(top.pos)
			}
		}
		stack = stack[:len(stack)-1]
	}
	if len(stack) > 0 {
		return parsed{}, refuse("Can't find end tag corresponding to start tag %q", stack[len(stack)-1].tag)
	}
	if surrogate {
		return parsed{}, refuse("Text contains invalid Unicode characters after decoding HTML entities, check for unmatched surrogate code units")
	}
	return parsed{text: string(out), first: int(first)}, nil
}

// mdType is a MarkdownV2 entity type, named as TDLib names it in its errors.
type mdType int

const (
	mdBold mdType = iota
	mdItalic
	mdUnderline
	mdStrikethrough
	mdSpoiler
	mdCode
	mdPre
	mdPreCode
	mdTextURL
	mdCustomEmoji
	mdBlockQuote
	mdExpandableBlockQuote
)

func (t mdType) String() string {
	return [...]string{"Bold", "Italic", "Underline", "Strikethrough", "Spoiler", "Code", "Pre",
		"PreCode", "TextUrl", "CustomEmoji", "BlockQuote", "ExpandableBlockQuote"}[t]
}

func reserved(c byte) error {
	return refuse("Character '%c' is reserved and must be escaped with the preceding '\\'", c)
}

// parseMarkdownV2 is TDLib's do_parse_markdown_v2, block quotes included.
func parseMarkdownV2(text string) (parsed, error) {
	type open struct {
		typ     mdType
		utf16   int // UTF-16 offset where the entity starts
		byteOff int // byte offset in text of its opening mark, for errors
		pos     int // byte offset in out where the entity starts
	}
	var (
		stack         []open
		out           = make([]byte, 0, len(text))
		utf16         int
		haveQuote     bool
		canStartQuote = true
		first         = firstEntity(-1)
	)
	cantFindEnd := func(o open) error {
		return refuse("Can't find end of %s entity at byte offset %d", o.typ, o.byteOff)
	}
	// readURL reads a parenthesised URL from i, on its '(', with '\' escapes; it returns the
	// URL and the offset of the ')'.
	readURL := func(i int) (string, int, bool) {
		var u []byte
		for i < len(text) && text[i] != ')' {
			if text[i] == '\\' && at(text, i+1) > 0 && at(text, i+1) <= 126 {
				u = append(u, text[i+1])
				i += 2
				continue
			}
			u = append(u, text[i])
			i++
		}
		return string(u), i, at(text, i) == ')'
	}

	for i := 0; i < len(text); i++ {
		c := text[i]
		if c == '\\' && at(text, i+1) > 0 && at(text, i+1) <= 126 {
			i++
			utf16++
			out = append(out, text[i])
			if text[i] != '\r' {
				canStartQuote = text[i] == '\n'
			}
			continue
		}

		reservedChars := "_*[]()~`>#+-=|{}.!\n"
		if n := len(stack); n > 0 {
			switch stack[n-1].typ {
			case mdCode, mdPre, mdPreCode:
				reservedChars = "`"
			}
		}
		if strings.IndexByte(reservedChars, c) < 0 {
			if u := utf16Units(c); u > 0 {
				utf16 += u
				if c != '\r' {
					canStartQuote = false
				}
			}
			out = append(out, c)
			continue
		}

		isEnd := false
		if n := len(stack); n > 0 {
			if haveQuote && c == '\n' && (i+1 == len(text) || text[i+1] != '>') {
				isEnd = true
			} else {
				switch stack[n-1].typ {
				case mdBold:
					isEnd = c == '*'
				case mdItalic:
					isEnd = c == '_' && at(text, i+1) != '_'
				case mdCode:
					isEnd = c == '`'
				case mdPre, mdPreCode:
					isEnd = c == '`' && at(text, i+1) == '`' && at(text, i+2) == '`'
				case mdTextURL, mdCustomEmoji:
					isEnd = c == ']'
				case mdUnderline:
					isEnd = c == '_' && at(text, i+1) == '_'
				case mdStrikethrough:
					isEnd = c == '~'
				case mdSpoiler:
					isEnd = c == '|' && at(text, i+1) == '|'
				}
			}
		}

		if !isEnd {
			// The start of an entity.
			var typ mdType
			byteOff := i
			switch c {
			case '_':
				typ = mdItalic
				if at(text, i+1) == '_' {
					typ = mdUnderline
					i++
				}
			case '*':
				typ = mdBold
			case '~':
				typ = mdStrikethrough
			case '|':
				if at(text, i+1) != '|' {
					return parsed{}, reserved(c)
				}
				i++
				typ = mdSpoiler
			case '[':
				typ = mdTextURL
			case '`':
				if at(text, i+1) == '`' && at(text, i+2) == '`' {
					i += 3
					typ = mdPre
					langEnd := i
					for !isSpace(at(text, langEnd)) && at(text, langEnd) != '`' {
						langEnd++
					}
					if i != langEnd && langEnd < len(text) && at(text, langEnd) != '`' {
						typ = mdPreCode
						i = langEnd
					}
					// One line break after the opening mark is skipped.
					if at(text, i) == '\n' || at(text, i) == '\r' {
						if (at(text, i+1) == '\n' || at(text, i+1) == '\r') && at(text, i) != at(text, i+1) {
							i += 2
						} else {
							i++
						}
					}
					i--
				} else {
					typ = mdCode
				}
			case '!':
				if at(text, i+1) != '[' {
					return parsed{}, reserved(c)
				}
				i++
				typ = mdCustomEmoji
			case '\n':
				utf16++
				out = append(out, '\n')
				canStartQuote = true
				continue
			case '>':
				if !canStartQuote {
					return parsed{}, reserved(c)
				}
				if haveQuote {
					continue // the next line of the same quote
				}
				typ = mdBlockQuote
				haveQuote = true
			default:
				return parsed{}, reserved(c)
			}
			stack = append(stack, open{typ: typ, utf16: utf16, byteOff: byteOff, pos: len(out)})
			continue
		}

		// The end of an entity.
		top := stack[len(stack)-1]
		typ := top.typ
		if c == '\n' && typ != mdBlockQuote {
			// Only "||" right before the line break may end a quote here: it makes it expandable.
			if typ != mdSpoiler || !(top.byteOff == i-2 || top.byteOff == i-3 && len(out) != 0 && out[len(out)-1] == '\r') {
				return parsed{}, cantFindEnd(top)
			}
			stack = stack[:len(stack)-1]
			top = stack[len(stack)-1]
			if top.typ != mdBlockQuote {
				return parsed{}, cantFindEnd(top)
			}
			typ = mdExpandableBlockQuote
		}
		skip := utf16 == top.utf16
		switch typ {
		case mdUnderline, mdSpoiler:
			i++
		case mdPre, mdPreCode:
			i += 2
		case mdTextURL:
			link := string(out[top.pos:])
			if at(text, i+1) == '(' {
				u, end, ok := readURL(i + 2)
				if !ok {
					return parsed{}, refuse("Can't find end of a URL at byte offset %d", i+2)
				}
				link, i = u, end
			}
			if !validLink(link) {
				skip = true
			}
		case mdCustomEmoji:
			if at(text, i+1) != '(' {
				return parsed{}, refuse("Custom emoji entity must contain a tg://emoji URL")
			}
			u, end, ok := readURL(i + 2)
			if !ok {
				return parsed{}, refuse("Can't find end of a custom emoji URL at byte offset %d", i+2)
			}
			if err := checkCustomEmojiURL(u); err != nil {
				return parsed{}, err
			}
			i = end
		case mdBlockQuote, mdExpandableBlockQuote:
			haveQuote = false
			out = append(out, text[i])
			canStartQuote = true
			utf16++
			skip = false
		}
		if !skip {
			first.add(top.pos)
		}
		stack = stack[:len(stack)-1]
	}
	if haveQuote {
		// A quote running to the end of the text, maybe closed by a final "||".
		if top := stack[len(stack)-1]; top.typ == mdSpoiler && top.byteOff == len(text)-2 {
			stack = stack[:len(stack)-1]
		}
		if top := stack[len(stack)-1]; top.typ == mdBlockQuote {
			if utf16 != top.utf16 {
				first.add(top.pos)
			}
			stack = stack[:len(stack)-1]
		}
	}
	if len(stack) > 0 {
		return parsed{}, cantFindEnd(stack[len(stack)-1])
	}
	return parsed{text: string(out), first: int(first)}, nil
}

// parseMarkdown is TDLib's do_parse_markdown, the legacy "Markdown" mode: _italic_, *bold*,
// `code`, ```pre```, [text](url); '\' escapes only those marks.
func parseMarkdown(text string) (parsed, error) {
	var (
		out   = make([]byte, 0, len(text))
		utf16 int
		first = firstEntity(-1)
	)
	for i := 0; i < len(text); i++ {
		c := text[i]
		if next := at(text, i+1); c == '\\' && (next == '_' || next == '*' || next == '`' || next == '[') {
			i++
			out = append(out, text[i])
			utf16++
			continue
		}
		if c != '_' && c != '*' && c != '`' && c != '[' {
			utf16 += utf16Units(c)
			out = append(out, c)
			continue
		}

		begin := i
		end := c
		if c == '[' {
			end = ']'
		}
		i++
		isPre := false
		if c == '`' && at(text, i) == '`' && at(text, i+1) == '`' {
			i += 2
			isPre = true
			langEnd := i
			for !isSpace(at(text, langEnd)) && at(text, langEnd) != '`' {
				langEnd++
			}
			if i != langEnd && langEnd < len(text) && at(text, langEnd) != '`' {
				i = langEnd
			}
			if at(text, i) == '\n' || at(text, i) == '\r' {
				if (at(text, i+1) == '\n' || at(text, i+1) == '\r') && at(text, i) != at(text, i+1) {
					i += 2
				} else {
					i++
				}
			}
		}
		entityUTF16, entityPos := utf16, len(out)
		for i < len(text) && (text[i] != end || isPre && !(at(text, i+1) == '`' && at(text, i+2) == '`')) {
			utf16 += utf16Units(text[i])
			out = append(out, text[i])
			i++
		}
		if i == len(text) {
			return parsed{}, refuse("Can't find end of the entity starting at byte offset %d", begin)
		}
		if entityUTF16 != utf16 {
			if c == '[' {
				link := string(out[entityPos:])
				if at(text, i+1) == '(' {
					i += 2
					var u []byte
					for i < len(text) && text[i] != ')' {
						u = append(u, text[i])
						i++
					}
					link = string(u)
				}
				if validLink(link) {
					first.add(entityPos)
				}
			} else {
				first.add(entityPos)
			}
		}
		if isPre {
			i += 2
		}
	}
	return parsed{text: string(out), first: int(first)}, nil
}

// validLink approximates TDLib's LinkManager::get_checked_link, which decides whether a link
// entity is kept (an invalid link is dropped silently, never refused).
func validLink(link string) bool {
	link = strings.TrimSpace(link)
	if link == "" {
		return false
	}
	u, err := url.Parse(link)
	if err != nil {
		return false
	}
	switch strings.ToLower(u.Scheme) {
	case "tg", "ton", "tonsite":
		return true
	case "http", "https":
		return u.Host != ""
	case "":
		u, err = url.Parse("http://" + link)
		return err == nil && strings.Contains(u.Hostname(), ".")
	}
	return false
}

// checkCustomEmojiURL is TDLib's LinkManager::get_link_custom_emoji_id.
func checkCustomEmojiURL(link string) error {
	u, err := url.Parse(link)
	if err != nil || !strings.EqualFold(u.Scheme, "tg") {
		return refuse("Custom emoji URL must have scheme tg")
	}
	host := u.Host
	if host == "" {
		host, _, _ = strings.Cut(u.Opaque, "/")
	}
	if !strings.EqualFold(host, "emoji") {
		return refuse("Custom emoji URL must have host \"emoji\"")
	}
	id := u.Query().Get("id")
	if id == "" {
		return refuse("Custom emoji URL must have an emoji identifier")
	}
	if !validCustomEmojiID(id) {
		return refuse("Invalid custom emoji identifier specified")
	}
	return nil
}

func validCustomEmojiID(id string) bool {
	n, err := strconv.ParseInt(id, 10, 64)
	return err == nil && n > 0 && strconv.FormatInt(n, 10) == id
}

// visibleText is what Telegram keeps of a parsed text (TDLib's fix_formatted_text): '\r'
// removed, other control characters and tabs turned into spaces, bidirectional overrides and
// a few combining marks removed, trailing spaces and line breaks trimmed, and leading ones
// trimmed up to the first formatting entity.
func visibleText(p parsed) string {
	s := p.text
	b := make([]byte, 0, len(s))
	firstOut := -1
	for pos := 0; pos < len(s); pos++ {
		if pos == p.first {
			firstOut = len(b)
		}
		c := s[pos]
		switch {
		case c == '\r':
		case c == '\n':
			b = append(b, c)
		case c <= ' ':
			b = append(b, ' ')
		case c == 0xE2 && pos+2 < len(s) && s[pos+1] == 0x80 && 0xA8 <= s[pos+2] && s[pos+2] <= 0xAE:
			pos += 2 // U+2028..U+202E
		case c == 0xCC && pos+1 < len(s) && (s[pos+1] == 0xB3 || s[pos+1] == 0xBF || s[pos+1] == 0x8A):
			pos++ // U+0333, U+033F, U+030A
		default:
			b = append(b, c)
		}
	}
	last := len(b) - 1
	for last >= 0 && (b[last] == ' ' || b[last] == '\n') {
		last--
	}
	if last < 0 {
		return ""
	}
	b = b[:last+1]
	limit := len(b)
	if firstOut >= 0 && firstOut < limit {
		limit = firstOut
	}
	start := 0
	for start < limit && (b[start] == ' ' || b[start] == '\n') {
		start++
	}
	return string(b[start:])
}

// isEmptyText approximates TDLib's is_empty_string: nothing but white space and invisible
// fillers.
func isEmptyText(s string) bool {
	for _, r := range s {
		switch {
		case unicode.IsSpace(r), r == 0x180E, 0x200B <= r && r <= 0x200F, r == 0x2800, r == 0x3164, r == 0xFFFC:
		default:
			return false
		}
	}
	return true
}
