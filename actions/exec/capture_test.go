package exec

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCapture(t *testing.T) {
	tests := []struct {
		name   string
		max    int
		writes []string
		want   string
	}{
		{"fits", 10, []string{"hello", "\n"}, "hello\n"},
		{"exactly the bound", 5, []string{"hel", "lo"}, "hello"},
		{"cut across writes", 4, []string{"abc", "def", "gh"}, "abcd\n[… 4 bytes truncated]"},
		{"cut inside a Korean syllable keeps whole characters", 4, []string{"가나다"}, "가\n[… 6 bytes truncated]"},
		{"cut after a whole syllable", 6, []string{"가나", "다"}, "가나\n[… 3 bytes truncated]"},
		{"cut inside a 4-byte emoji", 6, []string{"ab✅😀"}, "ab✅\n[… 4 bytes truncated]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &capture{max: tt.max}
			for _, w := range tt.writes {
				if n, err := c.Write([]byte(w)); n != len(w) || err != nil {
					t.Fatalf("Write(%q) = %d, %v; want %d, nil: the pipe must keep draining", w, n, err, len(w))
				}
			}
			got := c.String()
			if got != tt.want || !utf8.ValidString(got) {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestShellName(t *testing.T) {
	long := "systemctl restart tomcat && sleep 5 && curl -fsS http://127.0.0.1:8080/health"
	if got, want := shellName(long), `sh -c "systemctl restart tomcat && sleep 5 && …"`; got != want {
		t.Errorf("shellName(long) = %s, want %s", got, want)
	}
	if got, want := shellName("echo  a\n echo b"), `sh -c "echo a echo b"`; got != want {
		t.Errorf("shellName = %s, want %s", got, want)
	}
	if strings.Count(shellName(long), "…") != 1 {
		t.Error("a long script is not marked as cut")
	}
}
