package metrics

import (
	"reflect"
	"strings"
	"testing"

	"github.com/notimon/notimon/probes"
)

// numericFields lists the numeric and boolean fields of values of type t, as rules read
// them, prefix first; a map key or a named probe's name is written "<key>".
func numericFields(prefix string, t reflect.Type) []string {
	switch t.Kind() {
	case reflect.Map:
		return numericFields(prefix+".<key>", t.Elem())
	case reflect.Struct:
		var out []string
		for i := range t.NumField() {
			f := t.Field(i)
			if tag := f.Tag.Get("expr"); tag != "" {
				out = append(out, numericFields(prefix+"."+tag, f.Type)...)
			}
		}
		return out
	case reflect.Float64, reflect.Float32, reflect.Int, reflect.Int64, reflect.Bool:
		return []string{prefix}
	}
	return nil
}

// matches says whether a documented field ("disk.<mount>.used_pct", "net.tcp.<state>")
// covers a field path.
func matches(doc, path string) bool {
	d, p := strings.Split(doc, "."), strings.Split(path, ".")
	if len(d) != len(p) {
		return false
	}
	for i := range d {
		if d[i] != p[i] && !strings.HasPrefix(d[i], "<") {
			return false
		}
	}
	return true
}

// TestEveryProbeFieldIsExported fails when a probe kind gains a numeric or boolean field
// (or a kind is added) that no metric carries.
func TestEveryProbeFieldIsExported(t *testing.T) {
	total := 0
	for _, k := range probes.Kinds {
		prefix := k.Name
		if k.Named {
			prefix += ".<key>"
		}
		for _, path := range numericFields(prefix, k.Values) {
			total++
			found := false
			for _, d := range docs {
				for _, f := range d.Fields {
					found = found || matches(f, path)
				}
			}
			if !found {
				t.Errorf("probe field %s is not exported: add a gauge for it (server/metrics/probes.go) and a README row", path)
			}
		}
	}
	if total < 50 {
		t.Errorf("only %d probe fields found: the walk over probes.Kinds is broken", total)
	}
}
