package engine

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/notimon/notimon/dsl"
)

// TestRuleSourceLoadsWhatChanged drives LoadChanged over a real rules directory and the
// real loader: unchanged files are not loaded again, a change is, SIGHUP (Forget) loads
// whatever the hash, a broken file fails and the files' return to the running rules is
// "unchanged", and a save that lands during a load is loaded again next time.
func TestRuleSourceLoadsWhatChanged(t *testing.T) {
	dir := t.TempDir()
	write := func(name, src string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	const v1 = `rule "hot" { when = "cpu.pct > 50" }`
	const v2 = `rule "hot" { when = "cpu.pct > 60" }`
	write("10-hot.hcl", v1)
	loads := 0
	var during func() // runs inside the next load
	src := &RuleSource{Path: dir, Load: func() (*dsl.Config, error) {
		loads++
		if during != nil {
			during()
			during = nil
		}
		cfg, diags := dsl.Load([]string{dir}, dsl.Options{})
		if diags.HasErrors() {
			var b bytes.Buffer
			dsl.WriteDiagnostics(&b, cfg.Files, diags)
			return nil, errors.New(b.String())
		}
		return cfg, nil
	}}
	type want struct {
		cfg   bool // a configuration, not nil
		err   bool
		loads int // loads so far
	}
	check := func(what string, w want) {
		t.Helper()
		cfg, err := src.LoadChanged()
		if (cfg != nil) != w.cfg || (err != nil) != w.err || loads != w.loads {
			t.Fatalf("%s: config %v, err %v, %d loads; want config %v, error %v, %d loads", what, cfg != nil, err, loads, w.cfg, w.err, w.loads)
		}
	}
	check("first load", want{cfg: true, loads: 1})
	check("same files", want{loads: 1})
	write("10-hot.hcl", v2)
	check("edited", want{cfg: true, loads: 2})
	src.Forget()
	check("SIGHUP", want{cfg: true, loads: 3})
	check("same files after SIGHUP", want{loads: 3})

	write("20-broken.hcl", `rule "x" { when = "cpu.avgg > 1" }`)
	check("broken file added", want{err: true, loads: 4})
	check("broken file still there", want{err: true, loads: 5})
	if err := os.Remove(filepath.Join(dir, "20-broken.hcl")); err != nil {
		t.Fatal(err)
	}
	check("broken file removed: the running rules' files", want{loads: 5})

	during = func() { write("10-hot.hcl", v1) } // a save lands mid-load
	write("10-hot.hcl", `rule "hot" { when = "cpu.pct > 70" }`)
	check("edited, then saved again during the load", want{cfg: true, loads: 6})
	check("the save during the load is loaded", want{cfg: true, loads: 7})
	check("then nothing changed", want{loads: 7})
}
