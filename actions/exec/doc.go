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
//   - Bounded in time. The command runs in its own process group with stdin from
//     /dev/null. When Spec.Timeout passes or the caller's context ends, the whole group
//     gets SIGTERM (and SIGCONT, so stopped members can act on it), then after Spec.Grace
//     (DefaultGrace) SIGKILL. Run then returns only once no member of the group is left
//     running (zombies waiting for their reaper count as gone), so a script that ignores
//     SIGTERM and a child it spawned that also ignores it both end.
//
//   - What a command leaves running when it exits on its own is left alone. The group is
//     stopped only when the command is stopped (timeout, context); after the leader exits,
//     by itself and whatever its exit status, Run signals nobody. That is the only rule
//     that keeps `setsid cmd &` reliable: the child calls setsid(2) a moment after it is
//     forked, so when the shell exits first the child is still in the group, and nothing
//     tells it apart from a process that means to stay there (`nohup cmd &`, `cmd &`). So
//     `setsid cmd &`, `nohup cmd &`, a double fork (daemon(3)) and `systemctl start` all
//     keep their process, every time.
//
//   - Run never waits for a pipe that a process left running holds. Stdout and stderr are
//     pipes of Run's own (not os/exec's, whose Wait waits for every holder to close them).
//     Once the leader has exited, everything it wrote is in the pipes: Run takes that
//     without waiting for more and closes its end. A process left running that writes to
//     the inherited stdout or stderr afterwards gets EPIPE (SIGPIPE), so a daemon must send
//     its output elsewhere (`setsid cmd >/var/log/cmd.log 2>&1 &`), as daemons do.
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
