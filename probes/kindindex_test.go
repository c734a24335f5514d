package probes

import "testing"

// kindIndex reads a map built from the registry: it must give each kind's position, and
// the end for a name that is no kind.
func TestKindIndex(t *testing.T) {
	for i, k := range Kinds {
		if got := kindIndex(k.Name); got != i {
			t.Errorf("kindIndex(%q) = %d, want %d", k.Name, got, i)
		}
	}
	for _, name := range []string{"", "nope", "CPU", "process.httpd"} {
		if got := kindIndex(name); got != len(Kinds) {
			t.Errorf("kindIndex(%q) = %d, want %d (after every kind)", name, got, len(Kinds))
		}
	}
}
