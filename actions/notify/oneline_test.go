package notify

import (
	"strings"
	"testing"
)

func TestOneLine(t *testing.T) {
	for _, tc := range []struct {
		in   string
		max  int
		want string
	}{
		{"Bad Request: chat not found", 100, "Bad Request: chat not found"},
		{"  line one\r\n\tline two\x1b[31m red\x00 ", 100, "line one line two [31m red"},
		{"bad \xff byte", 100, "bad \uFFFD byte"},
		{strings.Repeat("ab ", 10), 8, "ab ab ab…"},
		{"aaa블록", 5, "aaa…"}, // 블 is 3 bytes: the cut falls before it
		{"", 10, ""},
	} {
		if got := OneLine(tc.in, tc.max); got != tc.want {
			t.Errorf("OneLine(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
		}
	}
}
