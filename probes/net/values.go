// Package net describes the network probe. Sampling arrives with the probes issue; until then
// rules that read `net` validate, and `run` reports the probe as not available yet.
package net

// Interface is one network interface, read as `net.interfaces["eth0"]`.
type Interface struct {
	RxBytesPerS float64 `expr:"rx_bytes_per_s" json:"rx_bytes_per_s"`
	TxBytesPerS float64 `expr:"tx_bytes_per_s" json:"tx_bytes_per_s"`
}

// TCP counts sockets by state.
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
	Interfaces map[string]Interface `expr:"interfaces" json:"interfaces"`
	TCP        TCP                  `expr:"tcp" json:"tcp"`
}
