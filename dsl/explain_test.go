package dsl_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/notimon/notimon/dsl"
	"github.com/notimon/notimon/probes"
	"github.com/notimon/notimon/probes/cpu"
	"github.com/notimon/notimon/probes/disk"
	"github.com/notimon/notimon/probes/http"
	"github.com/notimon/notimon/probes/mem"
)

// dump renders a term tree one term a line, indented by depth: source = value [reads].
func dump(t *dsl.Term) string {
	var b strings.Builder
	var walk func(x *dsl.Term, depth int)
	walk = func(x *dsl.Term, depth int) {
		val := fmt.Sprint(x.Value)
		if x.Err != nil {
			val = "error"
		}
		fmt.Fprintf(&b, "%s%s = %s", strings.Repeat("  ", depth), x.Source, val)
		for _, r := range x.Reads {
			switch {
			case r.Err != nil:
				fmt.Fprintf(&b, " [%s: error]", r.Source)
			case r.NoData:
				fmt.Fprintf(&b, " [%s: no data]", r.Source)
			default:
				fmt.Fprintf(&b, " [%s: %v]", r.Source, r.Value)
			}
		}
		b.WriteByte('\n')
		for _, c := range x.Terms {
			walk(c, depth+1)
		}
	}
	walk(t, 0)
	return b.String()
}

// TestExplain splits conditions at ||, && and ! (a chain of one operator is one term),
// lists what each leaf reads (the longest probe fields and the time windows, each once,
// not the leaf itself) and evaluates everything on a snapshot.
func TestExplain(t *testing.T) {
	cfg := loadOne(t, `probe "http" "site" { url = "http://127.0.0.1:1/" }
rule "r" {
  when = "cpu.avg3 > 50 || cpu.pct > 50 || mem.real_pct > 50"
}
rule "nested" {
  when = "!http.site.up || (http.site.status >= 500 and http.site.error != \"\")"
}
rule "reads" {
  when = "cpu.avg3 + cpu.avg3 > max(mem.real_pct, disk[\"/\"].used_pct) && avg_over(\"cpu.pct\", \"5m\") > rate_over(\"mem.used_bytes\", \"10m\")"
}
rule "let" {
  when = "let busy = cpu.pct; busy > 10"
}
`)
	snap := &probes.Snapshot{
		CPU:     cpu.Values{Pct: 20, Avg3: 70},
		Mem:     mem.Values{RealPct: 30, UsedBytes: 5},
		Disk:    map[string]disk.Values{"/": {UsedPct: 95}},
		Named:   map[string]map[string]any{"http": {"site": http.Values{Up: false, Status: 502, Error: "status 502"}}},
		Windows: map[string]float64{"avg|cpu.pct|5m0s": 41.5},
	}
	rules := map[string]*dsl.Rule{}
	for _, r := range cfg.Rules {
		rules[r.Name] = r
	}
	for _, tc := range []struct{ rule, want string }{
		{"r", `cpu.avg3 > 50 || cpu.pct > 50 || mem.real_pct > 50 = true
  cpu.avg3 > 50 = true [cpu.avg3: 70]
  cpu.pct > 50 = false [cpu.pct: 20]
  mem.real_pct > 50 = false [mem.real_pct: 30]
`},
		{"nested", `!http.site.up || (http.site.status >= 500 and http.site.error != "") = true
  !http.site.up = true
    http.site.up = false
  http.site.status >= 500 and http.site.error != "" = true
    http.site.status >= 500 = true [http.site.status: 502]
    http.site.error != "" = true [http.site.error: status 502]
`},
		{"reads", `cpu.avg3 + cpu.avg3 > max(mem.real_pct, disk["/"].used_pct) && avg_over("cpu.pct", "5m") > rate_over("mem.used_bytes", "10m") = true
  cpu.avg3 + cpu.avg3 > max(mem.real_pct, disk["/"].used_pct) = true [cpu.avg3: 70] [mem.real_pct: 30] [disk["/"].used_pct: 95]
  avg_over("cpu.pct", "5m") > rate_over("mem.used_bytes", "10m") = true [avg_over("cpu.pct", "5m"): 41.5] [rate_over("mem.used_bytes", "10m"): no data]
`},
		{"let", `let busy = cpu.pct; busy > 10 = true [cpu.pct: 20]
`},
	} {
		t.Run(tc.rule, func(t *testing.T) {
			term, err := cfg.Explain(rules[tc.rule].When, snap)
			if err != nil {
				t.Fatal(err)
			}
			if got := dump(term); got != tc.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}

	// A term that fails at run time is an error; its siblings keep their values.
	failing := loadOne(t, `rule "f" { when = "cpu.pct < 1 || [1, 2][int(cpu.pct)] > 0" }`)
	term, err := failing.Explain(failing.Rules[0].When, snap)
	if err != nil {
		t.Fatal(err)
	}
	want := `cpu.pct < 1 || [1, 2][int(cpu.pct)] > 0 = error
  cpu.pct < 1 = false [cpu.pct: 20]
  [1, 2][int(cpu.pct)] > 0 = error [cpu.pct: 20]
`
	if got := dump(term); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}
