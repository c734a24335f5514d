package watch

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
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
// hashed as that error, so it changes the hash when it becomes readable again.
func Hash(dir string) (string, error) {
	h, _, err := scan(dir)
	return h, err
}

// scan hashes dir as Hash does and also returns the directories that its symlinked rule
// files finally resolve into, which the watcher watches too.
func scan(dir string) (hash string, linkDirs []string, err error) {
	entries, err := os.ReadDir(dir) // sorted by name: dsl.Load's order
	if err != nil {
		return "", nil, err
	}
	h := sha256.New()
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
			if target, err := filepath.EvalSymlinks(full); err == nil {
				linkDirs = append(linkDirs, filepath.Dir(target))
			}
		}
		src, err := os.ReadFile(full)
		if err != nil {
			fmt.Fprintf(h, "%s\x00unreadable\x00%v\x00", name, err)
			continue
		}
		// Name and length first, so no two different sets of files hash the same stream.
		fmt.Fprintf(h, "%s\x00%d\x00", name, len(src))
		h.Write(src)
	}
	return hex.EncodeToString(h.Sum(nil)), linkDirs, nil
}

// loaded reports whether dsl.Load reads a directory entry of this name: *.hcl, but not a
// rule test (*_test.hcl) nor a hidden file (editors' swap and temporary files are dotfiles).
func loaded(name string) bool {
	return strings.HasSuffix(name, ".hcl") &&
		!strings.HasSuffix(name, "_test.hcl") &&
		!strings.HasPrefix(name, ".")
}
