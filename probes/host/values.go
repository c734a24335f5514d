package host

// Values is what rules and messages read as `host.<field>`.
type Values struct {
	Name    string  `expr:"name" json:"name"`         // settings.host, else the machine's hostname
	UptimeS float64 `expr:"uptime_s" json:"uptime_s"` // seconds since boot
	Cores   int     `expr:"cores" json:"cores"`       // logical CPUs
}
