package metrics

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the README's metrics tables from the package's families")

const (
	readme     = "../../README.md"
	tableStart = "<!-- metrics tables: generated from server/metrics by `go test ./server/metrics -run TestReadme -update` -->\n"
	tableEnd   = "<!-- end of metrics tables -->\n"
)

// readmeTables renders the tables of every family the package exports.
func readmeTables() string {
	var own, probe bytes.Buffer
	own.WriteString("| metric | type | labels | what |\n| --- | --- | --- | --- |\n")
	probe.WriteString("| metric | labels | probe field | what |\n| --- | --- | --- | --- |\n")
	esc := func(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
	labels := func(d familyDoc) string {
		if len(d.Labels) == 0 {
			return ""
		}
		return "`" + strings.Join(d.Labels, "`, `") + "`"
	}
	for _, d := range docs {
		if len(d.Fields) == 0 {
			fmt.Fprintf(&own, "| `%s` | %s | %s | %s |\n", d.Name, d.Type, labels(d), esc(d.Help))
			continue
		}
		field := "`" + strings.Join(d.Fields, "`, `") + "`"
		if d.Unit != "" {
			field += " (" + d.Unit + ")"
		}
		fmt.Fprintf(&probe, "| `%s` | %s | %s | %s |\n", d.Name, labels(d), esc(field), esc(d.Help))
	}
	return tableStart + "\nnotimon itself:\n\n" + own.String() + "\nProbe values (all gauges):\n\n" + probe.String() + "\n" + tableEnd
}

// TestReadmeListsEveryMetric: the README's metrics tables are those of the code.
func TestReadmeListsEveryMetric(t *testing.T) {
	data, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	i, j := strings.Index(text, tableStart), strings.Index(text, tableEnd)
	if i < 0 || j < i {
		t.Fatalf("README.md has no metrics tables between %q and %q", tableStart, tableEnd)
	}
	want := readmeTables()
	got := text[i : j+len(tableEnd)]
	if got == want {
		return
	}
	if *update {
		if err := os.WriteFile(readme, []byte(text[:i]+want+text[j+len(tableEnd):]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("README.md's metrics tables are out of date: go test ./server/metrics -run TestReadme -update\nwant:\n%s", want)
}
