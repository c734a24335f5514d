package net

// Interface is one network interface, read as `net.interfaces["eth0"]`.
type Interface struct {
	// RxBytesPerS and TxBytesPerS are bytes per second received and sent since the
	// previous sample; 0 on the first sample and across a counter reset.
	RxBytesPerS float64 `expr:"rx_bytes_per_s" json:"rx_bytes_per_s"`
	TxBytesPerS float64 `expr:"tx_bytes_per_s" json:"tx_bytes_per_s"`
}

// TCP counts IPv4 and IPv6 TCP sockets by state, read as `net.tcp.close_wait` for the whole
// machine and `net.ports["8080"].close_wait` for one local port.
type TCP struct {
	Established float64 `expr:"established" json:"established"`
	SynSent     float64 `expr:"syn_sent" json:"syn_sent"`
	SynRecv     float64 `expr:"syn_recv" json:"syn_recv"`
	FinWait1    float64 `expr:"fin_wait1" json:"fin_wait1"`
	FinWait2    float64 `expr:"fin_wait2" json:"fin_wait2"`
	TimeWait    float64 `expr:"time_wait" json:"time_wait"`
	Close       float64 `expr:"close" json:"close"`
	CloseWait   float64 `expr:"close_wait" json:"close_wait"`
	LastAck     float64 `expr:"last_ack" json:"last_ack"`
	Listen      float64 `expr:"listen" json:"listen"`
	Closing     float64 `expr:"closing" json:"closing"`
}

// Values is what rules read as `net.<field>`.
type Values struct {
	// Interfaces is keyed by interface name; loopback (lo) is left out.
	Interfaces map[string]Interface `expr:"interfaces" json:"interfaces"`
	// TCP counts every TCP socket of the machine's network namespace by state.
	TCP TCP `expr:"tcp" json:"tcp"`
	// Ports holds the same counts per local port, keyed by the port number in decimal
	// ("8080"): a server's accepted connections count under its listening port, a client's
	// under the ephemeral port it was given.
	Ports map[string]TCP `expr:"ports" json:"ports"`
}
