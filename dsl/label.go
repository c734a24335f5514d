package dsl

import (
	"strconv"
	"strings"
)

// label names what a diagnostic is about, such as `rule "disk" on_resolve notify message`.
// Rules are decoded by the ten thousand and nearly all without a diagnostic, so the words
// are joined only when one is made: joining them for each rule, attribute and step up
// front was seven allocations a rule.
type label struct {
	head  string // the whole text when not named; else the kind before the name: rule
	name  string // quoted after head when named
	named bool
	words [3]string // after the name: on_resolve, notify, message
	n     int       // words used
}

// text labels with s as it is.
func text(s string) label { return label{head: s} }

// named labels a block by kind and name: rule "disk".
func named(kind, name string) label { return label{head: kind, name: name, named: true} }

// with returns l followed by word.
func (l label) with(word string) label {
	if l.n == len(l.words) { // deeper than any block nests: join the last ones
		l.words[l.n-1] += " " + word
		return l
	}
	l.words[l.n] = word
	l.n++
	return l
}

func (l label) String() string {
	var b strings.Builder
	b.WriteString(l.head)
	if l.named {
		b.WriteByte(' ')
		b.WriteString(strconv.Quote(l.name))
	}
	for _, w := range l.words[:l.n] {
		b.WriteByte(' ')
		b.WriteString(w)
	}
	return b.String()
}
