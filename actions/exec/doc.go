// Package exec runs the command of an exec step (`exec { command = [...] }`), typically a
// remediation such as `systemctl restart tomcat`, and reports what happened in a Result that
// the engine logs and that later messages of the chain can quote.
//
// A remediation runs unattended, often as root, at the worst possible moment, so Run is
// built to be boring:
//
//   - No shell unless asked. Argv is executed directly (execve), so a placeholder or label
//     value can never become shell syntax. Spec.Shell runs `/bin/sh -c <script>` for the
//     operator who explicitly wants pipes and redirections. A bare program name is looked up
//     in the PATH the command will see (Spec.Env and the inherited environment), never in
//     the current directory, and a miss names the PATH it searched: cron's PATH is short.
//
//   - Bounded in time, and nothing left behind. The command runs in its own process group
//     with stdin from /dev/null. When Spec.Timeout passes or the caller's context ends, the
//     whole group gets SIGTERM (and SIGCONT, so stopped members can act on it), then after
//     Spec.Grace (DefaultGrace) SIGKILL. Run returns only once no member of the group is
//     left running (zombies waiting for their reaper count as gone), so a script that
//     ignores SIGTERM and a child it spawned that also ignores it both end.
//
//   - The group ends with its leader. When the command exits on its own, members of its
//     group that are still running (a backgrounded `sleep`, a helper that lingers) are
//     stopped the same way, SIGTERM then SIGKILL after the grace, and counted in
//     Result.Leftovers. A command that means to leave a daemon running must detach it into
//     a session of its own: `systemctl`, `service`, `start-stop-daemon --background` and
//     `setsid` all do; `nohup cmd &` does not. Processes that did detach are not touched,
//     and Run stops waiting for them to close its output pipes shortly after the group is
//     gone.
//
//   - Bounded output. Stdout and stderr are read continuously into buffers that keep the
//     first Spec.MaxOutput bytes (DefaultMaxOutput) and discard the rest, so a chatty
//     command never blocks on a full pipe and never fills notimon's memory. A cut output
//     ends at a whole UTF-8 character followed by "\n[… N bytes truncated]".
//
//   - Errors say what happened to which program: "systemctl: exit status 3",
//     "/usr/local/bin/fix: not found", "fix.sh: not executable (mode -rw-r--r--)",
//     "java: killed by signal 9 (killed)", "sleep: timed out after 5s; killed process
//     group 1234 (2 processes, SIGKILL after 2s grace)". They wrap fs.ErrNotExist,
//     fs.ErrPermission, context.DeadlineExceeded or the context's cause where one applies.
//
// Data flow: the engine fills a Spec from the step's settings and the alert context
// (NOTIMON_RULE, NOTIMON_STATE, …), calls Run, and keeps the Result. Run has no state; the
// package knows nothing about rules.
package exec
