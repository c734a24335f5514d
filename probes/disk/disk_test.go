package disk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/notimon/notimon/probes/internal/fixture"
)

// fakeStat is one entry of a case's statfs.json: the numbers statfs returns, or its error.
type fakeStat struct {
	Stat
	Error string `json:"error"`
}

// table serves statfs from a map; a path not in it is an error, so a mount the probe
// should have skipped shows up as a wrong Error in the results.
func table(m map[string]fakeStat) StatFunc {
	return func(path string) (Stat, error) {
		s, ok := m[path]
		switch {
		case !ok:
			return Stat{}, &fs.PathError{Op: "statfs", Path: path, Err: errors.New("not in the fixture's statfs table")}
		case s.Error != "":
			return Stat{}, &fs.PathError{Op: "statfs", Path: path, Err: errors.New(s.Error)}
		}
		return s.Stat, nil
	}
}

// The arithmetic behind each case's expected.json: used = blocks − free,
// used_pct = 100 × used / (used + avail), free_bytes = avail × block_size,
// inodes_used_pct = 100 × (files − files_free) / files (0 when files is 0).
var fixtureCases = []string{
	// This machine's mountinfo: / is ext4 on 254:0; /dev (devtmpfs), /dev/shm, /dev/pts
	// (mounted twice), /proc, /sys, /sys/fs/cgroup and its cgroup v1/v2 hierarchies, and a
	// 4 kB tmpfs are all skipped. statfs of /: 66053021 blocks of 4096, free 62752188,
	// avail 20574483 (a large root reserve, resv_strict):
	//   used 3300833 → 3300833 / 23875316 = 13.8253 % (df says 14 %: it rounds up);
	//   inodes 16777216 − 16351697 = 425519 used → 2.5363 %
	"real",
	// A Ubuntu server with snaps, docker, NFS and FUSE:
	//   /          600000 used, 350000 avail → 63.16 %, inodes 25 %
	//   /boot      400000 / (400000 + 75000) = 84.21 % (the root reserve is not "free"),
	//              free 75000 × 1024 B
	//   /boot/efi  vfat reports no inodes → inodes_used_pct 0; 10000 / 1000000 = 1 %
	//   /home      1900 / 2000 = 95 %, inodes 100 %; /srv/alice is a bind mount of the same
	//              xfs (252:2) and is dropped for the shorter /home
	//   "/var/lib/my data"  the \040 in mountinfo is a space; 900 / 950 = 94.74 %
	//   /mnt/backup  nfs4 whose statfs fails: present, zero, with the error
	//   /mnt/remote  fuse.sshfs is storage and kept; empty → 0 %
	//   /mnt/odd     an unknown FUSE type reporting 0 blocks: left out, as df does
	//   skipped: sysfs proc devtmpfs devpts tmpfs (/run, /dev/shm, /run/user/1000) securityfs
	//   cgroup2 pstore bpf autofs mqueue hugetlbfs debugfs tracefs fusectl configfs squashfs
	//   (a snap, always 100 %) overlay (a container layer) nsfs fuse.portal fuse.lxcfs nfsd
	"typical_server",
	// Inside a docker container: the overlay root is kept (it is the only root there is);
	// /etc/resolv.conf, /etc/hostname, /etc/hosts and /data are bind mounts of the host's
	// 254:1, kept once as the shortest, /data: 7500 / 9500 = 78.95 %, inodes 10 %.
	"container",
	// A tmpfs mounted over /data hides the xfs below it, so /data is gone (tmpfs is
	// skipped); /scratch is two ext4s stacked: the top one (ext4, not xfs) is what statfs
	// sees. / 50 / 100 = 50 %; /scratch 90 / 100 = 90 %, inodes 90 %.
	"stacked",
	// The same mount table with IncludeTmpfs: /data tmpfs 64 / 256 = 25 %, inodes 0.1 %;
	// /run 50 / 200 = 25 %, inodes 20 %; /dev/shm (stacked twice) 0 %, inodes 1 %.
	"stacked_include_tmpfs",
	// /srv/www/htdocs is a subdirectory of the xfs also mounted at /var/www: kept as
	// /var/www (shorter) whatever the order; /a and /b are one ext4 with mount points of
	// the same length: the lexically first, /a, is kept.
	"bind_mounts",
	// A kernel without mountinfo: /proc/self/mounts. The initramfs "rootfs /" is hidden by
	// the real root mounted on top (ext3, 50 / 90 = 55.56 %); /dev/sdb1 at /home and at
	// "/var/home link" is one file system (same source): /home, 90 %. filer:/vol/data over
	// NFS: 600 / 1000 = 60 %, free 400 × 65536. tmpfs, ramfs, proc skipped.
	"mounts_fallback",
	// An empty mount table is no mounts, not an error.
	"empty",
	// The second line is not mountinfo: the error names the file and the line.
	"garbage",
	// The device column is not major:minor.
	"garbage_device",
	// Neither self/mountinfo nor self/mounts.
	"no_mount_table",
}

func TestFixtures(t *testing.T) {
	fixture.Run(t, fixtureCases, func(t *testing.T, dir string) {
		var stats map[string]fakeStat
		fixture.JSON(t, dir, "statfs.json", &stats)
		var want struct {
			IncludeTmpfs bool              `json:"include_tmpfs"`
			Mounts       map[string]Values `json:"mounts"`
			Error        string            `json:"error"`
		}
		fixture.JSON(t, dir, "expected.json", &want)

		p := &Probe{FS: os.DirFS(dir), StatFS: table(stats), IncludeTmpfs: want.IncludeTmpfs}
		got, err := p.Sample(context.Background())
		if fixture.WantError(t, err, want.Error) {
			if got != nil {
				t.Errorf("values %v alongside the error", got)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		checkMounts(t, got, want.Mounts)
	})
}

func checkMounts(t *testing.T, got, want map[string]Values) {
	t.Helper()
	if g, w := keys(got), keys(want); g != w {
		t.Errorf("mounts %s, want %s", g, w)
	}
	for point, w := range want {
		g, ok := got[point]
		if !ok {
			continue
		}
		if g.Mount != w.Mount || g.FS != w.FS || g.Error != w.Error {
			t.Errorf("%s: mount %q fs %q error %q, want %q %q %q", point, g.Mount, g.FS, g.Error, w.Mount, w.FS, w.Error)
		}
		for _, f := range []struct {
			name      string
			got, want float64
		}{
			{"used_pct", g.UsedPct, w.UsedPct},
			{"free_bytes", g.FreeBytes, w.FreeBytes},
			{"inodes_used_pct", g.InodesUsedPct, w.InodesUsedPct},
		} {
			if !fixture.Near(f.got, f.want, 1e-9) {
				t.Errorf("%s: %s = %v, want %v", point, f.name, f.got, f.want)
			}
		}
	}
}

func keys(m map[string]Values) string {
	var k []string
	for p := range m {
		k = append(k, strconv.Quote(p))
	}
	sort.Strings(k)
	return "[" + strings.Join(k, " ") + "]"
}

func TestSkipped(t *testing.T) {
	tests := []struct {
		fsType, point string
		tmpfs         bool
		want          bool
	}{
		{"ext4", "/", false, false},
		{"xfs", "/data", false, false},
		{"nfs4", "/mnt/nfs", false, false},
		{"fuse.sshfs", "/mnt/remote", false, false},
		{"zfs", "/tank", false, false},
		{"btrfs", "/home", false, false},
		{"tmpfs", "/run", false, true},
		{"tmpfs", "/run", true, false},
		{"overlay", "/", false, false},
		{"overlay", "/var/lib/docker/overlay2/x/merged", false, true},
		{"aufs", "/", false, false},
		{"squashfs", "/snap/core/1", false, true},
		{"cgroup2", "/sys/fs/cgroup", false, true},
		{"proc", "/proc", true, true},
		{"devtmpfs", "/dev", true, true},
		{"rootfs", "/", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.fsType+" "+tt.point, func(t *testing.T) {
			if got := Skipped(tt.fsType, tt.point, tt.tmpfs); got != tt.want {
				t.Errorf("Skipped(%q, %q, %v) = %v, want %v", tt.fsType, tt.point, tt.tmpfs, got, tt.want)
			}
		})
	}
}

func TestUnescape(t *testing.T) {
	for in, want := range map[string]string{
		`/plain`:             "/plain",
		`/a\040b`:            "/a b",
		`/tab\011here`:       "/tab\there",
		`/nl\012x`:           "/nl\nx",
		`/back\134slash`:     `/back\slash`,
		`/not\0escape`:       `/not\0escape`,
		`/trailing\04`:       `/trailing\04`,
		`/eight\089`:         `/eight\089`,
		`/two\040\040spaces`: "/two  spaces",
	} {
		t.Run(in, func(t *testing.T) {
			if got := unescape(in); got != want {
				t.Errorf("unescape(%q) = %q, want %q", in, got, want)
			}
		})
	}
}

func TestCompute(t *testing.T) {
	tests := []struct {
		name string
		st   Stat
		want Values
		ok   bool
	}{
		{name: "no blocks is a dummy file system", st: Stat{BlockSize: 4096}, ok: false},
		{name: "full to the reserve", st: Stat{BlockSize: 4096, Blocks: 100, Free: 5, Avail: 0, Files: 10, FilesFree: 10},
			want: Values{UsedPct: 100}, ok: true},
		{name: "free above total is read as nothing used", st: Stat{BlockSize: 1, Blocks: 100, Free: 200, Avail: 100},
			want: Values{UsedPct: 0, FreeBytes: 100}, ok: true},
		{name: "free inodes above total are ignored", st: Stat{BlockSize: 1, Blocks: 10, Free: 10, Avail: 10, Files: 5, FilesFree: 6},
			want: Values{FreeBytes: 10}, ok: true},
		{name: "nothing used, nothing available", st: Stat{BlockSize: 1, Blocks: 10, Free: 10, Avail: 0},
			want: Values{}, ok: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := compute("/x", "ext4", tt.st)
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v", ok, tt.ok)
			}
			if !ok {
				return
			}
			tt.want.Mount, tt.want.FS = "/x", "ext4"
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func mapFS(mountinfo string) fstest.MapFS {
	return fstest.MapFS{"self/mountinfo": {Data: []byte(mountinfo)}}
}

// A dead NFS mount: its statfs never returns. The sample gives up after the timeout and
// reports it; the next sample does not start a second call while the first is stuck; once
// it returns, the mount is measured again.
func TestStuckMount(t *testing.T) {
	release := make(chan struct{})
	var mu sync.Mutex
	calls := map[string]int{}
	statfs := func(path string) (Stat, error) {
		mu.Lock()
		calls[path]++
		mu.Unlock()
		if path == "/mnt/nfs" {
			<-release
		}
		return Stat{BlockSize: 1, Blocks: 100, Free: 50, Avail: 50}, nil
	}
	p := &Probe{
		FS:      mapFS("1 0 8:1 / / rw - ext4 /dev/sda1 rw\n2 1 0:50 / /mnt/nfs rw - nfs4 nas:/x rw\n"),
		StatFS:  statfs,
		Timeout: 50 * time.Millisecond,
	}

	start := time.Now()
	got, err := p.Sample(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("sample took %s with a 50ms timeout", took)
	}
	if got["/"].UsedPct != 50 || got["/"].Error != "" {
		t.Errorf("/ = %+v, want measured at 50 %%", got["/"])
	}
	if e := got["/mnt/nfs"].Error; !strings.Contains(e, "statfs /mnt/nfs did not answer within 50ms") {
		t.Errorf("/mnt/nfs error %q, want a timeout naming the mount", e)
	}
	if v := got["/mnt/nfs"]; v.Mount != "/mnt/nfs" || v.FS != "nfs4" {
		t.Errorf("/mnt/nfs = %+v, want its mount and fs filled in", v)
	}

	got, err = p.Sample(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if e := got["/mnt/nfs"].Error; !strings.Contains(e, "statfs /mnt/nfs: an earlier call is still blocked") {
		t.Errorf("second sample: /mnt/nfs error %q, want 'still blocked'", e)
	}
	mu.Lock()
	if calls["/mnt/nfs"] != 1 || calls["/"] != 2 {
		t.Errorf("statfs calls %v, want / twice and /mnt/nfs once", calls)
	}
	mu.Unlock()

	close(release)
	deadline := time.Now().Add(5 * time.Second)
	for {
		got, err = p.Sample(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if got["/mnt/nfs"].Error == "" || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if v := got["/mnt/nfs"]; v.Error != "" || v.UsedPct != 50 {
		t.Errorf("after the mount came back: %+v, want measured", v)
	}
}

func TestCancelledContext(t *testing.T) {
	block := make(chan struct{})
	defer close(block)
	p := &Probe{
		FS:      mapFS("1 0 0:50 / /mnt/nfs rw - nfs4 nas:/x rw\n"),
		StatFS:  func(string) (Stat, error) { <-block; return Stat{}, nil },
		Timeout: time.Hour,
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	got, err := p.Sample(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if e := got["/mnt/nfs"].Error; !strings.Contains(e, "statfs /mnt/nfs not measured: context deadline exceeded") {
		t.Errorf("error %q, want the context's", e)
	}
}

func TestConcurrentSamples(t *testing.T) {
	p := &Probe{
		FS:     mapFS("1 0 8:1 / / rw - ext4 /dev/sda1 rw\n2 1 8:2 / /home rw - ext4 /dev/sda2 rw\n"),
		StatFS: func(string) (Stat, error) { return Stat{BlockSize: 1, Blocks: 4, Free: 1, Avail: 1}, nil },
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				got, err := p.Sample(context.Background())
				if err != nil || len(got) != 2 || got["/home"].UsedPct != 75 {
					t.Errorf("got %v, %v", got, err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// The JSON a user sees from `notimon probe --json`: error only when there is one.
func TestValuesJSON(t *testing.T) {
	raw, err := json.Marshal(map[string]Values{
		"/":       {Mount: "/", FS: "ext4", UsedPct: 12.5, FreeBytes: 1024, InodesUsedPct: 1},
		"/mnt/nf": {Mount: "/mnt/nf", FS: "nfs4", Error: "statfs /mnt/nf did not answer within 2s (a dead network mount?)"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"/":{"mount":"/","fs":"ext4","used_pct":12.5,"free_bytes":1024,"inodes_used_pct":1},` +
		`"/mnt/nf":{"mount":"/mnt/nf","fs":"nfs4","used_pct":0,"free_bytes":0,"inodes_used_pct":0,"error":"statfs /mnt/nf did not answer within 2s (a dead network mount?)"}}`
	if string(raw) != want {
		t.Errorf("JSON\n got %s\nwant %s", raw, want)
	}
}

// On this machine, / measured through the real mount table and statfs(2) agrees with df.
func TestLiveRootMatchesDF(t *testing.T) {
	if _, err := os.Stat("/proc/self/mountinfo"); err != nil {
		t.Skip("no /proc/self/mountinfo here")
	}
	out, err := exec.Command("df", "--output=pcent", "/").Output()
	if err != nil {
		t.Skipf("df --output=pcent /: %v", err)
	}
	lines := strings.Fields(string(out)) // "Use%" "14%"
	if len(lines) != 2 {
		t.Fatalf("df printed %q", out)
	}
	dfPct, err := strconv.ParseFloat(strings.TrimSuffix(lines[1], "%"), 64)
	if err != nil {
		t.Fatalf("df printed %q: %v", out, err)
	}

	got, err := New(os.DirFS("/proc")).Sample(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	root, ok := got["/"]
	if !ok {
		t.Fatalf("no / among %s", keys(got))
	}
	if root.Error != "" {
		t.Fatalf("/: %s", root.Error)
	}
	// df rounds up; the disk may also change between the two readings.
	if math.Abs(root.UsedPct-dfPct) > 1 {
		t.Errorf("/ used_pct = %.2f, df says %v%%", root.UsedPct, dfPct)
	}
	if root.FreeBytes <= 0 {
		t.Errorf("/ free_bytes = %v", root.FreeBytes)
	}
	t.Logf("/ (%s): used_pct %.3f (df %v%%), free %.0f bytes, inodes %.3f %%; %d mounts: %s",
		root.FS, root.UsedPct, dfPct, root.FreeBytes, root.InodesUsedPct, len(got), keys(got))
}

func Example() {
	p := &Probe{
		FS: fstest.MapFS{"self/mountinfo": {Data: []byte(
			"1 0 8:1 / / rw - ext4 /dev/sda1 rw\n" +
				"2 1 0:22 / /proc rw - proc proc rw\n")}},
		StatFS: func(string) (Stat, error) {
			return Stat{BlockSize: 4096, Blocks: 1000, Free: 300, Avail: 250, Files: 100, FilesFree: 90}, nil
		},
	}
	mounts, _ := p.Sample(context.Background())
	fmt.Printf("%+v\n", mounts["/"])
	// Output: {Mount:/ FS:ext4 UsedPct:73.6842105263158 FreeBytes:1.024e+06 InodesUsedPct:10 Error:}
}

// Whatever the mount table holds, parsing and selecting must not panic.
func FuzzParseMountInfo(f *testing.F) {
	f.Add("1 0 8:1 / / rw - ext4 /dev/sda1 rw\n")
	f.Add("1 0 8:1 / /a\\04 rw shared:1 - - - -\n")
	f.Fuzz(func(t *testing.T, s string) {
		if m, err := ParseMountInfo([]byte(s)); err == nil {
			Select(m, true)
		}
		if m, err := ParseMounts([]byte(s)); err == nil {
			Select(m, false)
		}
	})
}
