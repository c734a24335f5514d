package watch

import (
	"os"
	"path/filepath"
	"testing"
)

// mkfiles writes files (name → content) under dir, creating it.
func mkfiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, content := range files {
		writeFile(t, filepath.Join(dir, name), content)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// hashOf is the hash of a fresh directory holding exactly files: what a load should read.
func hashOf(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "ref")
	mkfiles(t, dir, files)
	h, err := Hash(dir)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func mustHash(t *testing.T, dir string) string {
	t.Helper()
	h, err := Hash(dir)
	if err != nil {
		t.Fatalf("Hash(%s): %v", dir, err)
	}
	return h
}

func TestHashReadsWhatALoadReads(t *testing.T) {
	t.Parallel()
	base := map[string]string{"a.hcl": "rule \"a\" {}\n", "b.hcl": "rule \"b\" {}\n"}
	tests := []struct {
		name    string
		build   func(t *testing.T, dir string)
		changed bool // whether the hash differs from base's
	}{
		{"same files", func(t *testing.T, dir string) {}, false},
		{"other files", func(t *testing.T, dir string) { writeFile(t, filepath.Join(dir, "notes.txt"), "x") }, false},
		{"rule test", func(t *testing.T, dir string) { writeFile(t, filepath.Join(dir, "a_test.hcl"), "x") }, false},
		{"hidden file", func(t *testing.T, dir string) { writeFile(t, filepath.Join(dir, ".a.hcl.swp"), "x") }, false},
		{"hidden hcl", func(t *testing.T, dir string) { writeFile(t, filepath.Join(dir, ".c.hcl"), "x") }, false},
		{"directory named .hcl", func(t *testing.T, dir string) {
			if err := os.Mkdir(filepath.Join(dir, "d.hcl"), 0o755); err != nil {
				t.Fatal(err)
			}
		}, false},
		{"dangling link", func(t *testing.T, dir string) {
			if err := os.Symlink("nowhere.hcl", filepath.Join(dir, "e.hcl")); err != nil {
				t.Fatal(err)
			}
		}, false},
		{"file through a link", func(t *testing.T, dir string) {
			// b.hcl's content reached through a symlink: a load reads the same bytes.
			other := filepath.Join(t.TempDir(), "b.hcl")
			writeFile(t, other, base["b.hcl"])
			if err := os.Remove(filepath.Join(dir, "b.hcl")); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(other, filepath.Join(dir, "b.hcl")); err != nil {
				t.Fatal(err)
			}
		}, false},
		{"new rule file", func(t *testing.T, dir string) { writeFile(t, filepath.Join(dir, "c.hcl"), "") }, true},
		{"content", func(t *testing.T, dir string) { writeFile(t, filepath.Join(dir, "a.hcl"), "rule \"a2\" {}\n") }, true},
		{"renamed", func(t *testing.T, dir string) {
			if err := os.Rename(filepath.Join(dir, "b.hcl"), filepath.Join(dir, "c.hcl")); err != nil {
				t.Fatal(err)
			}
		}, true},
		{"content moved between files", func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, "a.hcl"), "rule \"a\" {}\nrule \"b\" {}\n")
			writeFile(t, filepath.Join(dir, "b.hcl"), "")
		}, true},
	}
	want := hashOf(t, base)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), "rules.d")
			mkfiles(t, dir, base)
			tt.build(t, dir)
			if got := mustHash(t, dir); (got != want) != tt.changed {
				t.Errorf("hash changed = %v, want %v", got != want, tt.changed)
			}
		})
	}
}

func TestHashFollowsADirectorySymlink(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	mkfiles(t, filepath.Join(root, "v1"), map[string]string{"a.hcl": "1"})
	if err := os.Symlink("v1", filepath.Join(root, "rules.d")); err != nil {
		t.Fatal(err)
	}
	if got, want := mustHash(t, filepath.Join(root, "rules.d")), hashOf(t, map[string]string{"a.hcl": "1"}); got != want {
		t.Errorf("hash through the link = %s, want %s", got, want)
	}
}

func TestHashOfAMissingDirectoryFails(t *testing.T) {
	t.Parallel()
	if _, err := Hash(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("Hash of a missing directory succeeded")
	}
}

func TestHashCountsAnUnreadableFile(t *testing.T) {
	t.Parallel()
	if os.Geteuid() == 0 {
		t.Skip("root reads every file")
	}
	dir := t.TempDir()
	mkfiles(t, dir, map[string]string{"a.hcl": "1"})
	readable := mustHash(t, dir)
	if err := os.Chmod(filepath.Join(dir, "a.hcl"), 0); err != nil {
		t.Fatal(err)
	}
	if mustHash(t, dir) == readable {
		t.Error("an unreadable file hashes like the readable one: making it readable again would not reload")
	}
}
