package dsl

import (
	"fmt"
	"testing"
)

// TestLabelIsTheJoinedText checks that a label reads as the text that was joined up front
// before labels: fmt's %q of the name, words separated by one space.
func TestLabelIsTheJoinedText(t *testing.T) {
	for _, name := range []string{"disk", "", `a "quoted" name`, "tab\there", "é ünïcode", "\x00\xff"} {
		rule := fmt.Sprintf("rule %q", name)
		for _, tc := range []struct {
			got  label
			want string
		}{
			{named("rule", name), rule},
			{named("rule", name).with("when"), rule + " when"},
			{named("rule", name).with("notify").with("message"), rule + " notify message"},
			{named("rule", name).with("on_resolve").with("renotify").with("message"), rule + " on_resolve renotify message"},
			{named("rule", name).with("a").with("b").with("c").with("d"), rule + " a b c d"},
			{text("settings " + name), "settings " + name},
			{text(name).with("x"), name + " x"},
		} {
			if got := tc.got.String(); got != tc.want {
				t.Errorf("label %+v reads %q, want %q", tc.got, got, tc.want)
			}
			if got := fmt.Sprintf("%s", tc.got); got != tc.want {
				t.Errorf("label %+v prints %q, want %q", tc.got, got, tc.want)
			}
		}
	}
}
