package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// Release builds stamp these with -ldflags "-X main.version=v1.2.3 -X main.commit=… -X
// main.date=…" (goreleaser's defaults). They are the fallback for what the build info does
// not know: a binary built with -buildvcs=false, or outside a git checkout.
var (
	version = ""
	commit  = ""
	date    = ""
)

// buildVersion is what `notimon version` reports about the binary.
type buildVersion struct {
	Version  string // module version: v1.2.3, a pseudo-version, or (devel)
	Commit   string // VCS revision; "" when unknown
	Time     string // commit time (RFC 3339); "" when unknown
	Modified bool   // built from a tree with uncommitted changes
}

// readBuildVersion takes the module version and the VCS stamp from the build info (go build
// in a git checkout, go install module@version), and falls back to the -ldflags variables
// where it has nothing.
func readBuildVersion(bi *debug.BuildInfo, ldVersion, ldCommit, ldDate string) buildVersion {
	var v buildVersion
	if bi != nil {
		if mv := bi.Main.Version; mv != "" && mv != "(devel)" {
			v.Version = mv
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				v.Commit = s.Value
			case "vcs.time":
				v.Time = s.Value
			case "vcs.modified":
				v.Modified = s.Value == "true"
			}
		}
	}
	if v.Version == "" {
		v.Version = ldVersion
	}
	if v.Version == "" {
		v.Version = "(devel)"
	}
	if v.Commit == "" {
		v.Commit, v.Time = ldCommit, ldDate
	}
	return v
}

// String is one line: notimon v1.2.3 (commit 28c7df6a1b2c, 2026-05-01T10:00:00Z) linux/amd64 go1.26.
func (v buildVersion) String() string {
	vcs := "commit unknown: built without VCS information"
	if v.Commit != "" {
		c := v.Commit
		if len(c) > 12 {
			c = c[:12]
		}
		vcs = "commit " + c
		if v.Time != "" {
			vcs += ", " + v.Time
		}
		if v.Modified {
			vcs += ", with uncommitted changes"
		}
	}
	return fmt.Sprintf("notimon %s (%s) %s/%s %s", v.Version, vcs, runtime.GOOS, runtime.GOARCH, runtime.Version())
}

func versionString() string {
	bi, _ := debug.ReadBuildInfo()
	return readBuildVersion(bi, version, commit, date).String()
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of notimon and the commit it was built from",
		Args:  maxArgs(0),
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintln(cmd.OutOrStdout(), versionString())
		},
	}
}
