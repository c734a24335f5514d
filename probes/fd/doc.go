// Package fd reads how many file handles the whole system has open, and its limit, from
// /proc/sys/fs/file-nr. When the kernel runs out ("VFS: file-max limit … reached"), every
// process that opens a file, a socket or a pipe fails: worth an alert before it happens.
//
//	/proc/sys/fs/file-nr ──Parse──▶ Values
//
// It keeps nothing between samples, so its descriptor (Kind, spec.Builtin) is all the
// probes registry needs.
package fd
