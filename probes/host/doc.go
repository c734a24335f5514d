// Package host describes the machine itself: the name messages should show (settings.host,
// else the hostname), the seconds since boot from /proc/uptime, and the number of logical
// CPUs, which the caller counts in /proc/stat.
//
//	settings.host | os.Hostname, /proc/uptime, cores ──Read──▶ Values
package host
