package glob

import (
	"errors"
	"path"
	"testing"
)

func TestMatch(t *testing.T) {
	for _, c := range []struct {
		pattern, name string
		want          bool
	}{
		{"*", "web/api down", true},
		{"web*", "web/api", true},
		{"web?api", "web/api", true},
		{"web/*", "web/api", true},
		{"web/api", "web/api", true},
		{`web\/api`, "web/api", true},
		{"[a-z]*", "web/api", true},
		{"db*", "web/api", false},
		{"web?api", "web//api", false},
		{"*", "", true},
		{"site_*", "site_down", true},
		{"site_?", "site_down", false},
	} {
		if got, err := Match(c.pattern, c.name); got != c.want || err != nil {
			t.Errorf("Match(%q, %q) = %v, %v; want %v", c.pattern, c.name, got, err, c.want)
		}
	}
	for _, p := range []string{"over[", `web\`, "[a-"} {
		if _, err := Match(p, ""); !errors.Is(err, path.ErrBadPattern) {
			t.Errorf("Match(%q, \"\"): %v, want ErrBadPattern", p, err)
		}
	}
}
