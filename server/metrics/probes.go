package metrics

import (
	"reflect"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/notimon/notimon/probes"
	"github.com/notimon/notimon/probes/command"
	"github.com/notimon/notimon/probes/cpu"
	"github.com/notimon/notimon/probes/disk"
	"github.com/notimon/notimon/probes/fd"
	"github.com/notimon/notimon/probes/file"
	"github.com/notimon/notimon/probes/host"
	"github.com/notimon/notimon/probes/http"
	"github.com/notimon/notimon/probes/load"
	"github.com/notimon/notimon/probes/mem"
	"github.com/notimon/notimon/probes/net"
	"github.com/notimon/notimon/probes/process"
	"github.com/notimon/notimon/probes/swap"
	"github.com/notimon/notimon/probes/tcp"
)

// The naming scheme of probe metrics: notimon_<kind>_<what>_<unit>, in Prometheus's base
// units, as node_exporter names its own: a field in percent becomes a _ratio from 0 to 1
// (÷ 100), milliseconds and days become _seconds, bytes stay _bytes, counts have no unit, a
// boolean is 0 or 1. Map keys become labels (disk: mount; net: interface, state, port), and
// named probes carry their name in the label name. A probe that failed this tick has no
// samples (its values would be zeros, not measurements): notimon_probe_sampled says so.

// familyDoc describes one metric family, for the README and its tests.
type familyDoc struct {
	Name, Type, Help string
	Labels           []string
	// Fields are the probe fields (as rules read them) the family carries; none for the
	// engine's own metrics.
	Fields []string
	Unit   string // how the value relates to the field, when it is not the field itself
}

// docs lists every family this package exports, in the order the README lists them.
var docs []familyDoc

// gauge is one metric family made of one probe field of values of type V.
type gauge[V any] struct {
	desc  *prometheus.Desc
	value func(V) (float64, bool) // false: no sample (the field means nothing this tick)
}

// newGauge declares a gauge family and documents it.
func newGauge[V any](name, help, field, unit string, labels []string, value func(V) (float64, bool)) gauge[V] {
	docs = append(docs, familyDoc{Name: name, Type: "gauge", Help: help, Labels: labels, Fields: []string{field}, Unit: unit})
	return gauge[V]{desc: prometheus.NewDesc(name, help, labels, nil), value: value}
}

// always wraps a field that always has a value.
func always[V any](f func(V) float64) func(V) (float64, bool) {
	return func(v V) (float64, bool) { return f(v), true }
}

func ratio(pct float64) float64  { return pct / 100 }
func seconds(ms float64) float64 { return ms / 1000 }
func b01(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

const (
	unitRatio   = "ratio: the field ÷ 100"
	unitSeconds = "seconds: the field ÷ 1000"
	unitBool    = "1 for true, 0 for false"
)

var (
	nameLabel = []string{"name"}

	hostGauges = []gauge[host.Values]{
		newGauge("notimon_host_uptime_seconds", "Seconds since the machine booted.", "host.uptime_s", "", nil,
			always(func(v host.Values) float64 { return v.UptimeS })),
		newGauge("notimon_host_cores", "Logical CPUs of the machine.", "host.cores", "", nil,
			always(func(v host.Values) float64 { return float64(v.Cores) })),
	}
	cpuGauges = []gauge[cpu.Values]{
		newGauge("notimon_cpu_busy_ratio", "CPU busy over the latest interval, 0 to 1.", "cpu.pct", unitRatio, nil,
			always(func(v cpu.Values) float64 { return ratio(v.Pct) })),
		newGauge("notimon_cpu_busy_avg3_ratio", "CPU busy over the last three intervals, weighted by their length, 0 to 1.", "cpu.avg3", unitRatio, nil,
			always(func(v cpu.Values) float64 { return ratio(v.Avg3) })),
		newGauge("notimon_cpu_iowait_ratio", "CPU time idle waiting for I/O over the latest interval, 0 to 1.", "cpu.iowait_pct", unitRatio, nil,
			always(func(v cpu.Values) float64 { return ratio(v.IOWaitPct) })),
		newGauge("notimon_cpu_steal_ratio", "CPU time stolen by the hypervisor over the latest interval, 0 to 1.", "cpu.steal_pct", unitRatio, nil,
			always(func(v cpu.Values) float64 { return ratio(v.StealPct) })),
	}
	memGauges = []gauge[mem.Values]{
		newGauge("notimon_mem_total_bytes", "Memory of the machine (MemTotal).", "mem.total_bytes", "", nil,
			always(func(v mem.Values) float64 { return v.TotalBytes })),
		newGauge("notimon_mem_available_bytes", "Memory available for new work without swapping (MemAvailable).", "mem.available_bytes", "", nil,
			always(func(v mem.Values) float64 { return v.AvailableBytes })),
		newGauge("notimon_mem_used_bytes", "Memory used, as free's used column.", "mem.used_bytes", "", nil,
			always(func(v mem.Values) float64 { return v.UsedBytes })),
		newGauge("notimon_mem_cache_bytes", "Page cache (Cached).", "mem.cache_bytes", "", nil,
			always(func(v mem.Values) float64 { return v.CacheBytes })),
		newGauge("notimon_mem_buffers_bytes", "Buffers.", "mem.buffers_bytes", "", nil,
			always(func(v mem.Values) float64 { return v.BuffersBytes })),
		newGauge("notimon_mem_free_bytes", "Memory never used at all (MemFree).", "mem.free_bytes", "", nil,
			always(func(v mem.Values) float64 { return v.FreeBytes })),
		newGauge("notimon_mem_shared_bytes", "tmpfs and shared memory (Shmem).", "mem.shared_bytes", "", nil,
			always(func(v mem.Values) float64 { return v.SharedBytes })),
		newGauge("notimon_mem_buff_cache_bytes", "free's buff/cache column: Buffers + Cached + SReclaimable.", "mem.buff_cache_bytes", "", nil,
			always(func(v mem.Values) float64 { return v.BuffCacheBytes })),
		newGauge("notimon_mem_real_used_ratio", "1 − available/total: what free calls used, 0 to 1.", "mem.real_pct", unitRatio, nil,
			always(func(v mem.Values) float64 { return ratio(v.RealPct) })),
		newGauge("notimon_mem_used_ratio", "used/total, 0 to 1.", "mem.used_pct", unitRatio, nil,
			always(func(v mem.Values) float64 { return ratio(v.UsedPct) })),
	}
	swapGauges = []gauge[swap.Values]{
		newGauge("notimon_swap_total_bytes", "Swap space.", "swap.total_bytes", "", nil,
			always(func(v swap.Values) float64 { return v.TotalBytes })),
		newGauge("notimon_swap_used_bytes", "Swap space in use.", "swap.used_bytes", "", nil,
			always(func(v swap.Values) float64 { return v.UsedBytes })),
		newGauge("notimon_swap_used_ratio", "Swap in use, 0 to 1; 0 when there is no swap.", "swap.used_pct", unitRatio, nil,
			always(func(v swap.Values) float64 { return ratio(v.UsedPct) })),
		newGauge("notimon_swap_in_pages_per_second", "Pages swapped in per second since the previous sample.", "swap.in_per_s", "", nil,
			always(func(v swap.Values) float64 { return v.InPerS })),
		newGauge("notimon_swap_out_pages_per_second", "Pages swapped out per second since the previous sample.", "swap.out_per_s", "", nil,
			always(func(v swap.Values) float64 { return v.OutPerS })),
	}
	loadGauges = []gauge[load.Values]{
		newGauge("notimon_load1", "1-minute load average.", "load.avg1", "", nil,
			always(func(v load.Values) float64 { return v.Avg1 })),
		newGauge("notimon_load5", "5-minute load average.", "load.avg5", "", nil,
			always(func(v load.Values) float64 { return v.Avg5 })),
		newGauge("notimon_load15", "15-minute load average.", "load.avg15", "", nil,
			always(func(v load.Values) float64 { return v.Avg15 })),
		newGauge("notimon_load1_per_core", "1-minute load average divided by the logical CPUs.", "load.per_core1", "", nil,
			always(func(v load.Values) float64 { return v.PerCore1 })),
	}
	mountLabel = []string{"mount"}
	diskGauges = []gauge[disk.Values]{
		newGauge("notimon_disk_used_ratio", "Space used as df's Use% counts it (reserved blocks left out), 0 to 1.", "disk.<mount>.used_pct", unitRatio, mountLabel,
			measured(func(v disk.Values) float64 { return ratio(v.UsedPct) })),
		newGauge("notimon_disk_free_bytes", "Space an unprivileged user can still write (df's Avail).", "disk.<mount>.free_bytes", "", mountLabel,
			measured(func(v disk.Values) float64 { return v.FreeBytes })),
		newGauge("notimon_disk_inodes_used_ratio", "Inodes used, 0 to 1; 0 when the file system reports none.", "disk.<mount>.inodes_used_pct", unitRatio, mountLabel,
			measured(func(v disk.Values) float64 { return ratio(v.InodesUsedPct) })),
		newGauge("notimon_disk_error", "1 when the mount could not be measured this tick (its other samples are then absent), else 0.", "disk.<mount>.error", "1 when the field is not empty", mountLabel,
			always(func(v disk.Values) float64 { return b01(v.Error != "") })),
	}
	ifaceLabel  = []string{"interface"}
	ifaceGauges = []gauge[net.Interface]{
		newGauge("notimon_net_receive_bytes_per_second", "Bytes received per second since the previous sample (loopback left out).", "net.interfaces.<interface>.rx_bytes_per_s", "", ifaceLabel,
			always(func(v net.Interface) float64 { return v.RxBytesPerS })),
		newGauge("notimon_net_transmit_bytes_per_second", "Bytes sent per second since the previous sample (loopback left out).", "net.interfaces.<interface>.tx_bytes_per_s", "", ifaceLabel,
			always(func(v net.Interface) float64 { return v.TxBytesPerS })),
	}
	fdGauges = []gauge[fd.Values]{
		newGauge("notimon_fd_used", "File handles in use, system-wide.", "fd.used", "", nil,
			always(func(v fd.Values) float64 { return v.Used })),
		newGauge("notimon_fd_max", "The limit of file handles (fs.file-max).", "fd.max", "", nil,
			always(func(v fd.Values) float64 { return v.Max })),
		newGauge("notimon_fd_used_ratio", "File handles in use ÷ the limit, 0 to 1.", "fd.used_pct", unitRatio, nil,
			always(func(v fd.Values) float64 { return ratio(v.UsedPct) })),
	}
	processGauges = []gauge[process.Values]{
		newGauge("notimon_process_matched", "Processes the probe selects, zombies included.", "process.<name>.count", "", nameLabel,
			always(func(v process.Values) float64 { return v.Count })),
		newGauge("notimon_process_resident_memory_bytes", "Summed resident memory of the processes.", "process.<name>.rss_bytes", "", nameLabel,
			always(func(v process.Values) float64 { return v.RSSBytes })),
		newGauge("notimon_process_cpu_cores", "Summed CPU use of the processes since the previous sample, in cores (1 is one full core).", "process.<name>.cpu_pct", "cores: the field ÷ 100", nameLabel,
			always(func(v process.Values) float64 { return ratio(v.CPUPct) })),
		newGauge("notimon_process_oldest_age_seconds", "How long the longest-running of the processes has been running.", "process.<name>.oldest_age_s", "", nameLabel,
			always(func(v process.Values) float64 { return v.OldestAgeS })),
	}
	httpGauges = []gauge[http.Values]{
		newGauge("notimon_http_up", "1 when a response arrived with a status below 400 (and a matching body when body_match is set).", "http.<name>.up", unitBool, nameLabel,
			always(func(v http.Values) float64 { return b01(v.Up) })),
		newGauge("notimon_http_status_code", "The final response's status code; 0 when no response arrived.", "http.<name>.status", "", nameLabel,
			always(func(v http.Values) float64 { return v.Status })),
		newGauge("notimon_http_latency_seconds", "From sending the request to having read the response, redirects included; 0 when no full response arrived.", "http.<name>.latency_ms", unitSeconds, nameLabel,
			always(func(v http.Values) float64 { return seconds(v.LatencyMs) })),
		newGauge("notimon_http_cert_expiry_seconds", "Seconds until the soonest-expiring leaf certificate expires; absent for plain http and when no certificate was seen.", "http.<name>.cert_days_left", "seconds: the field × 86400", nameLabel,
			func(v http.Values) (float64, bool) { return v.CertDaysLeft * 86400, v.CertDaysLeft != 0 }),
		newGauge("notimon_http_body_matched", "1 when body_match is set and the body matches it.", "http.<name>.body_matched", unitBool, nameLabel,
			always(func(v http.Values) float64 { return b01(v.BodyMatched) })),
	}
	tcpGauges = []gauge[tcp.Values]{
		newGauge("notimon_tcp_up", "1 when the connection was established.", "tcp.<name>.up", unitBool, nameLabel,
			always(func(v tcp.Values) float64 { return b01(v.Up) })),
		newGauge("notimon_tcp_latency_seconds", "Time to connect, name lookup included; 0 when it failed.", "tcp.<name>.latency_ms", unitSeconds, nameLabel,
			always(func(v tcp.Values) float64 { return seconds(v.LatencyMs) })),
	}
	commandGauges = []gauge[command.Values]{
		newGauge("notimon_command_exit_code", "The command's exit status; -1 when it did not exit on its own.", "command.<name>.exit_code", "", nameLabel,
			always(func(v command.Values) float64 { return v.ExitCode })),
		newGauge("notimon_command_value", "The command's output parsed as a number; absent when it is not one.", "command.<name>.value", "", nameLabel,
			func(v command.Values) (float64, bool) { return v.Value, v.Numeric }),
		newGauge("notimon_command_output_numeric", "1 when the command's output is a finite number.", "command.<name>.numeric", unitBool, nameLabel,
			always(func(v command.Values) float64 { return b01(v.Numeric) })),
		newGauge("notimon_command_duration_seconds", "How long the command ran.", "command.<name>.duration_ms", unitSeconds, nameLabel,
			always(func(v command.Values) float64 { return seconds(v.DurationMs) })),
	}
	fileGauges = []gauge[file.Values]{
		newGauge("notimon_file_exists", "1 when the path, symlinks followed, names something.", "file.<name>.exists", unitBool, nameLabel,
			always(func(v file.Values) float64 { return b01(v.Exists) })),
		newGauge("notimon_file_size_bytes", "The file's size; absent when it does not exist.", "file.<name>.size_bytes", "", nameLabel,
			func(v file.Values) (float64, bool) { return v.SizeBytes, v.Exists }),
		newGauge("notimon_file_age_seconds", "Seconds from its last modification to the tick; absent when it does not exist.", "file.<name>.age_s", "", nameLabel,
			func(v file.Values) (float64, bool) { return v.AgeS, v.Exists }),
	}

	// TCP socket counts: one family per table (the whole machine, by local port), the
	// state a label. The states are net.TCP's fields, so a state added there is exported;
	// the net probe counts only the states the rules read, so only those are exported.
	tcpStates    = fieldsOf(reflect.TypeFor[net.TCP]())
	tcpSockets   = newStateFamily("notimon_net_tcp_sockets", "TCP sockets of the machine's network namespace, by state.", "net.tcp.<state>", []string{"state"})
	portSockets  = newStateFamily("notimon_net_port_tcp_sockets", "TCP sockets by local port and state: a server's accepted connections count under its listening port.", "net.ports.<port>.<state>", []string{"port", "state"})
	probeSampled = newFamily("notimon_probe_sampled", "gauge", "1 when the probe was sampled this tick, 0 when it failed (its samples are then absent).", []string{"kind", "name"})
)

// measured is a disk field that means something only when the mount was measured.
func measured(f func(disk.Values) float64) func(disk.Values) (float64, bool) {
	return func(v disk.Values) (float64, bool) { return f(v), v.Error == "" }
}

// stateCount is one field of net.TCP.
type stateCount struct {
	state string
	index int    // in net.TCP
	bit   uint16 // in net.Need.States
}

// fieldsOf lists the expr-tagged fields of net.TCP.
func fieldsOf(t reflect.Type) []stateCount {
	var out []stateCount
	for i := range t.NumField() {
		if tag := t.Field(i).Tag.Get("expr"); tag != "" {
			out = append(out, stateCount{state: tag, index: i, bit: net.NeedOf([]string{"net.tcp." + tag}).States})
		}
	}
	return out
}

func newStateFamily(name, help, field string, labels []string) *prometheus.Desc {
	docs = append(docs, familyDoc{Name: name, Type: "gauge", Help: help, Labels: labels, Fields: []string{field}})
	return prometheus.NewDesc(name, help, labels, nil)
}

// newFamily declares a family the collector fills in itself and documents it.
func newFamily(name, typ, help string, labels []string) *prometheus.Desc {
	docs = append(docs, familyDoc{Name: name, Type: typ, Help: help, Labels: labels})
	return prometheus.NewDesc(name, help, labels, nil)
}

// emit sends the samples of v, labelled with labels.
func emit[V any](ch chan<- prometheus.Metric, gs []gauge[V], v V, labels []*dto.LabelPair) {
	for _, g := range gs {
		if f, ok := g.value(v); ok {
			ch <- &sample{desc: g.desc, labels: labels, value: f}
		}
	}
}

// emitTCP sends the socket counts of t in the states counted (need), labelled with kv and
// the state.
func emitTCP(ch chan<- prometheus.Metric, desc *prometheus.Desc, t net.TCP, need uint16, kv ...string) {
	v := reflect.ValueOf(t)
	for _, s := range tcpStates {
		if need&s.bit != 0 {
			ch <- &sample{desc: desc, labels: pairs(append(kv, "state", s.state)...), value: v.Field(s.index).Float()}
		}
	}
}

// collectProbe sends the samples of the probe ref in snap; need is what net counted, pl
// the probe's labels.
func collectProbe(ch chan<- prometheus.Metric, snap *probes.Snapshot, ref probes.Ref, need net.Need, pl probeLabels) {
	if snap.Err(ref) != nil {
		ch <- &sample{desc: probeSampled, labels: pl.sampled, value: 0}
		return
	}
	ch <- &sample{desc: probeSampled, labels: pl.sampled, value: 1}
	switch v := snap.Get(ref).(type) {
	case host.Values:
		emit(ch, hostGauges, v, nil)
	case cpu.Values:
		emit(ch, cpuGauges, v, nil)
	case mem.Values:
		emit(ch, memGauges, v, nil)
	case swap.Values:
		emit(ch, swapGauges, v, nil)
	case load.Values:
		emit(ch, loadGauges, v, nil)
	case map[string]disk.Values:
		for mount, d := range v {
			emit(ch, diskGauges, d, pairs("mount", mount))
		}
	case net.Values:
		for name, iface := range v.Interfaces {
			emit(ch, ifaceGauges, iface, pairs("interface", name))
		}
		emitTCP(ch, tcpSockets, v.TCP, need.States)
		for port, t := range v.Ports {
			emitTCP(ch, portSockets, t, need.States, "port", port)
		}
	case fd.Values:
		emit(ch, fdGauges, v, nil)
	case process.Values:
		emit(ch, processGauges, v, pl.name)
	case http.Values:
		emit(ch, httpGauges, v, pl.name)
	case tcp.Values:
		emit(ch, tcpGauges, v, pl.name)
	case command.Values:
		emit(ch, commandGauges, v, pl.name)
	case file.Values:
		emit(ch, fileGauges, v, pl.name)
	}
}

// describeProbes sends the descriptions of every probe family.
func describeProbes(ch chan<- *prometheus.Desc) {
	describe(ch, hostGauges)
	describe(ch, cpuGauges)
	describe(ch, memGauges)
	describe(ch, swapGauges)
	describe(ch, loadGauges)
	describe(ch, diskGauges)
	describe(ch, ifaceGauges)
	describe(ch, fdGauges)
	describe(ch, processGauges)
	describe(ch, httpGauges)
	describe(ch, tcpGauges)
	describe(ch, commandGauges)
	describe(ch, fileGauges)
	ch <- tcpSockets
	ch <- portSockets
	ch <- probeSampled
}

func describe[V any](ch chan<- *prometheus.Desc, gs []gauge[V]) {
	for _, g := range gs {
		ch <- g.desc
	}
}
