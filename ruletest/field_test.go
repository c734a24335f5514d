package ruletest

import (
	"strings"
	"testing"

	"github.com/notimon/notimon/dsl"
	"github.com/notimon/notimon/probes"
	"github.com/notimon/notimon/probes/fd"
	"github.com/notimon/notimon/probes/http"
)

func schema(t *testing.T) *probes.Schema {
	t.Helper()
	cfg, diags := dsl.LoadSource(map[string][]byte{"r.hcl": []byte(`
notifier "console" "ops" {}
probe "http" "site" { url = "http://127.0.0.1:8080/" }
probe "process" "java" { match = "^java$" }
rule "r" {
  when = "cpu.avg3 > 1"
  notify "ops" { message = "x" }
}
`)}, dsl.Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return cfg.Schema
}

func TestResolveField(t *testing.T) {
	s := schema(t)
	for _, tc := range []struct {
		path, canonical string
		ref             probes.Ref
		kind            ValueKind
	}{
		{"cpu.avg3", "cpu.avg3", probes.Ref{Kind: "cpu"}, Number},
		{"host.cores", "host.cores", probes.Ref{Kind: "host"}, Whole},
		{"host.name", "host.name", probes.Ref{Kind: "host"}, Text},
		{"http.site.up", "http.site.up", probes.Ref{Kind: "http", Name: "site"}, Bool},
		{`disk["/"].used_pct`, `disk["/"].used_pct`, probes.Ref{Kind: "disk"}, Number},
		{`net.ports["8080"].close_wait`, `net.ports["8080"].close_wait`, probes.Ref{Kind: "net"}, Number},
		{"net.tcp.time_wait", "net.tcp.time_wait", probes.Ref{Kind: "net"}, Number},
		{"process.java.count", "process.java.count", probes.Ref{Kind: "process", Name: "java"}, Number},
	} {
		f, err := ResolveField(s, tc.path)
		if err != nil {
			t.Errorf("%s: %v", tc.path, err)
			continue
		}
		if f.Path != tc.canonical || f.Ref != tc.ref || f.Kind != tc.kind {
			t.Errorf("%s = %s %v %v, want %s %v %v", tc.path, f.Path, f.Ref, f.Kind, tc.canonical, tc.ref, tc.kind)
		}
	}
	for _, tc := range []struct{ path, msg string }{
		{"cpu.avgg", `cpu has no field "avgg"; its fields are: pct, avg3, iowait_pct, steal_pct`},
		{"cpux.avg3", `unknown probe "cpux"`},
		{"http.sitee.up", `no http probe named "sitee" is declared in the rules; declared http probes: site`},
		{"tcp.db.up", `no tcp probe named "db" is declared in the rules; declare it with probe "tcp" "db"`},
		{"disk", `not a field path`},
		{`disk["/"]`, `disk["/"] is not a value; give one of its fields: mount, fs, used_pct`},
		{"net.interfaces", `net.interfaces is a map by name; give one of its entries and a field, e.g. net.interfaces["eth0"].rx_bytes_per_s`},
		{"cpu.avg3 > 5", "not a field path"},
		{"cpu.avg3.x", `cpu.avg3 is a value; it has no field "x"`},
	} {
		_, err := ResolveField(s, tc.path)
		if err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: error %v, want one containing %q", tc.path, err, tc.msg)
		}
	}
}

func TestFieldSet(t *testing.T) {
	s := schema(t)
	set := func(snap *probes.Snapshot, path string, v any) {
		t.Helper()
		f, err := ResolveField(s, path)
		if err != nil {
			t.Fatal(err)
		}
		smp, err := f.SampleOf(v)
		if err != nil {
			t.Fatal(err)
		}
		f.Set(snap, smp)
	}
	snap := &probes.Snapshot{}
	set(snap, `disk["/var"].used_pct`, 91.5)
	set(snap, `disk["/var"].free_bytes`, 1e9)
	set(snap, "http.site.up", true)
	set(snap, "http.site.status", 200.0)
	set(snap, "http.site.error", "")
	set(snap, "host.cores", 4.0)
	set(snap, "cpu.avg3", nil)
	if d := snap.Disk["/var"]; d.UsedPct != 91.5 || d.FreeBytes != 1e9 || d.Mount != "/var" {
		t.Errorf("disk = %+v, want /var at 91.5 %% with its mount set", d)
	}
	if h := snap.Named["http"]["site"].(http.Values); !h.Up || h.Status != 200 {
		t.Errorf("http.site = %+v", h)
	}
	if snap.Host.Cores != 4 {
		t.Errorf("host.cores = %d", snap.Host.Cores)
	}
	if err := snap.Err(probes.Ref{Kind: "cpu"}); err == nil {
		t.Error("cpu is not marked failed")
	}

	f, _ := ResolveField(s, "http.site.up")
	for _, v := range []any{2.0, "yes"} {
		if _, err := f.SampleOf(v); err == nil {
			t.Errorf("http.site.up accepted %v", v)
		}
	}
	if _, err := f.SampleOf(1.0); err != nil {
		t.Errorf("http.site.up refused 1: %v", err)
	}
	f, _ = ResolveField(s, "host.cores")
	if _, err := f.SampleOf(2.5); err == nil || !strings.Contains(err.Error(), "whole number") {
		t.Errorf("host.cores accepted 2.5: %v", err)
	}
}

// TestBuiltinWithoutSnapshotField: a built-in kind with no Snapshot field of its own (fd)
// is set, read by rules and cleared by its Ref like any other.
func TestBuiltinWithoutSnapshotField(t *testing.T) {
	s := schema(t)
	ref := probes.Ref{Kind: "fd"}
	snap := &probes.Snapshot{}
	for path, v := range map[string]float64{"fd.used_pct": 95, "fd.max": 65536} {
		f, err := ResolveField(s, path)
		if err != nil {
			t.Fatal(err)
		}
		if f.Ref != ref || f.Kind != Number {
			t.Errorf("%s: ref %v, kind %v", path, f.Ref, f.Kind)
		}
		f.Set(snap, Sample{Num: v})
	}
	want := fd.Values{UsedPct: 95, Max: 65536}
	if got := snap.Get(ref); got != want {
		t.Errorf("snapshot holds %#v, want %#v", got, want)
	}
	if got := s.Map(snap)["fd"]; got != want {
		t.Errorf("rules read fd as %#v, want %#v", got, want)
	}
	f, _ := ResolveField(s, "fd.used")
	f.Set(snap, Sample{Failed: true})
	ClearFailed(snap)
	if got := snap.Get(ref); got != nil {
		t.Errorf("failed fd still holds %#v", got)
	}
	if got := s.Map(snap)["fd"]; got != (fd.Values{}) {
		t.Errorf("rules read a failed fd as %#v, want zero values", got)
	}
}
