package net

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// Counting sockets over netlink, the way `ss` does, with the inet_diag dump request of
// linux/inet_diag.h answered with one fixed-size message per socket, of which only the
// state and the local port are read. The kernel leaves out the sockets in states not asked
// for, and adds no extensions (no tcp_info, no memory), so a dump costs little more than
// the walk of the socket hash table it has to do anyway. Reading /proc/net/tcp instead
// makes the kernel format a 150-byte line per socket.
//
// The walk of the established-socket hash table is the floor: every bucket is looked at,
// 262,144 of them on a machine with 24 GB of memory, about a millisecond even with no
// socket in them. So the sockets of both families are asked for in one request, the
// older TCPDIAG_GETSOCK one, which the kernel answers for every family in one walk;
// SOCK_DIAG_BY_FAMILY, which `ss` uses, takes a request and a walk per family. A kernel
// that refuses the older request (it is kept for compatibility) is asked per family.
//
// This is written against golang.org/x/sys/unix (already in the binary through fsnotify)
// rather than with a netlink library: mdlayher/netlink would bring the socket plumbing
// but not the inet_diag messages, which are most of these lines, and
// vishvananda/netlink's SocketDiagTCP asks for every state, one family at a time, and
// builds a struct per socket: the very costs this avoids.

const (
	tcpDiagGetSock   = 18 // TCPDIAG_GETSOCK, linux/inet_diag.h: every family
	sockDiagByFamily = 20 // SOCK_DIAG_BY_FAMILY, linux/sock_diag.h
	inetDiagReqLen   = 60 // struct inet_diag_req, for TCPDIAG_GETSOCK
	inetDiagReqV2Len = 56 // struct inet_diag_req_v2, for SOCK_DIAG_BY_FAMILY
	inetDiagMsgLen   = 72 // struct inet_diag_msg
	dumpBufLen       = 32 << 10
)

var (
	netlinkSeq atomic.Uint32
	// byFamily is set once the kernel has refused TCPDIAG_GETSOCK.
	byFamily atomic.Bool
)

// dumpTCP calls visit with the state and local port of every TCP socket, IPv4 and IPv6, of
// this process's network namespace whose state is in states (bit 1<<state).
func dumpTCP(states uint32, visit func(state uint8, port uint16)) error {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, unix.NETLINK_SOCK_DIAG)
	if err != nil {
		return os.NewSyscallError("socket(AF_NETLINK, NETLINK_SOCK_DIAG)", err)
	}
	defer unix.Close(fd)
	buf := make([]byte, dumpBufLen) // the kernel sends dumps in messages of at most 32 KB
	if !byFamily.Load() {
		req := make([]byte, inetDiagReqLen)
		binary.NativeEndian.PutUint32(req[52:], states) // idiag_states; a zero id: every socket
		seen := 0
		err := dump(fd, tcpDiagGetSock, req, buf, func(st uint8, port uint16) { seen++; visit(st, port) })
		var errno unix.Errno
		if err == nil || seen > 0 || !errors.As(err, &errno) {
			if err != nil {
				err = fmt.Errorf("sock_diag dump of TCP sockets: %w", err)
			}
			return err
		}
		byFamily.Store(true) // the kernel refused it: ask per family from now on
	}
	for _, family := range []uint8{unix.AF_INET, unix.AF_INET6} {
		req := make([]byte, inetDiagReqV2Len)
		req[0] = family                                // sdiag_family
		req[1] = unix.IPPROTO_TCP                      // sdiag_protocol; no idiag_ext
		binary.NativeEndian.PutUint32(req[4:], states) // idiag_states; a zero id: every socket
		if err := dump(fd, sockDiagByFamily, req, buf, visit); err != nil {
			name := "IPv4"
			if family == unix.AF_INET6 {
				name = "IPv6"
			}
			return fmt.Errorf("sock_diag dump of %s TCP sockets: %w", name, err)
		}
	}
	return nil
}

// dump sends a dump request of type typ and reads the answer to its end.
func dump(fd int, typ uint16, body, buf []byte, visit func(uint8, uint16)) error {
	seq := netlinkSeq.Add(1)
	req := make([]byte, unix.NLMSG_HDRLEN, unix.NLMSG_HDRLEN+len(body))
	ne := binary.NativeEndian
	ne.PutUint32(req[0:], uint32(unix.NLMSG_HDRLEN+len(body)))
	ne.PutUint16(req[4:], typ)
	ne.PutUint16(req[6:], unix.NLM_F_REQUEST|unix.NLM_F_DUMP)
	ne.PutUint32(req[8:], seq) // nlmsg_pid 0: the kernel
	req = append(req, body...)
	if err := unix.Sendto(fd, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return os.NewSyscallError("sendto", err)
	}
	for {
		n, _, flags, _, err := unix.Recvmsg(fd, buf, nil, 0)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return os.NewSyscallError("recvmsg", err)
		}
		if flags&unix.MSG_TRUNC != 0 {
			return errors.New("a message larger than 32 KB")
		}
		done, err := parseDump(buf[:n], seq, visit)
		if err != nil || done {
			return err
		}
	}
}

// parseDump reads the messages of one datagram of a dump: done is true at its end.
func parseDump(b []byte, seq uint32, visit func(uint8, uint16)) (done bool, err error) {
	ne := binary.NativeEndian
	for len(b) >= unix.NLMSG_HDRLEN {
		l := int(ne.Uint32(b[0:]))
		if l < unix.NLMSG_HDRLEN || l > len(b) {
			return false, fmt.Errorf("a message of %d bytes in %d", l, len(b))
		}
		typ, msgSeq, body := ne.Uint16(b[4:]), ne.Uint32(b[8:]), b[unix.NLMSG_HDRLEN:l]
		if msgSeq == seq {
			switch typ {
			case unix.NLMSG_DONE:
				if len(body) >= 4 {
					if errno := int32(ne.Uint32(body)); errno < 0 {
						return true, unix.Errno(-errno)
					}
				}
				return true, nil
			case unix.NLMSG_ERROR:
				if len(body) < 4 {
					return true, errors.New("a short error message")
				}
				if errno := int32(ne.Uint32(body)); errno < 0 {
					return true, unix.Errno(-errno) // ENOENT: no tcp_diag in this kernel
				}
			case sockDiagByFamily, tcpDiagGetSock: // the type of the request
				if len(body) < inetDiagMsgLen {
					return false, fmt.Errorf("a socket message of %d bytes, want %d", len(body), inetDiagMsgLen)
				}
				// idiag_family, idiag_state, idiag_timer, idiag_retrans, then the socket id,
				// whose first field is the local port in network byte order.
				visit(body[1], binary.BigEndian.Uint16(body[4:]))
			}
		}
		b = b[min(nlmAlign(l), len(b)):]
	}
	return false, nil
}

func nlmAlign(n int) int { return (n + unix.NLMSG_ALIGNTO - 1) &^ (unix.NLMSG_ALIGNTO - 1) }
