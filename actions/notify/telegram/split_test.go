package telegram

import (
	"fmt"
	"strings"
	"testing"
)

func TestUnitsCountLikeTelegram(t *testing.T) {
	for _, tc := range []struct {
		text, mode string
		want       int
	}{
		{"hello", ModeNone, 5},
		{"메모리 사용량", ModeNone, 7},             // Hangul syllables: one unit each
		{"🔥", ModeNone, 2},                   // outside the BMP: a surrogate pair
		{"<b>굵게</b>", ModeHTML, 2},           // tags do not count
		{"a &lt;b&gt; &amp; c", ModeHTML, 9}, // entities count as the character
		{"<b>x</b>", ModeNone, 8},            // without a parse mode, tags are text
		{`1\.5`, ModeMarkdownV2, 3},          // the escape does not count
	} {
		if got := VisibleUnits(tc.text, tc.mode); got != tc.want {
			t.Errorf("VisibleUnits(%q, %s) = %d, want %d", tc.text, tc.mode, got, tc.want)
		}
	}
}

func TestSplitShortMessageIsUntouched(t *testing.T) {
	text := strings.Repeat("가", MaxUnits)
	if parts := split(text, ModeHTML); len(parts) != 1 || parts[0] != text {
		t.Errorf("a message of exactly %d units was split into %d parts", MaxUnits, len(parts))
	}
}

// checkParts asserts every part fits, is numbered, and that joined they give back the text.
func checkParts(t *testing.T, text, mode string, parts []string) {
	t.Helper()
	if len(parts) < 2 {
		t.Fatalf("got %d part(s), want several", len(parts))
	}
	var rebuilt strings.Builder
	for i, p := range parts {
		prefix := numbering(i+1, len(parts), mode)
		if !strings.HasPrefix(p, prefix) {
			t.Errorf("part %d does not start with %q: %.40q", i+1, prefix, p)
		}
		if u := VisibleUnits(p, mode); u > MaxUnits {
			t.Errorf("part %d has %d units, over %d", i+1, u, MaxUnits)
		}
		rebuilt.WriteString(PlainText(strings.TrimPrefix(p, prefix), mode))
	}
	want := strings.ReplaceAll(PlainText(text, mode), "\n", "")
	if got := strings.ReplaceAll(rebuilt.String(), "\n", ""); got != want {
		t.Errorf("the parts do not add up to the message: got %d chars, want %d", len(got), len(want))
	}
}

func TestSplitKoreanOnLineBoundaries(t *testing.T) {
	var b strings.Builder
	for i := 0; b.Len() < 30000; i++ {
		fmt.Fprintf(&b, "%04d번째 줄: 메모리 사용량이 높습니다 🔥\n", i)
	}
	text := b.String()
	parts := split(text, ModeNone)
	checkParts(t, text, ModeNone, parts)
	for i, p := range parts {
		body := strings.TrimPrefix(p, numbering(i+1, len(parts), ModeNone))
		for _, line := range strings.Split(body, "\n") {
			if !strings.Contains(text, line+"\n") {
				t.Fatalf("part %d has a line that was cut: %q", i+1, line)
			}
		}
	}
}

func TestSplitKeepsHTMLValidInEveryPart(t *testing.T) {
	var b strings.Builder
	b.WriteString("<b>[web-01 서버]</b>\n<pre>")
	for i := 0; i < 600; i++ {
		fmt.Fprintf(&b, "proc %d &lt;defunct&gt; &amp; co\n", i)
	}
	b.WriteString("</pre>\n<i>end</i>")
	text := b.String()
	parts := split(text, ModeHTML)
	checkParts(t, text, ModeHTML, parts)
	for i, p := range parts {
		if strings.Count(p, "<pre>") != strings.Count(p, "</pre>") {
			t.Errorf("part %d leaves <pre> unbalanced", i+1)
		}
		if i > 0 && !strings.HasPrefix(strings.TrimPrefix(p, numbering(i+1, len(parts), ModeHTML)), "<pre>") && strings.Contains(p, "proc") {
			t.Errorf("part %d continues the <pre> block without reopening it", i+1)
		}
		if strings.Contains(p, "&amp") && !strings.Contains(p, "&amp;") {
			t.Errorf("part %d cuts an entity", i+1)
		}
	}
}

func TestSplitOneHugeLine(t *testing.T) {
	word := "경고 "
	text := "<b>" + strings.Repeat(word, 5000) + "</b>"
	parts := split(text, ModeHTML)
	checkParts(t, text, ModeHTML, parts)
	for i, p := range parts {
		body := strings.TrimPrefix(p, numbering(i+1, len(parts), ModeHTML))
		if !strings.HasPrefix(body, "<b>") || !strings.HasSuffix(body, "</b>") {
			t.Errorf("part %d of a bold line is not bold on its own: %.20q…%.20q", i+1, body, body[max(0, len(body)-20):])
		}
		if strings.Contains(body, "경고경") {
			t.Errorf("part %d glued words", i+1)
		}
	}
	// A line with no spaces at all is cut between characters, never inside one.
	text = strings.Repeat("가", 10000)
	parts = split(text, ModeNone)
	checkParts(t, text, ModeNone, parts)
}

func TestSplitMarkdownV2NeverCutsAnEscape(t *testing.T) {
	text := strings.Repeat(`1\.5 `, 3000)
	parts := split(text, ModeMarkdownV2)
	checkParts(t, text, ModeMarkdownV2, parts)
	for i, p := range parts {
		if strings.HasSuffix(p, `\`) {
			t.Errorf("part %d ends inside an escape", i+1)
		}
		if !strings.HasPrefix(p, `\(`) {
			t.Errorf("part %d numbering is not escaped for MarkdownV2: %.10q", i+1, p)
		}
	}
}

func TestEscapers(t *testing.T) {
	if got, want := EscapeHTML("<defunct> & co"), "&lt;defunct&gt; &amp; co"; got != want {
		t.Errorf("EscapeHTML = %q, want %q", got, want)
	}
	if got, want := EscapeMarkdownV2("cpu 50.5% (high)!"), `cpu 50\.5% \(high\)\!`; got != want {
		t.Errorf("EscapeMarkdownV2 = %q, want %q", got, want)
	}
	if Escaper(ModeNone) != nil {
		t.Error("parse_mode none must not escape")
	}
}

func TestPlainText(t *testing.T) {
	if got, want := PlainText("<b>a &lt; b</b> <defunct>", ModeHTML), "a < b <defunct>"; got != want {
		t.Errorf("PlainText = %q, want %q", got, want)
	}
}
