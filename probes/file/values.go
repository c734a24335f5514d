package file

// Values is what rules read as `file.<name>.<field>`.
type Values struct {
	// Exists is true when the path, symlinks followed, names something.
	Exists bool `expr:"exists" json:"exists"`
	// SizeBytes is its size (for a directory, the size of the entry itself).
	SizeBytes float64 `expr:"size_bytes" json:"size_bytes"`
	// AgeS is the seconds from its last modification to the tick.
	AgeS float64 `expr:"age_s" json:"age_s"`
	// Type is "file", "dir", "fifo", "socket", "char_device", "block_device" or "other";
	// "" when it does not exist.
	Type string `expr:"type" json:"type"`
	// Error says why the path could not be examined ("permission denied", "dangling
	// symlink to /x"); "" when it was, including when it simply does not exist.
	Error string `expr:"error" json:"error"`
}
