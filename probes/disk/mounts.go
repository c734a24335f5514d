package disk

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"
)

// Mount is one line of the mount table, as far as the disk probe cares.
type Mount struct {
	// Point is where the file system is mounted, with the kernel's octal escapes decoded.
	Point string
	// FSType is the file system type ("ext4", "nfs4", "fuse.sshfs").
	FSType string
	// Device identifies the file system for deduplication: "major:minor" from mountinfo,
	// the source (e.g. /dev/sda1) when only /proc/mounts could be read, empty when the
	// source names no device ("tmpfs", "none"): such mounts are never merged.
	Device string
}

// The files the mount table is read from, relative to /proc. mountinfo is preferred: its
// major:minor identifies a file system even when two mounts name it differently.
const (
	MountInfoFile = "self/mountinfo"
	MountsFile    = "self/mounts"
)

// ReadMounts reads the mount table of the calling process from fsys, rooted at /proc:
// self/mountinfo, or self/mounts when mountinfo does not exist (kernels before 2.6.26).
func ReadMounts(fsys fs.FS) ([]Mount, error) {
	data, err := fs.ReadFile(fsys, MountInfoFile)
	if err == nil {
		return ParseMountInfo(data)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read /proc/%s: %w", MountInfoFile, err)
	}
	data, err2 := fs.ReadFile(fsys, MountsFile)
	if err2 != nil {
		return nil, fmt.Errorf("read the mount table: /proc/%s: %w; /proc/%s: %w", MountInfoFile, err, MountsFile, err2)
	}
	return ParseMounts(data)
}

// ParseMountInfo parses /proc/<pid>/mountinfo:
//
//	36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
//	id parent maj:min root point options [optional fields...] - type source super-options
func ParseMountInfo(data []byte) ([]Mount, error) {
	var mounts []Mount
	for lineNo := 1; len(data) > 0; lineNo++ {
		var line []byte
		line, data, _ = bytes.Cut(data, []byte{'\n'})
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		f := strings.Fields(string(line))
		sep := -1
		for i := 6; i < len(f); i++ {
			if f[i] == "-" {
				sep = i
				break
			}
		}
		if len(f) < 6 || sep < 0 || sep+1 >= len(f) {
			return nil, fmt.Errorf("/proc/%s line %d: %q is not a mountinfo line (id parent major:minor root mount-point options … - type source options)", MountInfoFile, lineNo, clip(line))
		}
		if !strings.Contains(f[2], ":") {
			return nil, fmt.Errorf("/proc/%s line %d: device %q is not major:minor", MountInfoFile, lineNo, clip([]byte(f[2])))
		}
		mounts = append(mounts, Mount{Point: unescape(f[4]), FSType: f[sep+1], Device: f[2]})
	}
	return mounts, nil
}

// ParseMounts parses /proc/mounts (fstab format: source point type options dump pass).
func ParseMounts(data []byte) ([]Mount, error) {
	var mounts []Mount
	for lineNo := 1; len(data) > 0; lineNo++ {
		var line []byte
		line, data, _ = bytes.Cut(data, []byte{'\n'})
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		f := strings.Fields(string(line))
		if len(f) < 3 {
			return nil, fmt.Errorf("/proc/%s line %d: %q is not a mounts line (source mount-point type options …)", MountsFile, lineNo, clip(line))
		}
		m := Mount{Point: unescape(f[1]), FSType: f[2]}
		if src := unescape(f[0]); strings.Contains(src, "/") {
			// /dev/sda1 or server:/export name one file system; "tmpfs" or "none" do not.
			m.Device = src
		}
		mounts = append(mounts, m)
	}
	return mounts, nil
}

// unescape decodes the kernel's octal escapes in mount points: \040 space, \011 tab,
// \012 newline, \134 backslash.
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && isOctal(s[i+1]) && isOctal(s[i+2]) && isOctal(s[i+3]) {
			b.WriteByte((s[i+1]-'0')<<6 | (s[i+2]-'0')<<3 | (s[i+3] - '0'))
			i += 3
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }

// pseudo lists the file system types that hold no user data on a disk of their own: kernel
// interfaces, memory-backed and container plumbing. Measuring them only adds noise (or, for
// read-only images, permanent 100 % alerts). tmpfs is handled apart, see Probe.IncludeTmpfs.
var pseudo = map[string]bool{
	"autofs": true, "binfmt_misc": true, "bpf": true, "cgroup": true, "cgroup2": true,
	"configfs": true, "debugfs": true, "devpts": true, "devtmpfs": true, "efivarfs": true,
	"fusectl": true, "hugetlbfs": true, "mqueue": true, "nsfs": true, "proc": true,
	"pstore": true, "ramfs": true, "rootfs": true, "rpc_pipefs": true, "securityfs": true,
	"selinuxfs": true, "sysfs": true, "tracefs": true, "nfsd": true, "cpuset": true,
	"tmpfs": true, // unless IncludeTmpfs
	// Read-only images are always 100 % full: snaps, live media, CDs.
	"squashfs": true, "iso9660": true, "udf": true, "fuse.snapfuse": true,
	// FUSE file systems that are views of something else, not storage.
	"fuse.lxcfs": true, "fuse.gvfsd-fuse": true, "fuse.portal": true,
	// Container layers report the disk they live on once per container; see layered.
	"overlay": true, "aufs": true,
}

// layered are the container-layer types, skipped except as "/": inside a container the
// root file system is the only one there is.
var layered = map[string]bool{"overlay": true, "aufs": true}

// Skipped reports whether a mount of type fsType at point is left out of the disk probe.
func Skipped(fsType, point string, includeTmpfs bool) bool {
	switch {
	case fsType == "tmpfs":
		return !includeTmpfs
	case layered[fsType]:
		return point != "/"
	}
	return pseudo[fsType]
}

// Select keeps the mounts the disk probe measures: no pseudo file systems (Skipped); where
// two mounts share a mount point only the later one, which hides the first and is the one
// statfs sees; and of the mounts of one file system (bind mounts, btrfs subvolumes) only
// the shortest mount point, the lexically first on a tie, since statfs reports the same
// numbers for all of them. The result is sorted by mount point.
func Select(mounts []Mount, includeTmpfs bool) []Mount {
	byPoint := map[string]Mount{}
	for _, m := range mounts {
		if Skipped(m.FSType, m.Point, includeTmpfs) {
			delete(byPoint, m.Point) // a pseudo mount stacked on top hides the one below
			continue
		}
		byPoint[m.Point] = m
	}
	byDevice := map[string]Mount{}
	var out []Mount
	for _, m := range byPoint {
		if m.Device == "" {
			out = append(out, m)
			continue
		}
		key := m.FSType + "\x00" + m.Device
		if prev, ok := byDevice[key]; ok && !shorter(m.Point, prev.Point) {
			continue
		}
		byDevice[key] = m
	}
	for _, m := range byDevice {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Point < out[j].Point })
	return out
}

func shorter(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

// clip keeps error messages readable when a file holds garbage.
func clip(b []byte) string {
	const max = 80
	if len(b) > max {
		return string(b[:max]) + "…"
	}
	return string(b)
}
