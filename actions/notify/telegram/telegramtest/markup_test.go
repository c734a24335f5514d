package telegramtest

import "testing"

// The vectors below are TDLib's own (test/message_entities.cpp, parse_html and
// parse_markdown): the parsers must refuse and accept exactly what TDLib does, with the same
// messages and byte offsets.

func TestTDLibHTMLVectors(t *testing.T) {
	surrogate := "Text contains invalid Unicode characters after decoding HTML entities, check for unmatched surrogate code units"
	cases := []struct{ in, out, err string }{
		{in: "&#57311;", err: surrogate},
		{in: "&#xDFDF;", err: surrogate},
		{in: "&#xDFDF", err: surrogate},
		{in: "🏟 🏟&lt;<abacaba", err: "Unclosed start tag at byte offset 13"},
		{in: "🏟 🏟&lt;<abac aba>", err: `Unsupported start tag "abac" at byte offset 13`},
		{in: "🏟 🏟&lt;<abac>", err: `Unsupported start tag "abac" at byte offset 13`},
		{in: "🏟 🏟&lt;<i   =aba>", err: `Empty attribute name in the tag "i" at byte offset 13`},
		{in: "🏟 🏟&lt;<i    aba>", err: `Can't find end tag corresponding to start tag "i"`},
		{in: "🏟 🏟&lt;<i    aba  =  ", err: `Unclosed start tag "i" at byte offset 13`},
		{in: "🏟 🏟&lt;<i    aba  =  190azAz-.,", err: "Unexpected end of name token at byte offset 27"},
		{in: "🏟 🏟&lt;<i    aba  =  \"&lt;&gt;&quot;>", err: "Unclosed start tag at byte offset 13"},
		{in: "🏟 🏟&lt;<i    aba  =  '&lt;&gt;&quot;>", err: "Unclosed start tag at byte offset 13"},
		{in: "🏟 🏟&lt;</", err: "Unexpected end tag at byte offset 13"},
		{in: "🏟 🏟&lt;<b></b></", err: "Unexpected end tag at byte offset 20"},
		{in: "🏟 🏟&lt;<i>a</i   ", err: "Unclosed end tag at byte offset 17"},
		{in: "🏟 🏟&lt;<i>a</em   >", err: `Unmatched end tag at byte offset 17, expected "</i>", found "</em>"`},

		{in: "", out: ""},
		{in: "&ge;&lt;&gt;&amp;&quot;&laquo;&raquo;&#12345678;", out: `&ge;<>&"&laquo;&raquo;&#12345678;`},
		{in: "&Or;", out: "&Or;"},
		{in: "🏟 🏟<i>🏟 &gt;<b aba   =   caba>&lt🏟</b></i>", out: "🏟 🏟🏟 ><🏟"},
		{in: "🏟 🏟&lt;<i    aba  =  190azAz-.   >a</i>", out: "🏟 🏟<a"},
		{in: "🏟 🏟&lt;<i    aba  =  190azAz-.>a</i>", out: "🏟 🏟<a"},
		{in: "🏟 🏟&lt;<i    aba  =  '&lt;&gt;&quot;'>a</>", out: "🏟 🏟<a"},
		{in: "🏟 🏟&lt;<i>a</    >", out: "🏟 🏟<a"},
		{in: "🏟 🏟&lt;<i>a</i   >", out: "🏟 🏟<a"},
		{in: "➡️ ➡️<span class = \"tg-spoiler\">➡️ ➡️</span><b>➡️ ➡️</b>", out: "➡️ ➡️➡️ ➡️➡️ ➡️"},
		{in: "<a   href=  'telegram.org?&lt;'   > </a>", out: " "},
		{in: "🏟 🏟&lt;<pre><code class=\"language-fift\">🏟 🏟&lt;</></>", out: "🏟 🏟<🏟 🏟<"},
		{in: "➡️ ➡️<tg-emoji emoji-id = \"12345\">➡️ ➡️</tg-emoji><b>➡️ ➡️</b>", out: "➡️ ➡️➡️ ➡️➡️ ➡️"},
		{in: "<blockquote   cite=\"\" askdlbas nasjdbaj nj12b3>a&lt;<pre  >b;</></>", out: "a<b;"},
		{in: "<blockquote   expandable=false>a&lt;<pre  >b;</></>", out: "a<b;"},
	}
	for _, tc := range cases {
		p, err := parseHTML(tc.in, false)
		checkVector(t, tc.in, p.text, err, tc.out, tc.err)
	}
}

func TestTDLibMarkdownV2Vectors(t *testing.T) {
	cases := []struct{ in, out, err string }{
		{in: "🏟 🏟_abacaba", err: "Can't find end of Italic entity at byte offset 9"},
		{in: "🏟 🏟_abac * asd ", err: "Can't find end of Bold entity at byte offset 15"},
		{in: "🏟 🏟_abac * asd _", err: "Can't find end of Italic entity at byte offset 21"},
		{in: "🏟 🏟`", err: "Can't find end of Code entity at byte offset 9"},
		{in: "🏟 🏟```", err: "Can't find end of Pre entity at byte offset 9"},
		{in: "🏟 🏟```a", err: "Can't find end of Pre entity at byte offset 9"},
		{in: "🏟 🏟```a ", err: "Can't find end of PreCode entity at byte offset 9"},
		{in: "🏟 🏟__🏟 🏟_", err: "Can't find end of Italic entity at byte offset 20"},
		{in: "🏟 🏟_🏟 🏟__", err: "Can't find end of Underline entity at byte offset 19"},
		{in: "🏟 🏟```🏟 🏟`", err: "Can't find end of Code entity at byte offset 21"},
		{in: "🏟 🏟```🏟 🏟_", err: "Can't find end of PreCode entity at byte offset 9"},
		{in: "🏟 🏟```🏟 🏟\\`", err: "Can't find end of PreCode entity at byte offset 9"},
		{in: "[telegram\\.org](asd\\)", err: "Can't find end of a URL at byte offset 16"},
		{in: "[telegram\\.org](", err: "Can't find end of a URL at byte offset 16"},
		{in: "🏟 🏟__🏟 _🏟___", err: "Can't find end of Italic entity at byte offset 23"},
		{in: "🏟 🏟__", err: "Can't find end of Underline entity at byte offset 9"},
		{in: "🏟 🏟||test\\|", err: "Can't find end of Spoiler entity at byte offset 9"},
		{in: "🏟 🏟!", err: "Character '!' is reserved and must be escaped with the preceding '\\'"},
		{in: "🏟 🏟>", err: "Character '>' is reserved and must be escaped with the preceding '\\'"},
		{in: "🏟 🏟![", err: "Can't find end of CustomEmoji entity at byte offset 9"},
		{in: "🏟 🏟![👍]", err: "Custom emoji entity must contain a tg://emoji URL"},
		{in: "🏟 🏟![👍](tg://emoji?id=1234", err: "Can't find end of a custom emoji URL at byte offset 17"},
		{in: "🏟 🏟![👍](t://emoji?id=1234)", err: "Custom emoji URL must have scheme tg"},
		{in: "🏟 🏟![👍](tg:emojis?id=1234)", err: `Custom emoji URL must have host "emoji"`},
		{in: "🏟 🏟![👍](tg://emoji?test=1#&id=25)", err: "Custom emoji URL must have an emoji identifier"},
		{in: "🏟 🏟![👍](tg://emoji?test=1231&id=025)", err: "Invalid custom emoji identifier specified"},
		{in: ">*b\n>ld \n>bo\nld*\nasd\ndef", err: "Can't find end of Bold entity at byte offset 1"},
		{in: ">\n*a*>2", err: "Character '>' is reserved and must be escaped with the preceding '\\'"},
		{in: ">asd\n>q||e||w||\n||asdad", err: "Can't find end of Spoiler entity at byte offset 16"},
		{in: ">asd\n>q||ew\n||asdad", err: "Can't find end of Spoiler entity at byte offset 7"},
		{in: ">asd\n>q||e||w__\n||asdad", err: "Can't find end of Underline entity at byte offset 13"},
		{in: ">asd\n>q||e||w||a\n||asdad", err: "Can't find end of Spoiler entity at byte offset 13"},

		{in: "", out: ""},
		{in: "\\\\", out: "\\"},
		{in: "\\\\\\\\\\_\\*\\`", out: "\\\\_*`"},
		{in: "🏟 🏟``", out: "🏟 🏟"},
		{in: "🏟 🏟_abac \\* asd _", out: "🏟 🏟abac * asd "},
		{in: "\\\\\\a\\b\\c\\d\\e\\f\\1\\2\\3\\4\\➡️\\", out: "\\abcdef1234\\➡️\\"},
		{in: "🏟 🏟_🏟 __🏟___", out: "🏟 🏟🏟 🏟"},
		{in: "🏟 🏟__🏟 _🏟_\\___", out: "🏟 🏟🏟 🏟_"},
		{in: "🏟 🏟```🏟 🏟```", out: "🏟 🏟 🏟"},
		{in: "🏟 🏟```🏟\r\n🏟```", out: "🏟 🏟🏟"},
		{in: "🏟 🏟```🏟\n\n🏟```", out: "🏟 🏟\n🏟"},
		{in: "🏟 🏟```🏟 \\\\\\`🏟```", out: "🏟 🏟 \\`🏟"},
		{in: "||test||", out: "test"},
		{in: "`_* *_`__*` `*__", out: "_* *_ "},
		{in: "[ ](telegram.org)", out: " "},
		{in: "[telegram\\.org](https://telegram.dog?\\\\\\()", out: "telegram.org"},
		{in: "🏟 🏟![👍](TG://EMoJI/?test=1231&id=25#id=32)a", out: "🏟 🏟👍a"},
		{in: "> \\>\n \\> \n>", out: " >\n > \n"},
		{in: "\r\r>\r\ra\r\n\r", out: "\r\r\r\ra\r\n\r"},
		{in: "*a\n>b\n>ld \n>bo\n>ld\nasd*\ndef", out: "a\nb\nld \nbo\nld\nasd\ndef"},
		{in: ">`b\n>ld \n>bo\nld`\n>asd\ndef", out: "b\n>ld \n>bo\nld\nasd\ndef"},
		{in: ">\n**>2", out: "\n2"},
		{in: "*>abcd\n*", out: "abcd\n"},
		{in: ">asd\r\n>q||e||w||\r\n", out: "asd\r\nqew\r\n"},
		{in: ">||", out: ""},
	}
	for _, tc := range cases {
		p, err := parseMarkdownV2(tc.in)
		checkVector(t, tc.in, p.text, err, tc.out, tc.err)
	}
}

func checkVector(t *testing.T, in, out string, err error, wantOut, wantErr string) {
	t.Helper()
	switch {
	case wantErr != "" && (err == nil || err.Error() != wantErr):
		t.Errorf("%q: error %v, want %q", in, err, wantErr)
	case wantErr == "" && (err != nil || out != wantOut):
		t.Errorf("%q: %q, %v; want %q", in, out, err, wantOut)
	}
}

func TestVisibleText(t *testing.T) {
	cases := []struct{ html, want string }{
		{"<i>\t</i>", ""},
		{"  <pre>  x</pre>", "  x"},           // leading spaces kept from the first entity on
		{"<a href=telegram.org> </a>x", " x"}, // a link is an entity
		{"<a> </a>x", "x"},                    // not a link: " " is no URL
		{" \r\n x\u2028y\u202e \n", "xy"},     // \r and bidi controls removed, ends trimmed
		{"a\tb\x01c", "a b c"},                // control characters become spaces
		{"<b>x </b> \n", "x"},                 // trailing white space trimmed inside entities too
		{"\n\n<b></b>\n x", "x"},              // an empty tag is no entity
	}
	for _, tc := range cases {
		p, err := parseHTML(tc.html, false)
		if err != nil {
			t.Fatalf("%q: %v", tc.html, err)
		}
		if got := visibleText(p); got != tc.want {
			t.Errorf("visibleText(%q) = %q, want %q", tc.html, got, tc.want)
		}
	}
}
