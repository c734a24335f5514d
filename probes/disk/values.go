package disk

// Values is one mount point, read as `disk["/"].<field>` or through `values(disk)`.
type Values struct {
	Mount string `expr:"mount" json:"mount"`
	FS    string `expr:"fs" json:"fs"`
	// UsedPct is what df's Use% shows, unrounded: used / (used + available to unprivileged
	// users), so the blocks reserved for root do not make a full disk look 95 % used.
	UsedPct float64 `expr:"used_pct" json:"used_pct"`
	// FreeBytes is the space an unprivileged user can still write (df's Avail).
	FreeBytes float64 `expr:"free_bytes" json:"free_bytes"`
	// InodesUsedPct is 0 when the file system reports no inode counts (btrfs, vfat, NFS
	// servers that do not say).
	InodesUsedPct float64 `expr:"inodes_used_pct" json:"inodes_used_pct"`
	// Error says why the mount could not be measured this tick (statfs failed or did not
	// answer in time); the numbers are then 0. Empty when the mount was measured.
	Error string `expr:"error" json:"error,omitempty"`
}
