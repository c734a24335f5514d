package net

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/notimon/notimon/probes/internal/procfs"
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

	need   *Need           // what to count; nil: everything
	pairs  []uint32        // port<<8 | state of each socket, when only some ports are kept
	byPort map[uint16]*TCP // while counting every port
}

// Need says which TCP counts are read, so that a sample counts only those: the kernel
// leaves out the sockets in other states (over netlink), and only the ports named and the
// listening ports get counts of their own, not the thousands of ephemeral ports of a busy
// machine. The zero value counts nothing; All counts everything.
type Need struct {
	// States has bit 1<<st set for each kernel state st (1 ESTABLISHED … 11 CLOSING) that
	// is counted.
	States uint16
	// Ports are local ports counted one by one, whatever else is.
	Ports []uint16
	// Listening counts every port that some socket listens on one by one.
	Listening bool
	// AllPorts counts every local port one by one.
	AllPorts bool
}

// AllStates is Need.States for every state.
const AllStates uint16 = 0xFFE // 1<<1 … 1<<11

// All is the Need that counts everything.
var All = Need{States: AllStates, AllPorts: true}

// Fields of TCP by name, as rules read them; the index is the kernel state.
var stateNames = [...]string{1: "established", 2: "syn_sent", 3: "syn_recv", 4: "fin_wait1",
	5: "fin_wait2", 6: "time_wait", 7: "close", 8: "close_wait", 9: "last_ack", 10: "listen", 11: "closing"}

// NeedOf returns what of the TCP counts the fields read, fields being probe fields as the
// dsl lists them (dsl.Config.Fields: net.tcp.established, net.ports.8080.close_wait; net.ports
// when a port is chosen at run time, net for the whole probe). Fields of other probes and
// net's interfaces count nothing. A port named is counted with every listening port, as
// `notimon probe` shows them.
func NeedOf(fields []string) Need {
	var n Need
	states := func(name string) uint16 {
		if name == "" {
			return AllStates
		}
		for st, s := range stateNames {
			if s == name {
				return 1 << st
			}
		}
		return 0 // not a state: the dsl checked the field, so a field of a later version
	}
	for _, f := range fields {
		rest, ok := strings.CutPrefix(f, "net")
		switch {
		case !ok:
		case rest == "":
			return All
		case rest == ".tcp" || strings.HasPrefix(rest, ".tcp."):
			n.States |= states(strings.TrimPrefix(strings.TrimPrefix(rest, ".tcp"), "."))
		case rest == ".ports":
			n.States, n.AllPorts = AllStates, true
		case strings.HasPrefix(rest, ".ports."):
			port, state, _ := strings.Cut(strings.TrimPrefix(rest, ".ports."), ".")
			p, err := strconv.ParseUint(port, 10, 16)
			if err != nil {
				continue // net.ports["http"]: no such port, never counted
			}
			n.States |= states(state)
			if !slices.Contains(n.Ports, uint16(p)) {
				n.Ports = append(n.Ports, uint16(p))
			}
			n.Listening = true
		}
	}
	slices.Sort(n.Ports)
	return n
}

// kernelStates is the idiag_states filter that gives the sockets n counts: the listening
// ones too when ports that listen are counted.
func (n Need) kernelStates() uint32 {
	st := uint32(n.States)
	if n.Listening {
		st |= 1 << 10
	}
	return st
}

// byPort reports whether sockets are counted port by port.
func (n Need) byPort() bool { return n.AllPorts || n.Listening || len(n.Ports) > 0 }

func newSockets(need *Need) Sockets {
	return Sockets{Ports: map[string]TCP{}, need: need}
}

// tcpCounter counts a probe's TCP sockets: over netlink (netlink_linux.go) when the probe
// reads the machine's own /proc, whose net/tcp shows the same network namespace, and from
// the tables of its FS otherwise (recorded files), or when netlink fails, which it says
// once in the log.
type tcpCounter struct {
	mu     sync.Mutex
	need   *Need // nil: everything
	log    *slog.Logger
	warned bool
}

// SetNeed sets which TCP counts samples count (NeedOf the rules' fields); without a call,
// every count. It is safe while samples run.
func (p *Probe) SetNeed(n Need) {
	p.tcp.mu.Lock()
	defer p.tcp.mu.Unlock()
	p.tcp.need = &n
}

// SetLogger sets where the probe says that it cannot count sockets over netlink and reads
// /proc/net/tcp instead; nil: nowhere.
func (p *Probe) SetLogger(l *slog.Logger) {
	p.tcp.mu.Lock()
	defer p.tcp.mu.Unlock()
	p.tcp.log = l
}

// readTCP counts the sockets as the probe's Need says.
func (p *Probe) readTCP() (Sockets, error) {
	p.tcp.mu.Lock()
	need, log := p.tcp.need, p.tcp.log
	p.tcp.mu.Unlock()
	if need != nil && need.States == 0 && !need.byPort() {
		return newSockets(need), nil // rules read interfaces only: no socket to count
	}
	if d, ok := p.FS.(procfs.FS); !ok || d != "/proc" {
		return readTCP(p.FS, need)
	}
	s, err := netlinkTCP(need)
	if err == nil {
		return s, nil
	}
	p.tcp.mu.Lock()
	warn := !p.tcp.warned
	p.tcp.warned = true
	p.tcp.mu.Unlock()
	if warn && log != nil {
		log.Warn("cannot count TCP sockets over netlink (sock_diag); reading /proc/net/tcp and tcp6 instead, which costs more with many sockets", "err", err)
	}
	return readTCP(p.FS, need)
}

// dumpSockets asks the kernel for the sockets in states; tests replace it to see the fallback.
var dumpSockets = dumpTCP

// netlinkTCP counts the sockets of this process's network namespace over netlink.
func netlinkTCP(need *Need) (Sockets, error) {
	s := newSockets(need)
	states := uint32(AllStates)
	if need != nil {
		states = need.kernelStates()
	}
	if err := dumpSockets(states, s.socket); err != nil {
		return Sockets{}, err
	}
	s.finish()
	return s, nil
}

// ReadTCP counts the sockets in net/tcp and net/tcp6 of fsys, rooted at /proc. A missing
// file counts as no sockets; both missing is an error.
func ReadTCP(fsys fs.FS) (Sockets, error) {
	return readTCP(fsys, nil)
}

// readTCP is ReadTCP counting what need says (nil: everything).
func readTCP(fsys fs.FS, need *Need) (Sockets, error) {
	s := newSockets(need)
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
	s.finish()
	return s, nil
}

// ParseTCP counts the sockets of one socket table (the contents of /proc/net/tcp or tcp6);
// name is used in errors.
func ParseTCP(name string, data []byte) (Sockets, error) {
	s := newSockets(nil)
	if err := s.add(name, bytes.NewReader(data)); err != nil {
		return Sockets{}, err
	}
	s.finish()
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
	s.socket(uint8(min(st, 0xFF)), uint16(port))
	return nil
}

// socket counts one socket in kernel state st on local port port, as s.need says.
func (s *Sockets) socket(st uint8, port uint16) {
	need := s.need
	if need == nil {
		need = &All
	}
	if st > 11 || need.kernelStates()&(1<<st) == 0 {
		return // not asked for, or a state this version does not know
	}
	if need.States&(1<<st) != 0 {
		count(&s.Total, uint64(st))
	}
	switch {
	case need.AllPorts:
		if s.byPort == nil {
			s.byPort = map[uint16]*TCP{}
		}
		p := s.byPort[port]
		if p == nil {
			p = new(TCP)
			s.byPort[port] = p
		}
		count(p, uint64(st))
	case need.byPort():
		s.pairs = append(s.pairs, uint32(port)<<8|uint32(st))
	}
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

// finish turns the counts by port number into the map rules read, keyed by decimal
// string. When only some ports are kept, those are the ports named and, if asked, every
// port a socket listens on (known only once every socket has been seen: the two tables,
// or the two netlink dumps, list them apart).
func (s *Sockets) finish() {
	if s.pairs != nil {
		keep := map[uint16]*TCP{}
		for _, p := range s.need.Ports {
			keep[p] = new(TCP)
		}
		if s.need.Listening {
			for _, pair := range s.pairs {
				if pair&0xFF == 10 {
					keep[uint16(pair>>8)] = new(TCP)
				}
			}
		}
		for _, pair := range s.pairs {
			st := uint64(pair & 0xFF)
			if t := keep[uint16(pair>>8)]; t != nil && s.need.States&(1<<st) != 0 {
				count(t, st)
			}
		}
		s.byPort = keep
	}
	if len(s.Ports) == 0 {
		s.Ports = make(map[string]TCP, len(s.byPort))
	}
	for port, t := range s.byPort {
		if *t != (TCP{}) { // a port named but without sockets (in the states counted) is absent, as any other
			s.Ports[strconv.Itoa(int(port))] = *t
		}
	}
	s.byPort, s.pairs, s.need = nil, nil, nil
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
