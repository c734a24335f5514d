package dsl_test

import (
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/notimon/notimon/actions"
	"github.com/notimon/notimon/probes"
	"github.com/notimon/notimon/spec"
)

// readmeTable returns the rows of the first table after the heading line heading in the
// README, as cells, header and separator left out.
func readmeTable(t *testing.T, readme []string, heading string) [][]string {
	t.Helper()
	i := slices.Index(readme, heading)
	if i < 0 {
		t.Fatalf("README.md has no heading %q", heading)
	}
	for i < len(readme) && !strings.HasPrefix(readme[i], "|") {
		i++
	}
	var rows [][]string
	for ; i < len(readme) && strings.HasPrefix(readme[i], "|"); i++ {
		rows = append(rows, cells(readme[i]))
	}
	if len(rows) < 3 {
		t.Fatalf("README.md: the table under %q has no rows", heading)
	}
	return rows[2:]
}

// cells splits a table row at the pipes that are not inside `code`.
func cells(row string) []string {
	var out []string
	var cur strings.Builder
	code := false
	for _, r := range strings.TrimSpace(row)[1:] {
		switch {
		case r == '`':
			code = !code
		case r == '|' && !code:
			out = append(out, strings.TrimSpace(cur.String()))
			cur.Reset()
			continue
		}
		cur.WriteRune(r)
	}
	return out
}

var (
	codeRE  = regexp.MustCompile("`([^`]*)`")
	identRE = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
)

// names returns what a cell names: the backticked words that are identifiers, cut at the
// first space or dot (`process "<name>"` and `process.<name>` name process). Values are
// written so they are not: `"HTML"`, `"10s"`, `host:port`.
func names(cell string) []string {
	var out []string
	for _, m := range codeRE.FindAllStringSubmatch(cell, -1) {
		w, _, _ := strings.Cut(m[1], " ")
		w, _, _ = strings.Cut(w, ".")
		if identRE.MatchString(w) && !slices.Contains(out, w) {
			out = append(out, w)
		}
	}
	slices.Sort(out)
	return out
}

// byKind maps each kind a table's first column names to the names of its second column.
func byKind(t *testing.T, rows [][]string, table string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, row := range rows {
		kinds := names(row[0])
		if len(kinds) == 0 || len(row) < 2 {
			t.Errorf("README %s: row %q names no kind", table, row)
		}
		for _, k := range kinds {
			if _, dup := out[k]; dup {
				t.Errorf("README %s: kind %q has two rows", table, k)
			}
			out[k] = names(row[1])
		}
	}
	return out
}

// checkAttrs checks that the README documents every attribute of every kind, and no more.
func checkAttrs(t *testing.T, table string, documented map[string][]string, blocks map[string]spec.Block) {
	t.Helper()
	for kind, b := range blocks {
		got, ok := documented[kind]
		want := b.Names()
		slices.Sort(want)
		switch {
		case !ok:
			t.Errorf("README %s has no row for %q (attributes %v); a kind without any gets one too", table, kind, want)
		case !slices.Equal(got, want):
			t.Errorf("README %s: %q documents %v; its descriptor declares %v", table, kind, got, want)
		}
	}
	for kind := range documented {
		if _, ok := blocks[kind]; !ok {
			t.Errorf("README %s documents %q, which is not a registered kind", table, kind)
		}
	}
}

// TestReadmeDocumentsEveryKind holds the README's reference to the registries: the
// attributes of every notifier kind and probe kind (as its descriptor declares them, which
// is what validate accepts) are the ones its table row names, and every probe kind's
// fields are in the probe namespace table. In an attributes cell, a backticked identifier
// is an attribute; write values so they are not one (`"HTML"`, `host:port`).
func TestReadmeDocumentsEveryKind(t *testing.T) {
	raw, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := strings.Split(string(raw), "\n")

	notifiers := map[string]spec.Block{}
	for _, k := range actions.NotifierKinds {
		notifiers[k.Name] = k.Block
	}
	checkAttrs(t, "Notifiers table", byKind(t, readmeTable(t, readme, "#### Notifiers"), "Notifiers table"), notifiers)

	kinds := map[string]spec.Block{}
	for _, k := range probes.Kinds {
		kinds[k.Name] = k.Block
	}
	checkAttrs(t, "Probe blocks table", byKind(t, readmeTable(t, readme, "#### Probe blocks"), "Probe blocks table"), kinds)

	// The namespace table: a row per kind, and every field of its values in it.
	rows := readmeTable(t, readme, "### Probe namespace")
	for _, k := range probes.Kinds {
		i := slices.IndexFunc(rows, func(r []string) bool { return slices.Contains(names(r[0]), k.Name) })
		if i < 0 {
			t.Errorf("README Probe namespace table has no row for %q", k.Name)
			continue
		}
		typ := k.Values
		if typ.Kind() == reflect.Map {
			typ = typ.Elem() // disk: the fields of one mount
		}
		for f := range typ.Fields() {
			name := f.Tag.Get("expr")
			if name != "" && !regexp.MustCompile(`\b`+name+`\b`).MatchString(rows[i][1]) {
				t.Errorf("README Probe namespace table: %q does not mention its field %q", k.Name, name)
			}
		}
	}
}
