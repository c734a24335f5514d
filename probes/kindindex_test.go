package probes

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

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

// SortRefs sorts short lists by insertion, with each kind's place looked up once: it must
// give what sorting by the same order does, for lists of every length around that limit.
func TestSortRefs(t *testing.T) {
	var all []Ref
	for _, k := range Kinds {
		all = append(all, Ref{Kind: k.Name}, Ref{Kind: k.Name, Name: "b"}, Ref{Kind: k.Name, Name: "a"})
	}
	all = append(all, Ref{Kind: "unknown"}, Ref{Kind: "unknown", Name: "a"})
	less := func(a, b Ref) int {
		if d := kindIndex(a.Kind) - kindIndex(b.Kind); d != 0 {
			return d
		}
		return strings.Compare(a.Name, b.Name)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 5000 {
		n := rng.IntN(2*shortRefs + 1)
		refs := make([]Ref, 0, n)
		for _, i := range rng.Perm(len(all))[:n] {
			refs = append(refs, all[i])
		}
		want := slices.Clone(refs)
		slices.SortStableFunc(want, less)
		got := slices.Clone(refs)
		SortRefs(got)
		if !slices.Equal(got, want) {
			t.Fatalf("SortRefs(%v) = %v, want %v", refs, got, want)
		}
	}
}
