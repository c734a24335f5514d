package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/cobra"

	"github.com/notimon/notimon/dsl"
)

func newFmtCmd() *cobra.Command {
	var write, check, diff bool
	cmd := &cobra.Command{
		Use:   "fmt [-w] [--check] [--diff] [PATH ...]",
		Short: "Rewrite rules and test files in the canonical HCL layout",
		Long: `fmt formats rules and test files (*.hcl) in the canonical HCL layout, the one of
terraform fmt: two-space indentation, one space around "=", the "=" of consecutive one-line
attributes aligned, one newline at the end. Only whitespace between tokens changes:
strings, heredoc text and comments stay as they are, so a formatted file means exactly
what it meant. A file with CRLF line endings keeps them.

PATH is a file or a directory, searched recursively for *.hcl files (hidden ones
skipped); default ./rules.d. "-" formats standard input to standard output.

Without flags, fmt prints the formatted files to standard output.
  -w        rewrite the files that are not formatted, and list them
  --check   list the files that are not formatted and exit 1 if there are any
            (with -w: rewrite them too); nothing is written without -w
  --diff    print what would change (with -w: what changed) as a unified diff

Exit status: 0 done (with --check: every file is formatted), 1 a file is not formatted
(--check), does not parse or cannot be read or written, 2 usage error.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				args = []string{"rules.d"}
			}
			f := &formatter{write: write, check: check, diff: diff, stdout: cmd.OutOrStdout(), stderr: cmd.ErrOrStderr()}
			for _, a := range args {
				if a == "-" {
					if write {
						return usageError{errors.New("fmt -w cannot rewrite standard input")}
					}
					src, err := io.ReadAll(cmd.InOrStdin())
					if err != nil {
						fmt.Fprintf(f.stderr, "notimon: standard input: %v\n", err)
						f.failed = true
						continue
					}
					f.format("<stdin>", src, 0)
					continue
				}
				files, err := hclFiles(a)
				if err != nil {
					fmt.Fprintf(f.stderr, "notimon: %v\n", err)
					f.failed = true
					continue
				}
				for _, name := range files {
					f.file(name)
				}
			}
			if f.failed || (check && f.unformatted > 0) {
				return exitError{exitProblems}
			}
			return nil
		},
	}
	cmd.Flags().BoolVarP(&write, "write", "w", false, "rewrite the files that are not formatted")
	cmd.Flags().BoolVar(&check, "check", false, "list the files that are not formatted; exit 1 if there are any")
	cmd.Flags().BoolVar(&diff, "diff", false, "print the changes as a unified diff")
	return cmd
}

// formatter is one fmt run: its mode, where it prints, and what it found.
type formatter struct {
	write, check, diff bool
	stdout, stderr     io.Writer
	unformatted        int  // files that were not formatted
	failed             bool // a file could not be read, parsed or written
}

func (f *formatter) file(name string) {
	src, err := os.ReadFile(name)
	if err != nil {
		fmt.Fprintf(f.stderr, "notimon: %v\n", err)
		f.failed = true
		return
	}
	st, err := os.Stat(name)
	if err != nil {
		fmt.Fprintf(f.stderr, "notimon: %v\n", err)
		f.failed = true
		return
	}
	f.format(name, src, st.Mode().Perm())
}

// format formats one file's source and does with it what the flags say.
func (f *formatter) format(name string, src []byte, perm fs.FileMode) {
	out, file, diags := dsl.Format(name, src)
	if diags.HasErrors() {
		dsl.WriteDiagnostics(f.stderr, map[string]*hcl.File{name: file}, diags)
		fmt.Fprintf(f.stderr, "notimon: %s not formatted: it does not parse\n", name)
		f.failed = true
		return
	}
	changed := !bytes.Equal(src, out)
	if !f.write && !f.check && !f.diff {
		f.stdout.Write(out)
		return
	}
	if !changed {
		return
	}
	f.unformatted++
	if f.write {
		if err := writeFileInPlace(name, out, perm); err != nil {
			fmt.Fprintf(f.stderr, "notimon: %v\n", err)
			f.failed = true
			return
		}
	}
	if f.write || f.check {
		fmt.Fprintln(f.stdout, name)
	}
	if f.diff {
		io.WriteString(f.stdout, unifiedDiff(name+".orig", name, src, out))
	}
}

// hclFiles expands one fmt argument: a file is itself (it must be named *.hcl), a
// directory every *.hcl file below it, hidden files and directories skipped, in lexical
// order.
func hclFiles(arg string) ([]string, error) {
	st, err := os.Stat(arg)
	if err != nil {
		return nil, fmt.Errorf("%v; give .hcl files or directories holding them (default ./rules.d)", err)
	}
	if !st.IsDir() {
		if !strings.HasSuffix(arg, ".hcl") {
			return nil, fmt.Errorf("%s is not an HCL file: fmt formats *.hcl files", arg)
		}
		return []string{arg}, nil
	}
	var files []string
	err = filepath.WalkDir(arg, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		hidden := path != arg && strings.HasPrefix(d.Name(), ".")
		switch {
		case d.IsDir() && hidden:
			return filepath.SkipDir
		case !d.IsDir() && !hidden && strings.HasSuffix(d.Name(), ".hcl"):
			files = append(files, path)
		}
		return nil
	})
	sort.Strings(files)
	return files, err
}

// writeFileInPlace replaces the file name (the file a symlink points to) with data
// atomically, through a temporary file in its directory renamed over it, so a daemon
// watching the directory never loads half a file; the file keeps its mode and, as far as
// permitted, its owner.
func writeFileInPlace(name string, data []byte, perm fs.FileMode) error {
	target, err := filepath.EvalSymlinks(name)
	if err != nil {
		return err
	}
	st, err := os.Stat(target)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(target), "."+filepath.Base(target)+".fmt-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after the rename, there is nothing left to remove
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		_ = tmp.Chown(int(sys.Uid), int(sys.Gid)) // only root may give a file away; otherwise it is ours already
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), target)
}
