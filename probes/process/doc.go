// Package process samples `probe "process" "<name>"` blocks: how many processes a selector
// finds, their memory and CPU use, and how long the oldest has been running.
//
//	/proc/stat (btime) ─┐
//	/proc/<pid>/stat ───┴─Scan──▶ Table ──Match(Selector)──▶ []Proc ──Sampler──▶ Values by probe name
//	                               └── /proc/<pid>/cmdline and PID files, only when a selector asks
//
// One scan per tick serves every process probe: Scan opens and reads /proc/<pid>/stat once
// per process (name, state, CPU times, start time, resident pages) and nothing else; command
// lines are read only for a `cmdline` selector. A process that exits during the scan is left
// out silently. When every selector names a PID file, only those processes' stat files are
// read.
//
// A Sampler on the machine's own /proc (procfs.FS) does less at each tick (cache.go). It
// keeps a file of each process open from one scan to the next (procfs.File, at most 4,096,
// a 4 KB page of kernel memory each) and reads it again with one pread, where opening it
// made the kernel walk its path; a file held stays with its process, so a reused PID is
// noticed. The file is the stat of the processes a selector chose at the last scan, whose
// CPU time and memory are wanted again, and the comm (the name alone) of the others, which
// costs the kernel a quarter of a stat (0.6 against 2.5 µs: a stat sums the CPU times of
// every thread and prints 52 numbers); a process a selector chooses whose stat was not
// read has it read then. /proc itself is listed again only when the kernel's count of
// processes created (the processes line of /proc/stat) has moved since the last listing.
//
// A Sampler also keeps, by process (a file held, or PID and start time), the command line
// it read and what each selector's regular expression made of it and of the name, and
// reuses them at later ticks instead of reading and matching again, which is what a
// `cmdline` probe cost at every tick: the kernel copies a command line out of the other
// process's memory. A kept command line is read again once it is one to two minutes old (a
// process may rewrite it: setproctitle) or when the process's name changed (it exec'd
// another program), and a zombie's counts as empty.
//
// Selectors. `match` is a regular expression on the process name as `ps -o comm` shows it,
// which the kernel cuts to 15 bytes ("php-fpm7.4", not "php-fpm: pool www"); `cmdline` is a
// regular expression on the command line with its NUL separators shown as spaces (never
// matching kernel threads and zombies, whose command line is empty); `pidfile`
// names a file holding one PID, and selects that process only, not its children (a missing
// or empty file selects nothing). Regular expressions are unanchored: use ^…$ for a whole
// name. Threads are not counted, only processes.
//
// Values. count is the number of processes selected, zombies included: a pile-up of
// defunct Apache workers is exactly what a count rule should see (a zombie has no command
// line, though, so only `match` and `pidfile` can select it). rss_bytes sums resident pages
// × the page size. cpu_pct is user + system CPU time since the previous sample divided by
// the time between the samples (at least the minimum interval: a sample that comes sooner
// measures from the scan before), summed over the processes, 100 being one full core;
// processes are told apart by PID and start time, so a reused PID is a new process, and a
// process not selected at the previous sample (new, or the first sample) contributes 0
// this time. CPU times are in USER_HZ, fixed at 100 per second (ClockTicks). oldest_age_s
// is now − (boot time + start time) of the longest-running process, 0 when none is found.
//
// The Sampler keeps the CPU times of the processes it selected; State and Restore carry
// them across cron runs, so a cron run reports CPU use since the previous run. A reboot
// (another btime) discards them.
package process
