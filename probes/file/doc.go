// Package file is `probe "file" "<name>"`: does a path exist, how big is it and how long
// since it was modified. Rules read `file.<name>.exists`, `.size_bytes`, `.age_s`, `.type`
// and `.error` ("the backup is older than a day", "the log stopped growing").
//
//	block attributes ──FromAttrs──▶ Config ──Sample(ctx, now)──▶ stat(2) ──▶ Values
//
// The probe only stats the path, following symlinks; it never opens the file, so pointing
// it at a FIFO, a socket or a /dev node is safe and reading nothing cannot have side
// effects. What it reports:
//
//   - A path that is not there: exists = false, error "" (that may be the normal state,
//     say of a lock file). A path through a file ("/etc/passwd/x") counts as not there.
//   - A symlink is followed: the values are its target's. A dangling one is exists = false
//     with an error that names the missing target; a loop is an error too.
//   - A directory exists; size_bytes is the size of the directory entry itself (4096 on
//     ext4, not the size of what it holds) and age_s counts from its mtime, which changes
//     when an entry is added, removed or renamed. type tells it from a file.
//   - A path notimon may not look at (permission denied on a parent directory) is
//     exists = false with error "permission denied": whether it exists is unknown.
//   - age_s is the tick's time (the now passed to Sample, never the clock) minus the
//     modification time: negative for a file modified "in the future" (clock skew).
//
// stat can hang forever on a dead network mount, so it runs under Config.Timeout
// (DefaultTimeout). A stat that timed out keeps running in the background; later samples
// of the same path wait for it instead of starting another, so a dead mount costs one
// stuck goroutine per path, not one per tick.
package file
