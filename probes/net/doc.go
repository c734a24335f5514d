// Package net reports network throughput per interface and TCP sockets by state, read from
// /proc/net/dev, /proc/net/tcp and /proc/net/tcp6 of the network namespace notimon runs in.
//
//	/proc/net/dev ──ParseDev──▶ byte counters ──Rates(prev, cur)──▶ interfaces
//	/proc/net/tcp, tcp6 ──ReadTCP──▶ counts by state, and by local port ──▶ tcp, ports
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
// Sockets. Each line of net/tcp and net/tcp6 is one socket; its hex `st` column is the state
// (01 ESTABLISHED … 0B CLOSING). Ports are local ports: a server's accepted connections
// count under its listening port (so `net.ports["8080"].close_wait > 100` catches an
// application that does not close its sockets), a client's connections under the
// ephemeral port the kernel gave them. A port with no sockets is absent from the map. Either
// file may be missing (tcp6 when IPv6 is disabled); both missing is an error.
//
// Cost. The kernel answers each ~4 KB read of net/tcp by walking its socket hash tables,
// which is most of the time a sample takes (about 10 ms on the development VM with a
// handful of sockets) and grows with the number of sockets; parsing adds under 1 µs per
// socket. Sample the probe only when a rule reads `net`.
package net
