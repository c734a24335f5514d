package file

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/notimon/notimon/probes/internal/fixture"
)

var now = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func TestSample(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string, mtime time.Time) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			t.Fatal(err)
		}
		return p
	}
	symlink := func(target, name string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	logFile := write("app.log", "hello\n", now.Add(-90*time.Second))
	future := write("future", "", now.Add(time.Minute))
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	subInfo, err := os.Stat(sub)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(sub, now.Add(-time.Hour), now.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	fifoInfo, err := os.Stat(fifo)
	if err != nil {
		t.Fatal(err)
	}
	link := symlink("app.log", "current.log")
	dangling := symlink(filepath.Join(dir, "app-2024.log"), "dangling.log")
	loop := symlink("loop", "loop")

	for _, tc := range []struct {
		name string
		path string
		want Values
	}{
		{"file", logFile, Values{Exists: true, SizeBytes: 6, AgeS: 90, Type: "file"}},
		{"modified in the future", future, Values{Exists: true, AgeS: -60, Type: "file"}},
		{"missing", filepath.Join(dir, "nope"), Values{}},
		{"through a file", filepath.Join(logFile, "x"), Values{}},
		{"directory: the entry's size, its mtime", sub,
			Values{Exists: true, SizeBytes: float64(subInfo.Size()), AgeS: 3600, Type: "dir"}},
		{"symlink is followed", link, Values{Exists: true, SizeBytes: 6, AgeS: 90, Type: "file"}},
		{"dangling symlink", dangling, Values{Error: "dangling symlink to " + filepath.Join(dir, "app-2024.log")}},
		{"symlink loop", loop, Values{Error: "symlink loop (too many levels of symbolic links)"}},
		// Opening a FIFO for reading would block until a writer came: only stat does not.
		{"fifo is not opened", fifo,
			Values{Exists: true, AgeS: now.Sub(fifoInfo.ModTime()).Seconds(), Type: "fifo"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Sample(context.Background(), Config{Path: tc.path}, now)
			if got != tc.want {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}

	t.Run("device", func(t *testing.T) {
		got := Sample(context.Background(), Config{Path: "/dev/null"}, now)
		if !got.Exists || got.Type != "char_device" || got.Error != "" {
			t.Errorf("got %+v, want an existing char_device", got)
		}
	})
	t.Run("permission denied", func(t *testing.T) {
		if os.Geteuid() == 0 {
			t.Skip("root reads every directory")
		}
		locked := filepath.Join(dir, "locked")
		if err := os.Mkdir(locked, 0o000); err != nil {
			t.Fatal(err)
		}
		defer os.Chmod(locked, 0o755)
		got := Sample(context.Background(), Config{Path: filepath.Join(locked, "x")}, now)
		if want := (Values{Error: "permission denied"}); got != want {
			t.Errorf("got %+v, want %+v", got, want)
		}
	})
}

// hang makes examine block until the returned release is called, counting calls.
func hang(t *testing.T) (calls *atomic.Int32, release func()) {
	t.Helper()
	calls = new(atomic.Int32)
	gate := make(chan struct{})
	old := examine
	examine = func(path string) result {
		calls.Add(1)
		<-gate
		return result{err: "released"}
	}
	var once bool
	release = func() {
		if !once {
			once = true
			close(gate)
		}
	}
	t.Cleanup(func() {
		release()
		// Wait for the background stat to finish before putting examine back.
		for {
			mu.Lock()
			n := len(inflight)
			mu.Unlock()
			if n == 0 {
				break
			}
			time.Sleep(time.Millisecond)
		}
		examine = old
	})
	return calls, release
}

func TestSampleHungStat(t *testing.T) {
	calls, release := hang(t)
	cfg := Config{Path: "/mnt/dead-nfs/backup.tar", Timeout: 100 * time.Millisecond}
	for i := range 3 {
		start := time.Now()
		got := Sample(context.Background(), cfg, now)
		if took := time.Since(start); took > 3*time.Second { // a failure bound: the stat hangs until the test ends
			t.Errorf("sample %d took %v with a 100ms timeout", i, took)
		}
		if want := (Values{Error: "stat timed out after 100ms (a hung network file system?)"}); got != want {
			t.Errorf("sample %d: got %+v, want %+v", i, got, want)
		}
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("%d stats started for one hung path, want 1 (later samples wait for it)", n)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if got := Sample(ctx, cfg, now); !strings.HasPrefix(got.Error, "canceled") {
		t.Errorf("canceled: got %+v", got)
	}

	release()
	if got := Sample(context.Background(), cfg, now); got.Error != "released" {
		t.Errorf("after release: got %+v, want the stuck stat's result", got)
	}
}

func TestFromAttrs(t *testing.T) {
	for _, tc := range []struct {
		name    string
		attrs   map[string]any
		want    Config
		wantErr string
	}{
		{"defaults", map[string]any{"path": "/var/log/app.log"}, Config{Path: "/var/log/app.log", Timeout: DefaultTimeout}, ""},
		{"timeout", map[string]any{"path": "/x", "timeout": time.Second}, Config{Path: "/x", Timeout: time.Second}, ""},
		{"missing", map[string]any{}, Config{}, "path is missing"},
		{"relative", map[string]any{"path": "app.log"}, Config{}, `path "app.log" is relative`},
		{"wrong type", map[string]any{"path": []string{"/x"}}, Config{}, "attribute path: want string, got []string"},
		{"unknown", map[string]any{"path": "/x", "follow": false}, Config{}, `unknown attribute "follow"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := FromAttrs(tc.attrs)
			if fixture.WantError(t, err, tc.wantErr) {
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}
