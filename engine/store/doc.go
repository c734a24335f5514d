// Package store keeps what notimon must remember between runs — rule states, probe counters,
// chain cursors — and the notifications it has not delivered yet, in one state directory that
// a single notimon process holds at a time.
//
// The engine opens the directory at start (Open), loads its state document (Load), and after
// each tick saves it (Save). A notify step does not send directly: it enqueues the message
// (Enqueue) and a sender drains the queue (Pending), removing what was delivered (Ack),
// recording what failed and when to try it again (Fail: the retry schedule lives in the
// entry, so it holds across runs), and dropping what has waited too long (Expire). A message
// that could not be sent before a crash, a kill or the end of a cron run is therefore sent by
// the next run. A Reader reads the state document without the lock and writes nothing,
// for commands that show the state of a notimon that may be running (explain).
//
// # Layout
//
//	<dir>/                         mode 0700; default /var/lib/notimon (root) or $XDG_STATE_HOME/notimon
//	  lock                         flock(2)ed while a notimon runs; holds its PID (for the waiting one's message)
//	  state.json                   the engine's state document (JSON, owned by the engine)
//	  state.json.corrupt-<UTC>     an unusable state file, set aside for inspection (20060102T150405Z)
//	  outbox/
//	    <seq>-<rand>.json          one pending notification: 20-digit sequence, 16 hex digits;
//	                               name order = enqueue order
//	    corrupt/<seq>-<rand>.json  entries that could not be parsed, set aside
//	  .<name>.tmp-<rand>           (anywhere above) a write in progress; removed by the next Open
//	  silences.json, acks.json     the operator's silences and acks, written by engine/control
//	  control.lock                 through WriteFile under LockFile, never under lock
//	  .<name>.part-<rand>          a WriteFile in progress; Open leaves these alone (RemoveParts)
//
// Every file is created with mode 0600. Nothing in the directory is meant to be edited by
// hand while notimon runs; deleting an outbox file drops that notification.
//
// # Guarantees
//
//   - Exclusion. Open takes flock(LOCK_EX) on lock, waiting up to Options.LockWait (10 s by
//     default) and then failing with "another notimon (pid N) holds <dir>/lock; waited 10s".
//     The kernel drops the lock when its holder exits or is killed, so there are no stale
//     locks to clean. The descriptor is close-on-exec: commands run by exec steps (a
//     restarted service, say) never inherit it.
//   - Atomic, durable writes. state.json and each outbox entry are written to a temp file in
//     the same directory, fsync'd, renamed over the final name, and the directory is fsync'd.
//     A reader sees the old content or the new, never a truncated or mixed file, whenever the
//     writer dies; once Save, Enqueue or Fail returns nil the write survives a power loss.
//     Ack, Expire, and setting a file aside fsync the directory as well.
//   - Order. Pending returns entries in enqueue order, across restarts: the sequence
//     continues after the highest entry left in the outbox. Fail rewrites an entry in place,
//     keeping its position.
//   - At-least-once delivery. Only Ack (or Expire) removes an entry. A process killed between
//     a notifier accepting a message and Ack returning sends that message once more on the
//     next run; the only way to lose one is Expire, which returns what it drops so the caller
//     can log it.
//   - Damage is contained. An unusable state.json (truncated, garbled, wrongly typed,
//     unreadable) is renamed to state.json.corrupt-<UTC time> with a warning and the engine
//     starts from an empty state; it never stops notimon. An outbox file that does not parse
//     is moved to outbox/corrupt/ with a warning and never blocks the entries behind it.
//     Problems with the directory itself (wrong owner, read-only file system) are errors
//     naming the path.
//
// # Limits
//
//   - The guarantees assume a local POSIX file system that honours fsync and atomic rename
//     (ext4, xfs, btrfs, tmpfs without the power-loss part). flock on NFS is emulated with
//     byte-range locks or not at all depending on the client; do not put the state directory
//     there. A disk that lies about flushing its cache defeats any fsync.
//   - The crash tests kill real processes at random moments (SIGKILL), which checks
//     atomicity against process death; they cannot cut the power, so durability against power
//     loss rests on the fsync discipline above, not on a test.
//   - Each Enqueue/Ack/Fail costs one or two fsyncs (milliseconds on a disk, see
//     BenchmarkEnqueueAck): the outbox is built for the handful of messages an incident
//     produces, not for bulk traffic. Pending reads every entry file each time it is called.
//   - The sequence restarts from the highest entry present: once the outbox drains completely
//     a later run may reuse a sequence number, but not an ID (the random suffix differs).
package store
