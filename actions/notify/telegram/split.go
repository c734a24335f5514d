package telegram

import (
	"fmt"
	"html"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxUnits is Telegram's limit on a message's text: 4096 UTF-16 code units, counted after
// entity parsing (tags do not count, &amp; counts as one).
const MaxUnits = 4096

// token is one indivisible piece of a message for splitting: a tag, an entity, a newline or
// a run of text of one rune.
type token struct {
	raw   string
	units int    // visible UTF-16 units
	tag   string // tag name for <tag ...> and </tag>
	open  bool   // an opening tag
	close bool   // a closing tag
}

// units counts s in UTF-16 code units, the way Telegram measures length.
func units(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// VisibleUnits is the length Telegram checks: the text after entity parsing in mode.
func VisibleUnits(text, mode string) int {
	n := 0
	for _, t := range tokenize(text, mode) {
		n += t.units
	}
	return n
}

// tokenize splits text into tokens; in HTML mode tags and entities are single tokens, in
// MarkdownV2 a backslash escape is one token.
func tokenize(text, mode string) []token {
	var toks []token
	for i := 0; i < len(text); {
		c := text[i]
		if mode == ModeHTML && c == '<' {
			if j := strings.IndexByte(text[i:], '>'); j > 0 {
				raw := text[i : i+j+1]
				name := strings.TrimPrefix(raw[1:len(raw)-1], "/")
				if k := strings.IndexAny(name, " \t\n"); k >= 0 {
					name = name[:k]
				}
				toks = append(toks, token{raw: raw, tag: strings.ToLower(name), open: raw[1] != '/', close: raw[1] == '/'})
				i += j + 1
				continue
			}
		}
		if mode == ModeHTML && c == '&' {
			if j := strings.IndexByte(text[i:], ';'); j > 1 && j <= 10 {
				raw := text[i : i+j+1]
				toks = append(toks, token{raw: raw, units: units(html.UnescapeString(raw))})
				i += j + 1
				continue
			}
		}
		if mode == ModeMarkdownV2 && c == '\\' && i+1 < len(text) {
			_, n := utf8.DecodeRuneInString(text[i+1:])
			raw := text[i : i+1+n]
			toks = append(toks, token{raw: raw, units: units(raw[1:])})
			i += 1 + n
			continue
		}
		r, n := utf8.DecodeRuneInString(text[i:])
		toks = append(toks, token{raw: text[i : i+n], units: utf16.RuneLen(r)})
		i += n
	}
	return toks
}

// split cuts text into parts of at most MaxUnits visible units each, numbered "(1/3)" when
// there is more than one. It cuts at line ends when it can, else at a space, else anywhere
// between tokens; never inside a tag, an entity or an escape. In HTML mode the tags open at
// a cut are closed at the end of the part and opened again at the start of the next, so
// every part is valid markup on its own.
func split(text, mode string) []string {
	if VisibleUnits(text, mode) <= MaxUnits {
		return []string{text}
	}
	const reserve = 16 // room for the "(12/34)\n" prefix
	budget := MaxUnits - reserve
	toks := tokenize(text, mode)

	var parts []string
	var stack []token // open HTML tags
	var cur strings.Builder
	curUnits := 0

	reopen := func() {
		cur.Reset()
		curUnits = 0
		for _, t := range stack {
			cur.WriteString(t.raw)
		}
	}
	closeAll := func(b *strings.Builder) {
		for i := len(stack) - 1; i >= 0; i-- {
			b.WriteString("</" + stack[i].tag + ">")
		}
	}
	apply := func(t token) {
		switch {
		case t.open && t.tag != "":
			stack = append(stack, t)
		case t.close:
			for i := len(stack) - 1; i >= 0; i-- {
				if stack[i].tag == t.tag {
					stack = stack[:i]
					break
				}
			}
		}
	}
	reopen()
	for i := 0; i < len(toks); {
		// The next chunk: up to and including the next newline.
		end := i
		chunkUnits := 0
		for end < len(toks) {
			chunkUnits += toks[end].units
			end++
			if toks[end-1].raw == "\n" {
				break
			}
		}
		if curUnits+chunkUnits <= budget {
			for _, t := range toks[i:end] {
				cur.WriteString(t.raw)
				apply(t)
			}
			curUnits += chunkUnits
			i = end
			continue
		}
		if curUnits > 0 {
			// Cut before this line.
			var b strings.Builder
			b.WriteString(strings.TrimRight(cur.String(), "\n"))
			closeAll(&b)
			parts = append(parts, b.String())
			reopen()
			continue
		}
		// A single line longer than a whole part: cut it at the last space that fits.
		fit, lastSpace, u := i, -1, 0
		for fit < end && u+toks[fit].units <= budget {
			u += toks[fit].units
			if toks[fit].raw == " " {
				lastSpace = fit
			}
			fit++
		}
		if lastSpace > i && lastSpace < fit {
			fit = lastSpace + 1
		}
		if fit == i {
			fit = i + 1 // one token larger than a part cannot happen, but never loop
		}
		for _, t := range toks[i:fit] {
			cur.WriteString(t.raw)
			apply(t)
		}
		var b strings.Builder
		b.WriteString(cur.String())
		closeAll(&b)
		parts = append(parts, b.String())
		reopen()
		i = fit
	}
	if curUnits > 0 {
		var b strings.Builder
		b.WriteString(cur.String())
		closeAll(&b)
		parts = append(parts, b.String())
	}
	for i := range parts {
		parts[i] = numbering(i+1, len(parts), mode) + parts[i]
	}
	return parts
}

// numbering is the "(1/3)\n" prefix of a part, escaped for MarkdownV2.
func numbering(i, n int, mode string) string {
	if mode == ModeMarkdownV2 {
		return fmt.Sprintf("\\(%d/%d\\)\n", i, n)
	}
	return fmt.Sprintf("(%d/%d)\n", i, n)
}

// Split cuts text, markup in mode, into the parts Notify sends: each at most 4096 UTF-16
// units of visible text, cut on line boundaries, each valid markup on its own.
func Split(text, mode string) []string { return split(text, mode) }
