package watch

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Hash returns a content hash of what a load of dir reads: the names and contents of its
// *.hcl files, in name order, following symlinks (the directory's own and its entries'),
// leaving out *_test.hcl, dotfiles, directories and dangling links exactly as dsl.Load does.
// Only the entry names go in, not the directory's path: the same files in a replaced or
// retargeted directory hash the same, so a caller comparing hashes skips that reload.
//
// It fails only when the directory itself cannot be read; a file that cannot be read is
// hashed as that error, so it changes the hash when it becomes readable again. Given a file
// rather than a directory (notimon run rules.hcl), it hashes that file, as a load reads it.
func Hash(dir string) (string, error) {
	h, _, err := scan(dir)
	return h, err
}

// scan hashes dir as Hash does and also returns the directories that its symlinked rule
// files finally resolve into, which the watcher watches too.
func scan(dir string) (hash string, linkDirs []string, err error) {
	h := sha256.New()
	if st, err := os.Stat(dir); err == nil && !st.IsDir() {
		// `notimon run rules.hcl`: a load reads that one file, whatever its name.
		if link, err := isLink(dir); err == nil && link {
			linkDirs = appendTargetDir(linkDirs, dir)
		}
		hashFile(h, filepath.Base(dir), dir)
		return hex.EncodeToString(h.Sum(nil)), linkDirs, nil
	}
	entries, err := os.ReadDir(dir) // sorted by name: dsl.Load's order
	if err != nil {
		return "", nil, err
	}
	for _, e := range entries {
		name := e.Name()
		if !loaded(name) {
			continue
		}
		full := filepath.Join(dir, name)
		st, err := os.Stat(full) // through symlinks, like the loader
		if err != nil || st.IsDir() {
			continue // the loader skips dangling links and directories too
		}
		if e.Type()&fs.ModeSymlink != 0 {
			linkDirs = appendTargetDir(linkDirs, full)
		}
		hashFile(h, name, full)
	}
	return hex.EncodeToString(h.Sum(nil)), linkDirs, nil
}

// hashFile adds one file: its name and length first, so that no two different sets of
// files give the same stream.
func hashFile(h io.Writer, name, path string) {
	src, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintf(h, "%s\x00unreadable\x00%v\x00", name, err)
		return
	}
	fmt.Fprintf(h, "%s\x00%d\x00", name, len(src))
	h.Write(src)
}

func isLink(path string) (bool, error) {
	fi, err := os.Lstat(path)
	return err == nil && fi.Mode()&fs.ModeSymlink != 0, err
}

// appendTargetDir adds the directory a symlinked file finally resolves into.
func appendTargetDir(dirs []string, link string) []string {
	if target, err := filepath.EvalSymlinks(link); err == nil {
		dirs = append(dirs, filepath.Dir(target))
	}
	return dirs
}

// loaded reports whether dsl.Load reads a directory entry of this name: *.hcl, but not a
// rule test (*_test.hcl) nor a hidden file (editors' swap and temporary files are dotfiles).
func loaded(name string) bool {
	return strings.HasSuffix(name, ".hcl") &&
		!strings.HasSuffix(name, "_test.hcl") &&
		!strings.HasPrefix(name, ".")
}
