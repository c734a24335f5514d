package process

import (
	"fmt"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

// cmdlineReads counts the command lines read through v since the last call.
func cmdlineReads(v *vanishingFS) map[string]int {
	v.mu.Lock()
	defer v.mu.Unlock()
	out := map[string]int{}
	for name, n := range v.open {
		if strings.HasSuffix(name, "/cmdline") {
			out[name] = n
		}
	}
	v.open = nil
	return out
}

// A process's command line is read once, not at every tick: later scans reuse it while
// the process (PID and start time) runs, and read it again when the PID is reused, when
// the process has become a zombie, and once it is a few minutes old.
func TestCmdlineReuse(t *testing.T) {
	t0 := time.Unix(btime, 0).Add(time.Hour)
	java := fakeProc{pid: 3000, comm: "java", state: 'S', start: 70_000, rss: 10, cmdline: "/usr/bin/java\x00-jar\x00/opt/shop/shop.jar\x00"}
	other := fakeProc{pid: 3100, comm: "java", state: 'S', start: 71_000, rss: 10, cmdline: "/usr/bin/java\x00-jar\x00/opt/search/search.jar\x00"}
	v := &vanishingFS{files: procFS(btime, java, other)}
	s := &Sampler{FS: v}
	sels := map[string]Selector{"shop": sel(t, "", `shop\.jar$`, ""), "java": sel(t, "", "^/usr/bin/java ", "")}
	sample := func(at time.Duration) Values {
		t.Helper()
		vals, errs := s.Sample(t0.Add(at), sels)
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		return vals["shop"]
	}

	if got := sample(0); got.Count != 1 {
		t.Fatalf("first tick: %+v, want the shop", got)
	}
	if got := cmdlineReads(v); got["3000/cmdline"] != 1 || got["3100/cmdline"] != 1 {
		t.Errorf("first tick read %v, want each command line once", got)
	}
	for _, at := range []time.Duration{15 * time.Second, 30 * time.Second, 45 * time.Second} {
		if got := sample(at); got.Count != 1 {
			t.Fatalf("at %v: %+v, want the shop", at, got)
		}
		if got := cmdlineReads(v); len(got) != 0 {
			t.Errorf("at %v read %v again", at, got)
		}
	}

	// PID 3000 is reused by another program: another start time, so it is read.
	v.files = procFS(btime, fakeProc{pid: 3000, comm: "java", state: 'S', start: 90_000, cmdline: "/usr/bin/java\x00-jar\x00/opt/cart/cart.jar\x00"}, other)
	if got := sample(50 * time.Second); got.Count != 0 {
		t.Errorf("after PID reuse: %+v, want no shop", got)
	}
	if got := cmdlineReads(v); got["3000/cmdline"] != 1 || got["3100/cmdline"] != 0 {
		t.Errorf("after PID reuse read %v, want 3000 only", got)
	}

	// The search process rewrites its command line: seen once the entry is old enough
	// (a minute, plus PID 3100 % 60 = 40 s, since it was read at 0).
	renamed := other
	renamed.cmdline = "search: idle\x00"
	v.files = procFS(btime, renamed)
	s.Sample(t0.Add(99*time.Second), sels)
	if got := cmdlineReads(v); got["3100/cmdline"] != 0 {
		t.Errorf("at 99 s read %v; a command line read at 0 is kept 100 s", got)
	}
	vals, _ := s.Sample(t0.Add(100*time.Second), sels)
	if got := cmdlineReads(v); got["3100/cmdline"] != 1 {
		t.Errorf("at 100 s read %v, want 3100 again", got)
	}
	if vals["java"].Count != 0 {
		t.Errorf("java after the rewrite: %+v, want none", vals["java"])
	}

	// A zombie's command line is empty, whatever was read while it ran.
	v.files = procFS(btime, java)
	s.Sample(t0.Add(110*time.Second), sels)
	zombie := java
	zombie.state = 'Z'
	v.files = procFS(btime, zombie)
	if got := sample(120 * time.Second); got.Count != 0 {
		t.Errorf("zombie: %+v, want not selected by cmdline", got)
	}

	// A process that execs another program keeps its PID and start time, not its name.
	wrapper := fakeProc{pid: 4000, comm: "run.sh", state: 'S', start: 95_000, cmdline: "/bin/sh\x00/opt/shop/run.sh\x00"}
	v.files = procFS(btime, wrapper)
	s.Sample(t0.Add(130*time.Second), sels)
	execd := wrapper
	execd.comm, execd.cmdline = "java", java.cmdline
	v.files = procFS(btime, execd)
	cmdlineReads(v)
	if got := sample(131 * time.Second); got.Count != 1 {
		t.Errorf("after exec: %+v, want the shop", got)
	}
	if got := cmdlineReads(v); got["4000/cmdline"] != 1 {
		t.Errorf("after exec read %v, want 4000 again", got)
	}

	// The clock set back: nothing read in the future is trusted.
	v.files = procFS(btime, java)
	cmdlineReads(v)
	sample(time.Second)
	if got := cmdlineReads(v); got["3000/cmdline"] != 1 {
		t.Errorf("clock set back: read %v, want 3000 again", got)
	}
}

// When every selector names a PID file, the scan reads the stat of those processes only.
func TestPIDFileScansOnlyItsProcess(t *testing.T) {
	v := &vanishingFS{files: procFS(btime, machine...)}
	s := &Sampler{FS: v, ReadFile: func(name string) ([]byte, error) { return []byte("1200\n"), nil }}
	vals, errs := s.Sample(time.Unix(btime, 0).Add(time.Hour), map[string]Selector{
		"httpd":    sel(t, "", "", "/run/httpd.pid"),
		"httpd-fg": sel(t, "", "FOREGROUND", "/run/httpd.pid"),
		"other":    sel(t, "^java$", "", "/run/httpd.pid"),
	})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if vals["httpd"].Count != 1 || vals["httpd-fg"].Count != 1 || vals["other"].Count != 0 {
		t.Errorf("values %+v", vals)
	}
	for name := range v.open {
		if strings.HasSuffix(name, "/stat") && name != "1200/stat" {
			t.Errorf("read %s; only 1200/stat is needed", name)
		}
	}

	// A PID file naming a process that is gone, or that is hidden, selects nothing.
	for _, pid := range []string{"31337", "1300"} {
		v := &vanishingFS{files: procFS(btime, machine...), gone: map[string]error{"1300/stat": fs.ErrPermission}}
		s := &Sampler{FS: v, ReadFile: func(string) ([]byte, error) { return []byte(pid), nil }}
		vals, errs := s.Sample(time.Unix(btime, 0).Add(time.Hour), map[string]Selector{"p": sel(t, "", "", "/run/p.pid")})
		if len(errs) > 0 || vals["p"].Count != 0 {
			t.Errorf("PID %s: %+v %v, want nothing selected", pid, vals, errs)
		}
	}

	// A broken stat is an error, as in a full scan.
	bad := procFS(btime)
	bad["77/stat"] = &fstest.MapFile{Data: []byte("77 (bad) S 1 2 3\n")}
	s = &Sampler{FS: bad, ReadFile: func(string) ([]byte, error) { return []byte("77"), nil }}
	_, errs = s.Sample(time.Unix(btime, 0).Add(time.Hour), map[string]Selector{"p": sel(t, "", "", "/run/p.pid")})
	if errs["p"] == nil || !strings.Contains(errs["p"].Error(), "/proc/77/stat: stat line ends after 6 fields") {
		t.Errorf("broken stat: %v", errs)
	}
}

// What a selector's regular expression made of a name or a command line is kept from scan
// to scan, and forgotten when the name changes; with more regular expressions than are
// kept (a configuration reloaded many times), the answers stay right.
func TestMatchesKept(t *testing.T) {
	t0 := time.Unix(btime, 0).Add(time.Hour)
	wrapper := fakeProc{pid: 4000, comm: "run.sh", state: 'S', start: 95_000, cmdline: "/bin/sh\x00/opt/shop/run.sh\x00"}
	execd := wrapper
	execd.comm, execd.cmdline = "java", "/usr/bin/java\x00-jar\x00/opt/shop/shop.jar\x00"
	s := &Sampler{FS: procFS(btime, wrapper)}
	for round := range 4 {
		// 20 selectors by name and 20 by command line, new ones at each round, half of them
		// never matching: the half that changes at each round. The second round's are
		// numbered as there is room, the third's afresh.
		sels := map[string]Selector{}
		matches := map[string]bool{}
		for i := range 20 {
			java, shop := "java", `shop\.jar`
			if (i+round)%2 == 1 {
				java, shop = "kotlin", `cart\.jar`
			}
			n := fmt.Sprint("n", i)
			sels[n], matches[n] = sel(t, fmt.Sprintf("^(%s){1,%d}$", java, i+1), "", ""), java == "java"
			c := fmt.Sprint("c", i)
			sels[c], matches[c] = sel(t, "", fmt.Sprintf(`%s{1,%d}$`, shop, i+1), ""), java == "java"
		}
		for step, p := range []fakeProc{execd, execd, wrapper, wrapper, execd} {
			s.FS = procFS(btime, p)
			vals, errs := s.Sample(t0.Add(time.Duration(round*10+step)*time.Second), sels)
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			for name, v := range vals {
				want := 0.0
				if p.comm == "java" && matches[name] {
					want = 1
				}
				if v.Count != want {
					t.Errorf("round %d, step %d (%s): %s %v counts %v, want %v", round, step, p.comm, name, sels[name], v.Count, want)
				}
			}
		}
	}
}
