// Package net reports network throughput per interface and TCP sockets by state, in the
// network namespace notimon runs in: interfaces from /proc/net/dev, sockets over netlink
// (sock_diag, what `ss` uses) or from /proc/net/tcp and /proc/net/tcp6.
//
//	/proc/net/dev ──ParseDev──▶ byte counters ──Rates(prev, cur)──▶ interfaces
//	netlink sock_diag, or /proc/net/tcp, tcp6 ──▶ counts by state, and by local port ──▶ tcp, ports
//	                    (only the states and ports Need says: NeedOf the rules' fields)
//
// Shape, as rules read it (a struct cannot be both a map of interfaces and hold a tcp
// field, so the interfaces get a field of their own):
//
//	net.interfaces["eth0"].rx_bytes_per_s   bytes received per second since the previous sample
//	net.interfaces["eth0"].tx_bytes_per_s   bytes sent per second
//	net.tcp.established                     sockets in that state, IPv4 and IPv6 together; also
//	                                        syn_sent syn_recv fin_wait1 fin_wait2 time_wait close
//	                                        close_wait last_ack listen closing
//	net.ports["8080"].close_wait            the same counts for one local port (decimal string)
//
// Interfaces. Loopback (lo) is left out: its traffic never reaches the wire. Every other
// interface the kernel lists is kept (bridges, veths, tunnels). Rates are counter deltas
// divided by the seconds between the two samples' times; a probe keeps the previous counters
// (State and Restore carry them across cron runs, so a cron run reports the average since
// the previous run). A rate spans at least the probe's minimum interval (SetMinInterval):
// a sample that comes sooner measures from the reading before the previous one. The first
// sample, an interface that was not there last time, and a counter that went backwards (the interface was recreated, a 32-bit counter wrapped, a
// reboot) give 0 for that interval, never a negative or huge rate.
//
// Sockets. On the machine's own /proc (procfs.FS("/proc")) the kernel is asked over
// netlink, one inet_diag dump for IPv4 and IPv6 together, with the states to report
// (netlink_linux.go); when that fails (no sock_diag in the kernel, a seccomp filter) the
// probe reads /proc/net/tcp and tcp6 instead and says so once in the log. With recorded
// files it reads those. Each line of net/tcp and net/tcp6 is one socket; its hex `st`
// column is the state (01 ESTABLISHED … 0B CLOSING). Ports are local ports: a server's
// accepted connections count under its listening port (so `net.ports["8080"].close_wait >
// 100` catches an application that does not close its sockets), a client's connections
// under the ephemeral port the kernel gave them. A port with no sockets (in the states
// counted) is absent from the map. Either file may be missing (tcp6 when IPv6 is
// disabled); both missing is an error.
//
// What is counted. The system sampler tells the probe the fields the rules read
// (SetNeed(NeedOf(fields))): only the states read are counted (the kernel leaves out the
// others), and ports get counts of their own only when some rule names one: then the
// ports named and every listening port. A port chosen at run time (net.ports[p],
// values(net.ports)) reads every port; rules that read only interfaces count no socket at
// all. Without SetNeed everything is counted.
//
// Cost. Either way the kernel walks its established-socket hash table, all of its buckets
// (262,144 on a machine with 24 GB), which is the floor: about 1.4 ms on the development
// VM with a handful of sockets, once per sample over netlink, once per file and more with
// many sockets through /proc, which also formats 150 bytes per socket. With 10,000
// sockets a netlink sample costs about 8 ms, /proc 27 ms. Sample the probe only when a
// rule reads `net`.
package net
