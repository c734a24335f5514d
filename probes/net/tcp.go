package net

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strconv"
)

// The socket tables, relative to /proc. Either may be missing: tcp6 on a kernel booted with
// ipv6.disable=1.
const (
	TCPFile  = "net/tcp"
	TCP6File = "net/tcp6"
)

// Sockets is one reading of the TCP socket tables.
type Sockets struct {
	// Total counts every socket by state.
	Total TCP
	// Ports counts them by local port (decimal).
	Ports map[string]TCP

	byPort map[uint16]*TCP // while counting
}

// ReadTCP counts the sockets in net/tcp and net/tcp6 of fsys, rooted at /proc. A missing
// file counts as no sockets; both missing is an error.
func ReadTCP(fsys fs.FS) (Sockets, error) {
	s := Sockets{Ports: map[string]TCP{}}
	missing := 0
	for _, name := range []string{TCPFile, TCP6File} {
		f, err := fsys.Open(name)
		if errors.Is(err, fs.ErrNotExist) {
			missing++
			continue
		}
		if err != nil {
			return Sockets{}, fmt.Errorf("read /proc/%s: %w", name, err)
		}
		err = s.add(name, f)
		f.Close()
		if err != nil {
			return Sockets{}, err
		}
	}
	if missing == 2 {
		return Sockets{}, fmt.Errorf("read /proc/%s and /proc/%s: neither exists (no TCP in this kernel or network namespace?)", TCPFile, TCP6File)
	}
	s.ports()
	return s, nil
}

// ParseTCP counts the sockets of one socket table (the contents of /proc/net/tcp or tcp6);
// name is used in errors.
func ParseTCP(name string, data []byte) (Sockets, error) {
	s := Sockets{Ports: map[string]TCP{}}
	if err := s.add(name, bytes.NewReader(data)); err != nil {
		return Sockets{}, err
	}
	s.ports()
	return s, nil
}

// add counts the sockets of one table into s. A table holds one line per socket, which on
// a busy proxy is tens of thousands, so it is read line by line rather than whole:
//
//	sl  local_address rem_address   st tx_queue …
//	 0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 …
func (s *Sockets) add(name string, r io.Reader) error {
	br := bufio.NewReaderSize(r, 64<<10)
	for lineNo := 1; ; lineNo++ {
		line, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			return fmt.Errorf("/proc/%s line %d: longer than %d bytes", name, lineNo, br.Size())
		}
		if err != nil && err != io.EOF {
			return fmt.Errorf("read /proc/%s: %w", name, err)
		}
		if lineNo == 1 {
			if !bytes.HasPrefix(bytes.TrimSpace(line), []byte("sl ")) && len(bytes.TrimSpace(line)) > 0 {
				return fmt.Errorf("/proc/%s line 1: %q is not the header (sl local_address rem_address st …)", name, clip(bytes.TrimSpace(line)))
			}
		} else if len(bytes.TrimSpace(line)) > 0 {
			if perr := s.addLine(line); perr != nil {
				return fmt.Errorf("/proc/%s line %d: %w", name, lineNo, perr)
			}
		}
		if err == io.EOF {
			return nil
		}
	}
}

func (s *Sockets) addLine(line []byte) error {
	// Only the first four columns matter; splitting the rest would cost more than the
	// counting does on a machine with many sockets.
	var f [4][]byte
	rest := line
	for i := range f {
		start := 0
		for start < len(rest) && isSpace(rest[start]) {
			start++
		}
		end := start
		for end < len(rest) && !isSpace(rest[end]) {
			end++
		}
		f[i], rest = rest[start:end], rest[end:]
		if len(f[i]) == 0 {
			return fmt.Errorf("%q is not a socket line (sl local_address rem_address st …)", clip(bytes.TrimSpace(line)))
		}
	}
	local := f[1]
	i := bytes.LastIndexByte(local, ':')
	if i < 0 {
		return fmt.Errorf("local address %q has no :port", clip(local))
	}
	port, ok := parseHex(local[i+1:], 16)
	if !ok {
		return fmt.Errorf("local port %q is not a 16-bit hex number", clip(local[i+1:]))
	}
	st, ok := parseHex(f[3], 8)
	if !ok {
		return fmt.Errorf("state %q is not a hex number", clip(f[3]))
	}
	if !count(&s.Total, st) {
		return nil // a state this version does not know: leave it out of both counts
	}
	if s.byPort == nil {
		s.byPort = map[uint16]*TCP{}
	}
	p := s.byPort[uint16(port)]
	if p == nil {
		p = new(TCP)
		s.byPort[uint16(port)] = p
	}
	count(p, st)
	return nil
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// parseHex parses a hex number of at most bits bits without allocating.
func parseHex(b []byte, bits int) (uint64, bool) {
	if len(b) == 0 || len(b) > bits/4 {
		return 0, false
	}
	var n uint64
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		n = n<<4 | uint64(c)
	}
	return n, true
}

// ports turns the counts by port number into the map rules read, keyed by decimal string.
func (s *Sockets) ports() {
	if len(s.Ports) == 0 {
		s.Ports = make(map[string]TCP, len(s.byPort))
	}
	for port, t := range s.byPort {
		s.Ports[strconv.Itoa(int(port))] = *t
	}
	s.byPort = nil
}

// count adds one socket in kernel state st (include/net/tcp_states.h) to t, and reports
// whether st is one of the eleven states TCP has.
func count(t *TCP, st uint64) bool {
	var f *float64
	switch st {
	case 0x01:
		f = &t.Established
	case 0x02:
		f = &t.SynSent
	case 0x03:
		f = &t.SynRecv
	case 0x04:
		f = &t.FinWait1
	case 0x05:
		f = &t.FinWait2
	case 0x06:
		f = &t.TimeWait
	case 0x07:
		f = &t.Close
	case 0x08:
		f = &t.CloseWait
	case 0x09:
		f = &t.LastAck
	case 0x0A:
		f = &t.Listen
	case 0x0B:
		f = &t.Closing
	default:
		return false
	}
	*f++
	return true
}
