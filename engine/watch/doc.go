// Package watch tells the daemon "the rules directory may have changed: reload it", within
// a second of an operator saving a file, and keeps doing so when the directory is replaced,
// retargeted, missing for a while, or when inotify loses events.
//
// # How data moves
//
// Watch puts inotify watches (through fsnotify) on the rules directory and on its parent,
// and on the directories that symlinked rule files resolve into. One goroutine owns all
// state and selects on:
//
//   - fsnotify's Events: an event for an entry of the directory, whatever its name, or for
//     the directory itself starts (or extends) a debounce; an event in a link target's
//     directory does the same but only counts if the content hash moved.
//   - fsnotify's Errors: a queue overflow means lost events, so everything is rechecked
//     and a signal follows.
//   - the debounce: Debounce (300 ms) after the last event, or 2×Debounce after the first
//     one of a steady stream, the burst ends: the watcher rechecks the directory, hashes
//     what a load would read, and signals.
//   - a recheck every 500 ms: two stat calls comparing the inode the path names now with
//     the inode the watch is on, and fsnotify's WatchList saying the watch is still there.
//   - a poll every Poll (5 s): the content hash against the last one seen.
//
// Signals go into a channel with a buffer of one and are never waited on: one pending
// signal stands for any number of changes, and a slow daemon never stalls the watcher.
//
// Hash is the other half: what a load reads (names and contents of the loaded *.hcl
// files, through symlinks), so the daemon can tell a change that matters from one that
// does not.
//
// # Traps, and what handles each
//
// Watch the directory, not the files. inotify watches an inode. An editor's atomic save
// (write a temporary file, rename it over) and sed -i (a new file renamed over) replace the
// inode, so a watch on the file ends silently after the first save. The directory's watch
// sees the rename (its Create names the real file).
//
// Do not filter on *.hcl. A Kubernetes ConfigMap update writes a new ..<timestamp>
// directory and renames a ..data_tmp symlink over ..data; the visible a.hcl is a symlink
// through ..data and is never touched. Every event in the directory counts, so the watcher
// also signals for a README or an editor's swap file: the hash (names are filtered there,
// exactly as dsl.Load filters them) tells the daemon nothing loaded changed.
//
// Debounce. An in-place save is a truncate and a write (two events, with an empty file in
// between), an atomic save three or four, a ConfigMap swap half a dozen. Reloading on the
// first event loads a half-written file. 300 ms of quiet ends a burst; a steady writer in
// the directory (a log someone put there) still gets a signal every 600 ms.
//
// Drain both channels. fsnotify sends events and errors from one goroutine on unbuffered
// channels: nobody reading Errors stalls Events too.
//
// A replaced directory ends the watch silently. mv rules.d rules.d.old; mkdir rules.d: the
// watch follows the old inode (IN_MOVE_SELF, after which fsnotify drops it); rm -rf ends it
// with IN_DELETE_SELF; an unmount with IN_IGNORED and no event at all. The parent's watch
// reports the name rules.d being moved, deleted or created at once, and the recheck catches
// the rest (an inode that changed, or a watch missing from WatchList). The watch is then
// removed and added again at the same path (remove first: fsnotify keys watches by path, and
// a stale IN_MOVE_SELF for the old inode would take the new watch with it), the path is
// stat'ed again to make sure the watch landed on the inode it names, and a signal follows
// the debounce, which comes after the new watch is in place: a file copied into the new
// directory before the watch existed is read by the load the signal starts.
//
// Moved away and back. Same inode, same path, but fsnotify dropped the watch on
// IN_MOVE_SELF: the recheck compares WatchList too, not only the inode.
//
// A missing directory. While it is missing there is nothing to load: the watcher logs a
// warning, sends nothing (the daemon keeps running the rules it has), and signals when the
// directory is back: at once through the parent's watch, within the recheck when the parent
// went too.
//
// A symlinked directory (/etc/notimon/rules.d -> /srv/rules-v2). inotify_add_watch follows
// the link, so the watch is on /srv/rules-v2; retargeting the link (ln -sfn, or a new link
// renamed over) is an event in the parent, and the watch moves to the new target. A link
// higher up the path (/etc/notimon -> /srv/notimon-v2) changes nothing any watch sees: the
// recheck's stat sees the inode change.
//
// Rule files linked from elsewhere (rules.d/a.hcl -> /srv/shared/a.hcl): an edit there is
// no event in rules.d, so the directories link targets resolve into are watched too (up to
// 32). They hold other files, so their events signal only when the hash moved.
//
// Everything else inotify does not see (a change under a bind mount, NFS or FUSE changes
// made on another machine, events lost to a full queue, a link higher up a link target's
// path): the poll compares the content hash every Poll and signals when it moved.
//
// inotify limits. Without an inotify instance (fs.inotify.max_user_instances) or a watch
// (fs.inotify.max_user_watches) the watcher logs it once and relies on the recheck and the
// poll: reloads still happen, within Poll.
//
// # Real time here
//
// The engine takes time as a parameter; this package does not. It is an adapter between the
// kernel's event queue and the daemon, and its timers (debounce, recheck, poll) are about
// how file systems and editors behave in wall time: the tests use real files, real inotify
// and real timers, with bounded waits.
//
// # What the daemon must do
//
//   - Call Watch before the first load: the watch is in place when Watch returns, so no
//     change between the load and the watch is lost.
//   - On each signal, take h := Hash(dir) before loading; if h equals the hash of the
//     running configuration, skip the reload. Otherwise load; if the load has errors keep
//     the running configuration (an in-place save may have been caught half-written; its
//     end is another event and another signal). Record h as the running hash only if Hash
//     after the load still gives h; if not, the load may mix two versions: record nothing,
//     and the change that moved the hash brings another signal.
//   - Keep SIGHUP as a reload that skips the hash check: files read by file("…") from rule
//     files are neither watched nor hashed.
//   - Stop by cancelling ctx; the channel is closed when the watcher is done.
package watch
