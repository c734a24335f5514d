// Package command is `probe "command" "<name>"`: run a program each tick and read what it
// printed, for anything notimon has no probe for (a queue depth, a replication lag, a
// Nagios-style check). Rules read `command.<name>.exit_code`, `.value`, `.numeric`,
// `.output`, `.error` and `.duration_ms`.
//
//	block attributes ──FromAttrs──▶ Config ──Sample(ctx, now)──▶ actions/exec.Run ──▶ Values
//
// The command runs through actions/exec, as exec steps do: argv without a shell (a bare
// name is looked up in PATH), stdin from /dev/null, in its own process group. When
// Config.Timeout (DefaultTimeout) passes the whole group gets SIGTERM and, DefaultGrace
// later, SIGKILL, so Sample returns within Timeout + Grace even for a script that ignores
// SIGTERM. Like an exec step's, a command that exits on its own is not followed: what it
// left running is left alone, and Sample does not wait for it.
// Stdout is kept up to MaxOutput (64 KiB), stderr likewise.
//
// value is stdout, trimmed, read as a number ("42\n" → 42, "3.5" → 3.5) whatever the exit
// code; when stdout is not one number (or is NaN or infinite) value is 0 and numeric is
// false, so `command.queue.numeric && command.queue.value > 100` tells an empty queue from
// a broken script. A failure (exit code not 0, timeout, program not found) is a value,
// never an error: `error` names the program and what happened, followed by the first line
// of stderr.
package command
