// Package disk reports how full each mounted file system is, the way df does, so that
// `any(values(disk), .used_pct > 90)` means what an operator reading df expects.
//
//	/proc/self/mountinfo ──ParseMountInfo──▶ []Mount ──Select──▶ real mounts, one per file system
//	     (or /proc/self/mounts)                                       │
//	                                              statfs each, at once, under Timeout
//	                                                                  │
//	                                        map[mount point]Values ◀──┘
//
// What is measured. Every mount except kernel interfaces and memory-backed or read-only
// image file systems: autofs binfmt_misc bpf cgroup cgroup2 configfs cpuset debugfs devpts
// devtmpfs efivarfs fusectl hugetlbfs mqueue nfsd nsfs proc pstore ramfs rootfs rpc_pipefs
// securityfs selinuxfs sysfs tracefs; squashfs iso9660 udf fuse.snapfuse (always 100 %
// full); fuse.lxcfs fuse.gvfsd-fuse fuse.portal (views, not storage); overlay and aufs
// except at "/" (on a docker host each container layer reports the host disk again; inside
// a container the overlay root is the only root); and tmpfs unless Probe.IncludeTmpfs (it
// is memory, which mem and swap watch). A file system that reports zero blocks is also left
// out, as df leaves it out, which catches pseudo file systems missing from the list.
// Network and FUSE storage (nfs, cifs, fuse.sshfs …) is measured.
//
// Deduplication. When two mounts share a mount point only the later, visible one counts.
// Mounts of one file system (same major:minor: bind mounts, btrfs subvolumes, docker's
// /etc/hosts) report identical numbers, so only the shortest mount point is kept, the
// lexically first on a tie.
//
// Numbers. used_pct = used / (used + available to unprivileged users) × 100, df's Use%
// before it rounds up, so root's reserved blocks count as neither; free_bytes is what an
// unprivileged user can still write (df's Avail); inodes_used_pct is 0 when the file
// system reports no inodes (vfat, btrfs).
//
// Failures. An unreadable mount table fails the probe. A mount whose statfs fails or does
// not answer within Timeout (default 2 s) stays in the map with zero numbers and Error set,
// so a rule indexing it by name keeps working and a rule can watch
// `any(values(disk), .error != "")`. statfs on a dead NFS server blocks in the kernel and
// cannot be cancelled: the goroutine running it is left behind, and until it returns that
// mount is reported as still blocked rather than statfs'd again, so a dead mount holds one
// goroutine, not one per tick. All mounts are measured concurrently, so a sample takes at
// most about Timeout.
package disk
