package textseg

import (
	"bufio"
	"bytes"
	"math/rand/v2"
	"slices"
	"testing"

	v17 "github.com/apparentlymart/go-textseg/v17/textseg"
)

// clusters splits b with split, as HCL's lexer does (atEOF true).
func clusters(b []byte, split bufio.SplitFunc) [][]byte {
	var out [][]byte
	for len(b) > 0 {
		n, tok, err := split(b, true)
		if err != nil || n == 0 {
			return append(out, []byte("error"))
		}
		out = append(out, tok)
		b = b[n:]
	}
	return out
}

// TestSameClustersAsTextseg splits text mixing ASCII, CR LF, combining marks, ZWJ emoji
// sequences, flags, Hangul and Korean, and random bytes, and wants go-textseg's clusters.
func TestSameClustersAsTextseg(t *testing.T) {
	texts := []string{
		"", "a", "\r", "\n", "\r\n", "\n\r", "a\r\nb", "\r\r\n",
		"cpu.avg3 > 50 || mem.real_pct > 50",
		"e\u0301", "a\u0308\u0301b", "x\u200dy", "👩\u200d💻 fix", "🇰🇷🇩🇪", "a🇰🇷",
		"한국어 경고: CPU {{ cpu.avg3 }}%", "\u1100\u1161\u11a8", "ก\u0e33", "क्षि",
		"a\u0903", "\t\u0300", "\x00\x01\u0301", "abc\xff\xfe", "\xe2\x82",
	}
	alphabet := []string{"a", "Z", " ", "\t", "\r", "\n", "{", "\u0301", "\u200d", "👍", "🏽",
		"🇰", "🇷", "한", "\u1100", "\u1161", "\u11a8", "क", "\u094d", "\u0903", "\xff", "\x7f"}
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		var b bytes.Buffer
		for range r.IntN(12) {
			b.WriteString(alphabet[r.IntN(len(alphabet))])
		}
		texts = append(texts, b.String())
	}
	for _, s := range texts {
		got, want := clusters([]byte(s), ScanGraphemeClusters), clusters([]byte(s), v17.ScanGraphemeClusters)
		if !slices.EqualFunc(got, want, bytes.Equal) {
			t.Fatalf("%q: clusters %q, want %q", s, got, want)
		}
	}
}

// TestNotAtEOF: a lone ASCII character that may be followed by more (a scanner's buffer
// ends there) is left to go-textseg, which asks for more data when it must.
func TestNotAtEOF(t *testing.T) {
	for _, s := range []string{"a", "\r", "e"} {
		n, tok, err := ScanGraphemeClusters([]byte(s), false)
		wn, wtok, werr := v17.ScanGraphemeClusters([]byte(s), false)
		if n != wn || !bytes.Equal(tok, wtok) || (err == nil) != (werr == nil) {
			t.Errorf("%q: (%d, %q, %v), want (%d, %q, %v)", s, n, tok, err, wn, wtok, werr)
		}
	}
}

// BenchmarkASCII splits a line of a rule as HCL's lexer does, with this package and with
// go-textseg v17 alone.
func BenchmarkASCII(b *testing.B) {
	line := []byte(`  when     = "cpu.avg3 > ${local.limit_1} || !http.site_0.up"`)
	for name, split := range map[string]bufio.SplitFunc{"fast": ScanGraphemeClusters, "v17": v17.ScanGraphemeClusters} {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(line)))
			for b.Loop() {
				for rest := line; len(rest) > 0; {
					n, _, _ := split(rest, true)
					rest = rest[n:]
				}
			}
		})
	}
}
