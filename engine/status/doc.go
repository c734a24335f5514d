// Package status is what notimon thinks, read from its state directory: every rule's state
// with its last values, the outbox, the last reload, the silences and acks, the recent
// transitions, and the process holding the directory. `notimon status`, the JSON API
// (/api/v1/*), the status page and Telegram's /status all render the one Status that Read
// builds.
//
// Read takes no lock a running notimon holds: the engine replaces state.json by a rename,
// outbox entries are files of their own, and silences and acks are engine/control's files,
// so a reader sees whole documents beside a daemon or a cron run. Writes (adding and
// expiring silences) go through engine/control, the code path the CLI uses.
package status
