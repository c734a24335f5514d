package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

func TestReadBuildVersion(t *testing.T) {
	platform := " " + runtime.GOOS + "/" + runtime.GOARCH + " " + runtime.Version()
	vcs := func(rev, time, modified string) []debug.BuildSetting {
		return []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: rev}, {Key: "vcs.time", Value: time}, {Key: "vcs.modified", Value: modified}}
	}
	const rev = "28c7df6a1b2c3d4e5f60718293a4b5c6d7e8f901"
	for _, tt := range []struct {
		name                string
		bi                  *debug.BuildInfo
		ldVer, ldRev, ldDat string
		want                string
	}{
		{"no build info, no ldflags", nil, "", "", "",
			"notimon (devel) (commit unknown: built without VCS information)"},
		{"-buildvcs=false (.ci/run)", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "", "", "",
			"notimon (devel) (commit unknown: built without VCS information)"},
		{"go build in a git checkout", &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261201143700-28c7df6a1b2c"}, Settings: vcs(rev, "2026-12-01T14:37:00Z", "false")}, "", "", "",
			"notimon v0.0.0-20261201143700-28c7df6a1b2c (commit 28c7df6a1b2c, 2026-12-01T14:37:00Z)"},
		{"go build with uncommitted changes", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs(rev, "2026-12-01T14:37:00Z", "true")}, "", "", "",
			"notimon (devel) (commit 28c7df6a1b2c, 2026-12-01T14:37:00Z, with uncommitted changes)"},
		{"go install module@version", &debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"}}, "", "", "",
			"notimon v1.2.3 (commit unknown: built without VCS information)"},
		{"release build: ldflags, no VCS stamp", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "v1.2.3", rev, "2026-12-01T15:00:00Z",
			"notimon v1.2.3 (commit 28c7df6a1b2c, 2026-12-01T15:00:00Z)"},
		{"release build in a checkout: the stamp wins for the commit", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs(rev, "2026-12-01T14:37:00Z", "false")}, "v1.2.3", "0000000", "",
			"notimon v1.2.3 (commit 28c7df6a1b2c, 2026-12-01T14:37:00Z)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := readBuildVersion(tt.bi, tt.ldVer, tt.ldRev, tt.ldDat).String(); got != tt.want+platform {
				t.Errorf("got  %q\nwant %q", got, tt.want+platform)
			}
		})
	}
}

// TestVersionFlag: --version and the version command print the same line.
func TestVersionFlag(t *testing.T) {
	code, flag, _ := notimon(t, "--version")
	code2, cmd, _ := notimon(t, "version")
	if code != exitOK || code2 != exitOK || flag != cmd || flag != versionString()+"\n" {
		t.Errorf("--version: exit %d %q; version: exit %d %q", code, flag, code2, cmd)
	}
}

// buildIn builds ./cmd/notimon of the module in dir with extra go build flags and returns
// what the binary's --version and version print (the same line, checked).
func buildIn(t *testing.T, dir string, env []string, flags ...string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "notimon")
	args := append(append([]string{"build", "-o", bin}, flags...), "./cmd/notimon")
	build := exec.Command("go", args...)
	build.Dir = dir
	build.Env = append(os.Environ(), env...)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	flag, err := exec.Command(bin, "--version").Output()
	if err != nil {
		t.Fatal(err)
	}
	cmd, err := exec.Command(bin, "version").Output()
	if err != nil || !bytes.Equal(flag, cmd) {
		t.Fatalf("--version printed %q, version %q (%v)", flag, cmd, err)
	}
	return string(flag)
}

// TestReleaseBuildVersion: a release build stamps the version, commit and date with
// -ldflags -X; .ci/run builds with -buildvcs=false, so the binary knows only those.
func TestReleaseBuildVersion(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	got := buildIn(t, "../..", nil, "-buildvcs=false", "-ldflags",
		"-X main.version=v9.8.7 -X main.commit=0123456789abcdef0123456789abcdef01234567 -X main.date=2026-12-01T15:00:00Z")
	if want := "notimon v9.8.7 (commit 0123456789ab, 2026-12-01T15:00:00Z) " + runtime.GOOS + "/" + runtime.GOARCH + " "; !strings.HasPrefix(got, want) {
		t.Errorf("got %q, want %q…", got, want)
	}
	got = buildIn(t, "../..", nil, "-buildvcs=false")
	if want := "notimon (devel) (commit unknown: built without VCS information) "; !strings.HasPrefix(got, want) {
		t.Errorf("without ldflags: got %q, want %q…", got, want)
	}
}

// TestVCSBuildVersion: go build in a git checkout stamps the commit, its time, and whether
// the tree had uncommitted changes. The test commits a copy of the source in a new
// repository (go does not stamp from a git worktree, whose .git is a file).
func TestVCSBuildVersion(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	list, err := exec.Command("git", "-C", "../..", "ls-files", "-z", "--cached", "--others", "--exclude-standard").Output()
	if err != nil {
		t.Skipf("not a git checkout: %v", err)
	}
	dir := t.TempDir()
	for _, name := range strings.Split(strings.TrimRight(string(list), "\x00"), "\x00") {
		b, err := os.ReadFile(filepath.Join("../..", name))
		if os.IsNotExist(err) {
			continue // deleted in the work tree
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	git := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_DATE=2026-12-01T14:37:00Z", "GIT_COMMITTER_DATE=2026-12-01T14:37:00Z",
			"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	git("init", "-q")
	git("add", "-A")
	git("commit", "-q", "-m", "snapshot")
	rev := git("rev-parse", "HEAD")

	// GOFLAGS in the environment overrides a -buildvcs=false in the go env file.
	vcsOn := []string{"GOFLAGS=-buildvcs=true"}
	got := buildIn(t, dir, vcsOn)
	if want := "(commit " + rev[:12] + ", 2026-12-01T14:37:00Z) "; !strings.Contains(got, want) {
		t.Errorf("clean checkout: got %q, want it to contain %q", got, want)
	}
	if err := os.WriteFile(filepath.Join(dir, "README.md"), []byte("changed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got = buildIn(t, dir, vcsOn)
	if want := "(commit " + rev[:12] + ", 2026-12-01T14:37:00Z, with uncommitted changes) "; !strings.Contains(got, want) {
		t.Errorf("modified checkout: got %q, want it to contain %q", got, want)
	}
}
