package watch

import (
	"context"
	"flag"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fsnotify/fsnotify"
)

// TestMain runs the tests 16 at a time even on a small machine: they spend their time
// waiting on debounce and poll timers, not on the CPU, and the suite must stay within
// seconds. An explicit -parallel wins.
func TestMain(m *testing.M) {
	flag.Parse()
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.parallel" })
	if !set && runtime.GOMAXPROCS(0) < 16 {
		if err := flag.Set("test.parallel", "16"); err != nil {
			panic(err)
		}
	}
	os.Exit(m.Run())
}

// maxLatency is the promise: a change is signalled within a second.
const maxLatency = time.Second

// eventsOnly turns the fallbacks off, so a case that passes with it was seen by inotify.
var eventsOnly = Options{Poll: time.Hour, recheck: time.Hour}

// startWatch watches dir until the test ends, then checks that the watcher stops and
// closes its channel.
func startWatch(t *testing.T, dir string, opts Options) <-chan struct{} {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ch, err := Watch(ctx, dir, opts)
	if err != nil {
		cancel()
		t.Fatalf("Watch: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		deadline := time.After(2 * time.Second)
		for {
			select {
			case _, ok := <-ch:
				if !ok {
					return
				}
			case <-deadline:
				t.Error("the channel is still open 2s after ctx ended")
				return
			}
		}
	})
	return ch
}

// expectSignal waits for a signal at most maxLatency after since, and returns the latency.
func expectSignal(t *testing.T, ch <-chan struct{}, since time.Time, what string) time.Duration {
	t.Helper()
	select {
	case <-ch:
		d := time.Since(since)
		t.Logf("latency: %-40s %v", what, d.Round(time.Millisecond))
		return d
	case <-time.After(maxLatency - time.Since(since)):
		t.Fatalf("%s: no signal within %v", what, maxLatency)
		return 0
	}
}

// count counts the signals arriving within d.
func count(ch <-chan struct{}, d time.Duration) int {
	n := 0
	deadline := time.After(d)
	for {
		select {
		case <-ch:
			n++
		case <-deadline:
			return n
		}
	}
}

func expectQuiet(t *testing.T, ch <-chan struct{}, d time.Duration, what string) {
	t.Helper()
	if n := count(ch, d); n > 0 {
		t.Errorf("%s: %d signal(s), want none", what, n)
	}
}

// settle lets a burst's possible second signal pass, so the next step starts clean.
func settle(ch <-chan struct{}) { count(ch, 500*time.Millisecond) }

func expectLoads(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	if got, want := mustHash(t, dir), hashOf(t, files); got != want {
		t.Errorf("Hash(%s) does not match the expected files %v", dir, keys(files))
	}
}

func keys(m map[string]string) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

func with(base map[string]string, kv ...string) map[string]string {
	m := map[string]string{}
	for k, v := range base {
		m[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == "" {
			delete(m, kv[i])
		} else {
			m[kv[i]] = kv[i+1]
		}
	}
	return m
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func inode(t *testing.T, path string) os.FileInfo {
	t.Helper()
	fi, err := os.Stat(path)
	must(t, err)
	return fi
}

// configMap builds a Kubernetes ConfigMap volume: the data in a timestamped directory,
// ..data a symlink to it, and each visible file a symlink through ..data.
func configMap(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	mkfiles(t, filepath.Join(dir, "..2024_01_01_00_00_00.1"), files)
	must(t, os.Symlink("..2024_01_01_00_00_00.1", filepath.Join(dir, "..data")))
	for name := range files {
		must(t, os.Symlink(filepath.Join("..data", name), filepath.Join(dir, name)))
	}
}

// updateConfigMap swaps in new data as the kubelet's AtomicWriter does: new timestamped
// directory, ..data_tmp symlink renamed over ..data, visible links added and removed, the
// old directory removed. No visible file is written.
func updateConfigMap(t *testing.T, dir string, old, files map[string]string) {
	t.Helper()
	mkfiles(t, filepath.Join(dir, "..2024_01_01_00_01_00.2"), files)
	must(t, os.Symlink("..2024_01_01_00_01_00.2", filepath.Join(dir, "..data_tmp")))
	must(t, os.Rename(filepath.Join(dir, "..data_tmp"), filepath.Join(dir, "..data")))
	for name := range files {
		if _, ok := old[name]; !ok {
			must(t, os.Symlink(filepath.Join("..data", name), filepath.Join(dir, name)))
		}
	}
	for name := range old {
		if _, ok := files[name]; !ok {
			must(t, os.Remove(filepath.Join(dir, name)))
		}
	}
	must(t, os.RemoveAll(filepath.Join(dir, "..2024_01_01_00_00_00.1")))
}

var base = map[string]string{"a.hcl": "rule \"a\" {}\n", "b.hcl": "rule \"b\" {}\n"}

func TestWatchSignalsEachKindOfChange(t *testing.T) {
	t.Parallel()
	plain := func(t *testing.T, root string) string {
		dir := filepath.Join(root, "rules.d")
		mkfiles(t, dir, base)
		return dir
	}
	a2 := "rule \"a2\" {}\n"
	tests := []struct {
		name   string
		layout func(t *testing.T, root string) string // returns the path to watch
		change func(t *testing.T, root, dir string, ch <-chan struct{})
		want   map[string]string // what a load reads after the change
		opts   Options           // eventsOnly unless the case needs the recheck
		// then, when set, is a second change proving the watch still works afterwards.
		then     func(t *testing.T, root, dir string, ch <-chan struct{})
		thenWant map[string]string
	}{
		{
			name:   "new file",
			layout: plain,
			change: func(t *testing.T, _, dir string, ch <-chan struct{}) {
				writeFile(t, filepath.Join(dir, "c.hcl"), "rule \"c\" {}\n")
			},
			want: with(base, "c.hcl", "rule \"c\" {}\n"),
		},
		{
			name:   "edit in place",
			layout: plain,
			change: func(t *testing.T, _, dir string, ch <-chan struct{}) {
				path := filepath.Join(dir, "a.hcl")
				before := inode(t, path)
				f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
				must(t, err)
				_, err = f.WriteString(a2)
				must(t, err)
				must(t, f.Close())
				if !os.SameFile(before, inode(t, path)) {
					t.Fatal("the edit replaced the file instead of writing it in place")
				}
			},
			want: with(base, "a.hcl", a2),
		},
		{
			name:   "editor atomic save",
			layout: plain,
			change: func(t *testing.T, _, dir string, ch <-chan struct{}) {
				tmp := filepath.Join(dir, ".a.hcl.tmp-4711")
				writeFile(t, tmp, a2)
				must(t, os.Rename(tmp, filepath.Join(dir, "a.hcl")))
			},
			want: with(base, "a.hcl", a2),
		},
		{
			name:   "sed -i",
			layout: plain,
			change: func(t *testing.T, _, dir string, ch <-chan struct{}) {
				path := filepath.Join(dir, "a.hcl")
				before := inode(t, path)
				if sed, err := exec.LookPath("sed"); err == nil {
					if out, err := exec.Command(sed, "-i", `s/"a"/"a2"/`, path).CombinedOutput(); err != nil {
						t.Fatalf("sed -i: %v: %s", err, out)
					}
				} else { // what GNU sed does: a new file beside it, renamed over it
					tmp := filepath.Join(dir, "sedAbC123")
					writeFile(t, tmp, a2)
					must(t, os.Rename(tmp, path))
				}
				if os.SameFile(before, inode(t, path)) {
					t.Fatal("sed -i kept the inode; this case is about a new inode renamed over")
				}
			},
			want: with(base, "a.hcl", a2),
		},
		{
			name:   "deleted file",
			layout: plain,
			change: func(t *testing.T, _, dir string, ch <-chan struct{}) { must(t, os.Remove(filepath.Join(dir, "b.hcl"))) },
			want:   with(base, "b.hcl", ""),
		},
		{
			name: "ConfigMap symlink swap",
			layout: func(t *testing.T, root string) string {
				dir := filepath.Join(root, "rules.d")
				configMap(t, dir, base)
				return dir
			},
			change: func(t *testing.T, _, dir string, ch <-chan struct{}) {
				updateConfigMap(t, dir, base, map[string]string{"a.hcl": a2, "c.hcl": "c"})
			},
			want: map[string]string{"a.hcl": a2, "c.hcl": "c"},
		},
		{
			// Documented behaviour: the watcher signals for any change in the directory;
			// the hash, and so the caller, sees that nothing loaded changed.
			name:   "non-.hcl change signals, hash unchanged",
			layout: plain,
			change: func(t *testing.T, _, dir string, ch <-chan struct{}) {
				writeFile(t, filepath.Join(dir, "README.txt"), "notes")
				writeFile(t, filepath.Join(dir, "a_test.hcl"), "a test")
				writeFile(t, filepath.Join(dir, ".a.hcl.swp"), "swap")
			},
			want: base,
		},
		{
			name:   "directory replaced",
			layout: plain,
			change: func(t *testing.T, root, dir string, ch <-chan struct{}) {
				must(t, os.Rename(dir, dir+".old"))
				mkfiles(t, dir, map[string]string{"a.hcl": a2})
			},
			want: map[string]string{"a.hcl": a2},
			// The watch is on the new directory, not the old one.
			then: func(t *testing.T, _, dir string, ch <-chan struct{}) {
				writeFile(t, filepath.Join(dir, "a.hcl"), "3")
			},
			thenWant: map[string]string{"a.hcl": "3"},
		},
		{
			// Same inode back at the same path: fsnotify dropped the watch on IN_MOVE_SELF.
			name:   "directory moved away and back",
			layout: plain,
			change: func(t *testing.T, root, dir string, ch <-chan struct{}) {
				must(t, os.Rename(dir, filepath.Join(root, "elsewhere")))
				must(t, os.Rename(filepath.Join(root, "elsewhere"), dir))
			},
			want:     base,
			then:     func(t *testing.T, _, dir string, ch <-chan struct{}) { writeFile(t, filepath.Join(dir, "a.hcl"), a2) },
			thenWant: with(base, "a.hcl", a2),
		},
		{
			name:   "directory temporarily missing",
			layout: plain,
			change: func(t *testing.T, _, dir string, ch <-chan struct{}) {
				must(t, os.RemoveAll(dir))
				// Documented behaviour: no signal while there is nothing to load.
				expectQuiet(t, ch, 700*time.Millisecond, "while the directory is missing")
				mkfiles(t, dir, map[string]string{"a.hcl": a2})
			},
			want:     map[string]string{"a.hcl": a2},
			then:     func(t *testing.T, _, dir string, ch <-chan struct{}) { writeFile(t, filepath.Join(dir, "b.hcl"), "b") },
			thenWant: map[string]string{"a.hcl": a2, "b.hcl": "b"},
		},
		{
			// No parent watch to say it is back: the recheck finds it.
			name: "directory and its parent temporarily missing",
			layout: func(t *testing.T, root string) string {
				dir := filepath.Join(root, "etc", "rules.d")
				mkfiles(t, dir, base)
				return dir
			},
			change: func(t *testing.T, root, dir string, ch <-chan struct{}) {
				must(t, os.RemoveAll(filepath.Join(root, "etc")))
				expectQuiet(t, ch, 700*time.Millisecond, "while the directory is missing")
				mkfiles(t, dir, map[string]string{"a.hcl": a2})
			},
			want:     map[string]string{"a.hcl": a2},
			opts:     Options{Poll: time.Hour},
			then:     func(t *testing.T, _, dir string, ch <-chan struct{}) { writeFile(t, filepath.Join(dir, "b.hcl"), "b") },
			thenWant: map[string]string{"a.hcl": a2, "b.hcl": "b"},
		},
		{
			name:   "symlinked directory retargeted by rename",
			layout: linkedDir,
			change: func(t *testing.T, root, dir string, ch <-chan struct{}) {
				tmp := filepath.Join(root, "rules.d.tmp")
				must(t, os.Symlink("rules-v2", tmp))
				must(t, os.Rename(tmp, dir))
			},
			want: map[string]string{"a.hcl": a2},
			// The new target is watched.
			then: func(t *testing.T, root, _ string, ch <-chan struct{}) {
				writeFile(t, filepath.Join(root, "rules-v2", "c.hcl"), "c")
			},
			thenWant: map[string]string{"a.hcl": a2, "c.hcl": "c"},
		},
		{
			name:   "symlinked directory retargeted by ln -sfn",
			layout: linkedDir,
			change: func(t *testing.T, root, dir string, ch <-chan struct{}) {
				must(t, os.Remove(dir))
				must(t, os.Symlink(filepath.Join(root, "rules-v2"), dir))
			},
			want: map[string]string{"a.hcl": a2},
			then: func(t *testing.T, root, _ string, ch <-chan struct{}) {
				writeFile(t, filepath.Join(root, "rules-v2", "c.hcl"), "c")
			},
			thenWant: map[string]string{"a.hcl": a2, "c.hcl": "c"},
		},
		{
			// /etc/notimon -> /srv/notimon-v1 retargeted: neither the directory nor its
			// parent sees an event; the recheck sees the inode change.
			name: "symlink higher up the path retargeted",
			layout: func(t *testing.T, root string) string {
				mkfiles(t, filepath.Join(root, "etc-v1", "rules.d"), base)
				mkfiles(t, filepath.Join(root, "etc-v2", "rules.d"), map[string]string{"a.hcl": a2})
				must(t, os.Symlink("etc-v1", filepath.Join(root, "etc")))
				return filepath.Join(root, "etc", "rules.d")
			},
			change: func(t *testing.T, root, _ string, ch <-chan struct{}) {
				must(t, os.Symlink("etc-v2", filepath.Join(root, "etc.tmp")))
				must(t, os.Rename(filepath.Join(root, "etc.tmp"), filepath.Join(root, "etc")))
			},
			want: map[string]string{"a.hcl": a2},
			opts: Options{Poll: time.Hour},
			then: func(t *testing.T, root, _ string, ch <-chan struct{}) {
				writeFile(t, filepath.Join(root, "etc-v2", "rules.d", "c.hcl"), "c")
			},
			thenWant: map[string]string{"a.hcl": a2, "c.hcl": "c"},
		},
		{
			name:   "file linked from outside, edited in place",
			layout: linkedFile,
			change: func(t *testing.T, root, _ string, ch <-chan struct{}) {
				writeFile(t, filepath.Join(root, "shared", "a.hcl"), a2)
			},
			want: with(base, "a.hcl", a2),
		},
		{
			name:   "file linked from outside, atomic save",
			layout: linkedFile,
			change: func(t *testing.T, root, _ string, ch <-chan struct{}) {
				tmp := filepath.Join(root, "shared", ".a.hcl.tmp")
				writeFile(t, tmp, a2)
				must(t, os.Rename(tmp, filepath.Join(root, "shared", "a.hcl")))
			},
			want: with(base, "a.hcl", a2),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			dir := tt.layout(t, root)
			opts := tt.opts
			if opts.Poll == 0 {
				opts = eventsOnly
			}
			ch := startWatch(t, dir, opts)

			tt.change(t, root, dir, ch)
			expectSignal(t, ch, time.Now(), tt.name)
			expectLoads(t, dir, tt.want)
			if tt.then == nil {
				return
			}
			settle(ch)
			tt.then(t, root, dir, ch)
			expectSignal(t, ch, time.Now(), tt.name+", then")
			expectLoads(t, dir, tt.thenWant)
		})
	}
}

// linkedDir: rules.d -> rules-v1 (base), and rules-v2 ({a.hcl: a2}) beside it.
func linkedDir(t *testing.T, root string) string {
	mkfiles(t, filepath.Join(root, "rules-v1"), base)
	mkfiles(t, filepath.Join(root, "rules-v2"), map[string]string{"a.hcl": "rule \"a2\" {}\n"})
	dir := filepath.Join(root, "rules.d")
	must(t, os.Symlink("rules-v1", dir))
	return dir
}

// linkedFile: rules.d/a.hcl -> ../shared/a.hcl, next to files unrelated to the rules.
func linkedFile(t *testing.T, root string) string {
	mkfiles(t, filepath.Join(root, "shared"), map[string]string{"a.hcl": base["a.hcl"], "other.txt": "x"})
	dir := filepath.Join(root, "rules.d")
	mkfiles(t, dir, map[string]string{"b.hcl": base["b.hcl"]})
	must(t, os.Symlink(filepath.Join("..", "shared", "a.hcl"), filepath.Join(dir, "a.hcl")))
	return dir
}

func TestWatchIgnoresUnrelatedFilesNextToLinkedTargets(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	dir := linkedFile(t, root)
	ch := startWatch(t, dir, eventsOnly)
	writeFile(t, filepath.Join(root, "shared", "other.txt"), "y")
	expectQuiet(t, ch, 700*time.Millisecond, "a file beside a link target, not loaded")
}

func TestWatchPollFindsChangesEventsMissed(t *testing.T) {
	t.Parallel()
	dropAll := func(fsnotify.Event) bool { return true }
	t.Run("content", func(t *testing.T) {
		t.Parallel()
		dir := filepath.Join(t.TempDir(), "rules.d")
		mkfiles(t, dir, base)
		poll := 200 * time.Millisecond
		ch := startWatch(t, dir, Options{Poll: poll, recheck: time.Hour, dropEvent: dropAll})
		writeFile(t, filepath.Join(dir, "a.hcl"), "rule \"x\" {}\n") // same size, new content
		if d := expectSignal(t, ch, time.Now(), "poll: content changed, events lost"); d > poll+maxLatency/2 {
			t.Errorf("poll took %v, want about Poll (%v)", d, poll)
		}
		// The poll signals for a change only once.
		expectQuiet(t, ch, 3*poll, "poll after the change")
	})
	t.Run("directory replaced", func(t *testing.T) {
		t.Parallel()
		dir := filepath.Join(t.TempDir(), "rules.d")
		mkfiles(t, dir, base)
		// A plain directory watched with its parent needs no periodic recheck (the
		// parent's events report a replacement, and the kernel reports a lost event as
		// an overflow): with every event lost, the poll's recheck finds the new inode.
		poll := 200 * time.Millisecond
		ch := startWatch(t, dir, Options{Poll: poll, dropEvent: dropAll})
		must(t, os.Rename(dir, dir+".old"))
		mkfiles(t, dir, base) // same contents: the new inode alone must be noticed
		expectSignal(t, ch, time.Now(), "poll's recheck: directory replaced, events lost")
	})
}

// The periodic recheck runs only while something can change that no event reports: not
// for a plain directory and its parent, which inotify watches; yes for a path through a
// symlink (retargeting it is an event in a directory not watched).
func TestWatchRechecksOnlyWhatEventsMiss(t *testing.T) {
	t.Parallel()
	run := func(t *testing.T, dir string) (rechecks *atomic.Int32) {
		rechecks = new(atomic.Int32)
		startWatch(t, dir, Options{Poll: time.Hour, recheck: 20 * time.Millisecond, rechecked: func() { rechecks.Add(1) }})
		return rechecks
	}
	t.Run("plain", func(t *testing.T) {
		t.Parallel()
		dir := filepath.Join(t.TempDir(), "rules.d")
		mkfiles(t, dir, base)
		n := run(t, dir)
		time.Sleep(300 * time.Millisecond)
		if got := n.Load(); got != 0 {
			t.Errorf("%d periodic rechecks of a plain directory, want none", got)
		}
	})
	t.Run("symlink above", func(t *testing.T) {
		t.Parallel()
		root := t.TempDir()
		mkfiles(t, filepath.Join(root, "etc-v1", "rules.d"), base)
		must(t, os.Symlink("etc-v1", filepath.Join(root, "etc")))
		n := run(t, filepath.Join(root, "etc", "rules.d"))
		deadline := time.Now().Add(maxLatency)
		for n.Load() == 0 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if n.Load() == 0 {
			t.Errorf("no periodic recheck of a path through a symlink within %v", maxLatency)
		}
	})
}

// The parent moved away: its own watch says so, and the directory, gone from the path,
// is followed from then on (back, it is signalled).
func TestWatchParentMoved(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	dir := filepath.Join(root, "etc", "rules.d")
	mkfiles(t, dir, base)
	ch := startWatch(t, dir, Options{Poll: time.Hour})
	must(t, os.Rename(filepath.Join(root, "etc"), filepath.Join(root, "etc.old")))
	expectQuiet(t, ch, 500*time.Millisecond, "while the directory is missing")
	mkfiles(t, dir, map[string]string{"a.hcl": "rule \"a2\" {}\n"})
	expectSignal(t, ch, time.Now(), "parent moved away, then the directory back")
}

func TestWatchDebouncesABurst(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "rules.d")
	mkfiles(t, dir, base)
	ch := startWatch(t, dir, eventsOnly)
	for i := range 20 {
		writeFile(t, filepath.Join(dir, "a.hcl"), strings.Repeat("x", i))
		time.Sleep(5 * time.Millisecond)
	}
	expectSignal(t, ch, time.Now(), "20 writes in 100 ms")
	if n := 1 + count(ch, time.Second); n > 2 {
		t.Errorf("20 writes in 100 ms gave %d signals, want 1 (maybe 2)", n)
	}
}

func TestWatchSignalsDuringAnEndlessStream(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "rules.d")
	mkfiles(t, dir, base)
	ch := startWatch(t, dir, eventsOnly)
	start := time.Now()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for time.Since(start) < 1500*time.Millisecond {
			os.WriteFile(filepath.Join(dir, "app.log"), []byte(time.Now().String()), 0o644)
			time.Sleep(50 * time.Millisecond)
		}
	}()
	// Debounce alone would wait for the stream to stop; the burst cap signals anyway.
	expectSignal(t, ch, start, "writes every 50 ms, never quiet")
	<-done
}

func TestWatchNeverBlocksOnASlowReader(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "rules.d")
	mkfiles(t, dir, base)
	ch := startWatch(t, dir, eventsOnly)
	for i := range 3 { // three separate bursts, nobody reading
		writeFile(t, filepath.Join(dir, "c.hcl"), strings.Repeat("c", i))
		time.Sleep(500 * time.Millisecond)
	}
	if n := count(ch, 100*time.Millisecond); n != 1 {
		t.Fatalf("%d signals waiting, want the 3 bursts coalesced into 1", n)
	}
	writeFile(t, filepath.Join(dir, "c.hcl"), "new")
	expectSignal(t, ch, time.Now(), "after a slow reader")
}

// Not parallel: the goroutine count is global, and parallel tests wait while this runs.
func TestWatchLeavesNoGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	root := t.TempDir()
	dir := linkedFile(t, root) // directory, parent and an extra watch
	ctx, cancel := context.WithCancel(context.Background())
	ch, err := Watch(ctx, dir, Options{Poll: 100 * time.Millisecond})
	must(t, err)
	writeFile(t, filepath.Join(dir, "c.hcl"), "c")
	expectSignal(t, ch, time.Now(), "before cancel")
	cancel()
	deadline := time.Now().Add(2 * time.Second)
	for range ch { // closed when the watcher is done
	}
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines after cancel, %d before:\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestWatchDirectoryMissingAtStart(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "rules.d")
	ch := startWatch(t, dir, eventsOnly)
	mkfiles(t, dir, base)
	expectSignal(t, ch, time.Now(), "directory created after Watch")
	expectLoads(t, dir, base)
}

// Without inotify (fs.inotify.max_user_instances exhausted) the recheck and the poll still
// see every change, later.
func TestWatchWithoutInotify(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	dir := filepath.Join(root, "rules.d")
	mkfiles(t, dir, base)
	poll := 300 * time.Millisecond
	ch := startWatch(t, dir, Options{Poll: poll, noInotify: true})
	writeFile(t, filepath.Join(dir, "a.hcl"), "rule \"x\" {}\n")
	expectSignal(t, ch, time.Now(), "no inotify: content changed")
	settle(ch)
	must(t, os.Rename(dir, dir+".old"))
	mkfiles(t, dir, base)
	expectSignal(t, ch, time.Now(), "no inotify: directory replaced")
	expectLoads(t, dir, base)
}

// notimon run rules.hcl: the path is one file, and an atomic save replaces its inode.
func TestWatchASingleFile(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	path := filepath.Join(root, "rules.hcl")
	writeFile(t, path, "1")
	writeFile(t, filepath.Join(root, "other.txt"), "x")
	ch := startWatch(t, path, eventsOnly)
	hashIs := func(content string) {
		t.Helper()
		ref := filepath.Join(t.TempDir(), "rules.hcl")
		writeFile(t, ref, content)
		if mustHash(t, path) != mustHash(t, ref) {
			t.Errorf("Hash(%s) is not the hash of %q", path, content)
		}
	}

	writeFile(t, path, "2")
	expectSignal(t, ch, time.Now(), "single file: edit in place")
	hashIs("2")
	settle(ch)

	tmp := filepath.Join(root, ".rules.hcl.tmp")
	writeFile(t, tmp, "3")
	must(t, os.Rename(tmp, path))
	expectSignal(t, ch, time.Now(), "single file: atomic save")
	hashIs("3")
	settle(ch)

	writeFile(t, path, "4") // the watch is on the new inode
	expectSignal(t, ch, time.Now(), "single file: edit after the save")
	hashIs("4")
	settle(ch)

	writeFile(t, filepath.Join(root, "other.txt"), "y")
	expectQuiet(t, ch, 700*time.Millisecond, "single file: a file beside it")
}

func TestWatchNeedsADirectory(t *testing.T) {
	t.Parallel()
	if _, err := Watch(context.Background(), "", Options{}); err == nil {
		t.Error("Watch with no directory succeeded")
	}
}

// TestWatchDoesNotLogTheParent keeps a debug log in the parent of the rules directory, as
// `notimon run --log-level debug 2>>/etc/notimon/notimon.log` with rules in
// /etc/notimon/rules.d does: the writes to it (and to any other file there) are neither
// signalled nor logged, so the log cannot feed itself. A change in the rules directory is
// still logged and signalled.
func TestWatchDoesNotLogTheParent(t *testing.T) {
	t.Parallel()
	parent := t.TempDir()
	dir := filepath.Join(parent, "rules.d")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(parent, "notimon.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	logger := slog.New(slog.NewTextHandler(logFile, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ch := startWatch(t, dir, Options{Poll: time.Hour, recheck: time.Hour, Logger: logger})

	other := filepath.Join(parent, "other.log")
	for i := range 200 {
		if err := os.WriteFile(other, []byte(strings.Repeat("x", i)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	expectQuiet(t, ch, 2*DefaultDebounce, "writes in the parent directory")
	// A change in the rules directory is the synchronisation point: the events of the
	// parent, queued before it, have been handled when it is signalled.
	start := time.Now()
	if err := os.WriteFile(filepath.Join(dir, "a.hcl"), []byte("locals {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	expectSignal(t, ch, start, "a file written in the rules directory")
	b, _ := os.ReadFile(logPath)
	if strings.Contains(string(b), "other.log") || strings.Contains(string(b), "notimon.log") {
		t.Errorf("the watcher logged events of the parent directory:\n%s", b)
	}
	if !strings.Contains(string(b), "a.hcl") {
		t.Errorf("the watcher did not log the event in the rules directory:\n%s", b)
	}
	if len(b) > 4096 {
		t.Errorf("the debug log grew to %d bytes for one change", len(b))
	}
}
