package dsl

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/notimon/notimon/probes"
)

// A smallSet is a slice up to smallSetMax items and a slice with a map beyond: at every
// size it must hold what a map would, in insertion order, and a refSet must list what the
// map-based set it replaced listed.
func TestSmallSetIsASet(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	kinds := []string{"host", "cpu", "mem", "disk", "net", "process", "http", "tcp"}
	for _, pool := range []int{1, 3, smallSetMax, smallSetMax + 1, 50} {
		t.Run(fmt.Sprint(pool), func(t *testing.T) {
			var refs refSet
			want := map[probes.Ref]struct{}{}
			var order []probes.Ref
			for range 4 * pool {
				r := probes.Ref{Kind: kinds[rng.IntN(len(kinds))], Name: fmt.Sprint(rng.IntN(pool))}
				_, had := want[r]
				if got := refs.has(r); got != had {
					t.Fatalf("has(%v) = %v before inserting, want %v", r, got, had)
				}
				if isNew := refs.insert(r); isNew == had {
					t.Fatalf("insert(%v) = %v, want %v", r, isNew, !had)
				}
				if !had {
					want[r] = struct{}{}
					order = append(order, r)
				}
				if !refs.has(r) {
					t.Fatalf("has(%v) = false after inserting", r)
				}
			}
			if !slices.Equal(refs.items, order) {
				t.Errorf("items %v, want insertion order %v", refs.items, order)
			}
			if (refs.index != nil) != (len(order) > smallSetMax) {
				t.Errorf("%d items, index %v", len(order), refs.index != nil)
			}
			// The map-based refSet listed its keys sorted.
			before := slices.Collect(maps.Keys(want))
			probes.SortRefs(before)
			if got := refs.sorted(); !reflect.DeepEqual(got, before) {
				t.Errorf("sorted() = %v, want %v", got, before)
			}
		})
	}
	var empty refSet
	if got := empty.sorted(); got == nil || len(got) != 0 {
		t.Errorf("sorted() of an empty set = %#v, want an empty, non-nil list", got)
	}
}

// sorted returns the set's own slice: what it returned must not change when more refs are
// added and sorted afterwards.
func TestRefSetSortedIsKept(t *testing.T) {
	var refs refSet
	refs.add(probes.Ref{Kind: "http", Name: "b"}, probes.Ref{Kind: "cpu"}, probes.Ref{Kind: "http", Name: "a"})
	first := refs.sorted()
	want := []probes.Ref{{Kind: "cpu"}, {Kind: "http", Name: "a"}, {Kind: "http", Name: "b"}}
	if !reflect.DeepEqual(first, want) {
		t.Fatalf("sorted() = %v, want %v", first, want)
	}
	refs.add(probes.Ref{Kind: "host"}, probes.Ref{Kind: "http", Name: "0"})
	second := refs.sorted()
	if !reflect.DeepEqual(first, want) {
		t.Errorf("after adding more, the first list became %v, want %v", first, want)
	}
	want2 := []probes.Ref{{Kind: "host"}, {Kind: "cpu"}, {Kind: "http", Name: "0"}, {Kind: "http", Name: "a"}, {Kind: "http", Name: "b"}}
	if !reflect.DeepEqual(second, want2) {
		t.Errorf("sorted() = %v, want %v", second, want2)
	}
}
