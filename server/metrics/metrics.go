package metrics

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/expfmt"

	"github.com/notimon/notimon/dsl"
	"github.com/notimon/notimon/engine"
	"github.com/notimon/notimon/engine/store"
	"github.com/notimon/notimon/probes"
	"github.com/notimon/notimon/probes/net"
)

// Options configure New.
type Options struct {
	// Version and Revision are notimon's, for notimon_build_info.
	Version, Revision string
	// Outbox lists the messages waiting in the outbox (store.Store.Pending); nil: no outbox
	// metrics (no state directory).
	Outbox func() ([]store.Entry, error)
	// Now ages the outbox's oldest messages; nil: time.Now.
	Now    func() time.Time
	Logger *slog.Logger // scrape errors; nil: discard
}

// Metrics is notimon's registry. Its Observer feeds it from an engine.
type Metrics struct {
	opts Options
	log  *slog.Logger
	// reg holds notimon's own families: what the textfile carries. The handler serves it
	// and the Go runtime's (go_*), which node_exporter has already and would refuse from a
	// textfile. The process collector (process_*) is left out: it reads six /proc files,
	// /proc/self/net/netstat among them, which was a quarter of a scrape's time.
	reg  *prometheus.Registry
	full *prometheus.Registry

	last atomic.Pointer[tick] // the latest tick, read at scrape time

	ticks          prometheus.Histogram
	deliveries     *prometheus.CounterVec
	reloadOK       prometheus.Gauge
	reloadSuccess  prometheus.Gauge
	reloadFailures prometheus.Counter

	mu      sync.Mutex  // guards what follows
	seen    *dsl.Config // the configuration of the latest tick
	netNeed net.Need    // what net counts for it
	labels  *cfgLabels  // its label pairs
}

// tick is what the collector reads of the latest tick.
type tick struct {
	cfg     *dsl.Config
	rep     *engine.Report
	netNeed net.Need
	labels  *cfgLabels
}

// Engine families the collector fills in at scrape time.
var (
	ruleState = newFamily("notimon_rule_state", "gauge",
		"Always 1, one series per rule, labelled with its current lifecycle state (inactive, pending, firing), like Prometheus's ALERTS.", []string{"rule", "severity", "state"})
	ruleUnknown = newFamily("notimon_rule_unknown", "gauge",
		"1 when the rule could not be evaluated on the latest tick (a probe it reads failed, or its condition did not evaluate), else 0.", []string{"rule"})
	lastTick = newFamily("notimon_last_tick_timestamp_seconds", "gauge",
		"When the latest tick ran, in seconds since the epoch: a stale value means a stuck daemon or a cron job that no longer runs.", nil)
	outboxDepth = newFamily("notimon_outbox_messages", "gauge",
		"Messages waiting in the outbox for the notifier.", []string{"notifier"})
	outboxAge = newFamily("notimon_outbox_oldest_message_age_seconds", "gauge",
		"Age of the notifier's oldest message waiting in the outbox; 0 when none waits.", []string{"notifier"})
)

// Names of the families made with client_golang's own types.
const (
	tickDuration        = "notimon_tick_duration_seconds"
	deliveriesTotal     = "notimon_deliveries_total"
	reloadOKName        = "notimon_config_last_reload_successful"
	reloadSuccessName   = "notimon_config_last_reload_success_timestamp_seconds"
	reloadFailuresTotal = "notimon_config_reload_failures_total"
	buildInfo           = "notimon_build_info"
)

const (
	tickHelp       = "How long ticks took: sampling the probes, evaluating the rules, starting chains, saving the state."
	deliveriesHelp = "Delivery attempts by notifier and outcome: delivered, failed (an outage; retried, later messages wait), refused (the message was refused; retried), dropped (removed undelivered: too old, notifier gone)."
	reloadOKHelp   = "1 when the latest reload of the rules succeeded (or the daemon started with them), 0 when it failed and the previous rules keep running."
	reloadTimeHelp = "When the rules were last loaded successfully, in seconds since the epoch."
	reloadFailHelp = "Reloads that failed (the previous rules kept running)."
	buildHelp      = "Always 1; the labels say which notimon this is."
)

// tickBuckets cover a quick tick (a millisecond) to one waiting on slow probes (timeouts of
// seconds).
var tickBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}

func init() {
	docs = append(docs,
		familyDoc{Name: tickDuration, Type: "histogram", Help: tickHelp},
		familyDoc{Name: deliveriesTotal, Type: "counter", Help: deliveriesHelp, Labels: []string{"notifier", "outcome"}},
		familyDoc{Name: reloadOKName, Type: "gauge", Help: reloadOKHelp},
		familyDoc{Name: reloadSuccessName, Type: "gauge", Help: reloadTimeHelp},
		familyDoc{Name: reloadFailuresTotal, Type: "counter", Help: reloadFailHelp},
		familyDoc{Name: buildInfo, Type: "gauge", Help: buildHelp, Labels: []string{"version", "revision", "goversion"}},
	)
}

// outcomes are every engine.DeliveryOutcome, so each notifier's counters start at 0.
var outcomes = []engine.DeliveryOutcome{engine.Delivered, engine.DeliveryFailed, engine.DeliveryRefused, engine.DeliveryDropped}

// New builds an empty registry: probe values and rule states appear after the first tick.
func New(o Options) *Metrics {
	if o.Now == nil {
		o.Now = time.Now
	}
	m := &Metrics{opts: o, log: o.Logger, reg: prometheus.NewRegistry(), full: prometheus.NewRegistry()}
	if m.log == nil {
		m.log = slog.New(slog.DiscardHandler)
	}
	m.ticks = prometheus.NewHistogram(prometheus.HistogramOpts{Name: tickDuration, Help: tickHelp, Buckets: tickBuckets})
	m.deliveries = prometheus.NewCounterVec(prometheus.CounterOpts{Name: deliveriesTotal, Help: deliveriesHelp}, []string{"notifier", "outcome"})
	m.reloadOK = prometheus.NewGauge(prometheus.GaugeOpts{Name: reloadOKName, Help: reloadOKHelp})
	m.reloadSuccess = prometheus.NewGauge(prometheus.GaugeOpts{Name: reloadSuccessName, Help: reloadTimeHelp})
	m.reloadFailures = prometheus.NewCounter(prometheus.CounterOpts{Name: reloadFailuresTotal, Help: reloadFailHelp})
	build := prometheus.NewGauge(prometheus.GaugeOpts{Name: buildInfo, Help: buildHelp,
		ConstLabels: prometheus.Labels{"version": o.Version, "revision": o.Revision, "goversion": runtime.Version()}})
	build.Set(1)
	own := []prometheus.Collector{(*collector)(m), m.ticks, m.deliveries, m.reloadOK, m.reloadSuccess, m.reloadFailures, build}
	m.reg.MustRegister(own...)
	m.full.MustRegister(own...)
	m.full.MustRegister(collectors.NewGoCollector())
	return m
}

// Observer returns the hooks to put in engine.Options.Observer.
func (m *Metrics) Observer() engine.Observer {
	return engine.Observer{Tick: m.ticked, Delivery: m.delivered, Reload: m.reloaded}
}

// Loaded records that the rules were loaded successfully at t (the daemon's start): a
// reload's outcome is recorded by Observer.
func (m *Metrics) Loaded(t time.Time) {
	m.reloadOK.Set(1)
	m.reloadSuccess.Set(float64(t.UnixNano()) / 1e9)
}

func (m *Metrics) ticked(cfg *dsl.Config, rep *engine.Report, took time.Duration) {
	m.ticks.Observe(took.Seconds())
	m.mu.Lock()
	if m.seen != cfg {
		// A configuration not seen before: its notifiers' counters start at 0, so that
		// rate() and increase() see their first delivery.
		m.seen, m.netNeed, m.labels = cfg, net.NeedOf(cfg.Fields), labelsOf(cfg)
		for _, n := range cfg.Notifiers {
			for _, o := range outcomes {
				m.deliveries.WithLabelValues(n.Name, string(o))
			}
		}
	}
	t := &tick{cfg: cfg, rep: rep, netNeed: m.netNeed, labels: m.labels}
	m.mu.Unlock()
	m.last.Store(t)
}

func (m *Metrics) delivered(notifier string, outcome engine.DeliveryOutcome) {
	m.deliveries.WithLabelValues(notifier, string(outcome)).Inc()
}

func (m *Metrics) reloaded(s engine.ReloadStatus) {
	if !s.OK {
		m.reloadOK.Set(0)
		m.reloadFailures.Inc()
		return
	}
	m.Loaded(s.Time)
}

// collector turns the latest tick and the outbox into samples when the registry is
// gathered.
type collector Metrics

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	describeProbes(ch)
	for _, d := range []*prometheus.Desc{ruleState, ruleUnknown, lastTick, outboxDepth, outboxAge} {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	t := c.last.Load()
	if t != nil {
		rep := t.rep
		ch <- prometheus.MustNewConstMetric(lastTick, prometheus.GaugeValue, float64(rep.Time.UnixNano())/1e9)
		if rep.Snapshot != nil {
			for _, ref := range t.cfg.Refs {
				collectProbe(ch, rep.Snapshot, ref, t.netNeed, t.labels.probes[ref])
			}
			if host := (probes.Ref{Kind: "host"}); !hasRef(t.cfg.Refs, host) {
				collectProbe(ch, rep.Snapshot, host, t.netNeed, t.labels.probes[host]) // sampled on every tick
			}
		}
		for i, v := range rep.Verdicts {
			// The verdicts are in the order of the configuration's rules; should that ever
			// change, the labels are built here instead.
			var rl ruleLabels
			if i < len(t.labels.rules) && t.labels.rules[i].name == v.Rule.Name {
				rl = t.labels.rules[i]
			} else {
				rl = ruleLabelsOf(v.Rule)
			}
			ch <- &sample{desc: ruleState, labels: rl.state[v.State], value: 1}
			ch <- &sample{desc: ruleUnknown, labels: rl.unknown, value: b01(v.Err != nil)}
		}
	}
	c.collectOutbox(ch, t)
}

func hasRef(refs []probes.Ref, r probes.Ref) bool {
	for _, x := range refs {
		if x == r {
			return true
		}
	}
	return false
}

// collectOutbox sends the outbox's depth and oldest age per notifier: every notifier of the
// latest configuration, and any other that still has messages waiting.
func (c *collector) collectOutbox(ch chan<- prometheus.Metric, t *tick) {
	if c.opts.Outbox == nil {
		return
	}
	entries, err := c.opts.Outbox()
	if err != nil {
		c.log.Warn("metrics: cannot read the outbox", "err", err)
		ch <- prometheus.NewInvalidMetric(outboxDepth, fmt.Errorf("reading the outbox: %w", err))
		return
	}
	type queue struct {
		n      int
		oldest time.Time
	}
	queues := map[string]*queue{}
	if t != nil {
		for _, n := range t.cfg.Notifiers {
			queues[n.Name] = &queue{}
		}
	}
	for _, e := range entries {
		q := queues[e.Notifier]
		if q == nil {
			q = &queue{}
			queues[e.Notifier] = q
		}
		q.n++
		if q.oldest.IsZero() || e.Created.Before(q.oldest) {
			q.oldest = e.Created
		}
	}
	now := c.opts.Now()
	for name, q := range queues {
		age := 0.0
		if !q.oldest.IsZero() {
			age = max(now.Sub(q.oldest).Seconds(), 0)
		}
		ch <- prometheus.MustNewConstMetric(outboxDepth, prometheus.GaugeValue, float64(q.n), name)
		ch <- prometheus.MustNewConstMetric(outboxAge, prometheus.GaugeValue, age, name)
	}
}

// Handler serves the metrics in the format the scraper asks for (the text format, or
// OpenMetrics), with the Go runtime's. A family that cannot be collected (an unreadable
// outbox) is left out and logged; the others are served. Responses are not compressed:
// gzip made a scrape of 100 rules cost half as much again in CPU time to save 30 KB.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.full, promhttp.HandlerOpts{
		ErrorLog:           slogPrinter{m.log},
		ErrorHandling:      promhttp.ContinueOnError,
		EnableOpenMetrics:  true,
		DisableCompression: true,
	})
}

type slogPrinter struct{ log *slog.Logger }

func (p slogPrinter) Println(v ...any) { p.log.Warn("metrics: " + fmt.Sprint(v...)) }

// WriteTextfile writes notimon's families (not go_* and process_*, which node_exporter has)
// to path in the text format, for node_exporter's textfile collector
// (--collector.textfile.directory): atomically, through a temporary file in the same
// directory renamed over path, so the collector never reads half a file, with mode 0644.
// When a family cannot be collected the others are still written, and the error says
// which.
func (m *Metrics) WriteTextfile(path string) error {
	mfs, gatherErr := m.reg.Gather()
	var buf bytes.Buffer
	enc := expfmt.NewEncoder(&buf, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			return fmt.Errorf("metrics file %s: %w", path, err)
		}
	}
	if err := writeAtomic(path, buf.Bytes()); err != nil {
		return fmt.Errorf("metrics file %s: %w", path, err)
	}
	if gatherErr != nil {
		return fmt.Errorf("metrics file %s: written without what could not be collected: %w", path, gatherErr)
	}
	return nil
}

// writeAtomic writes data to path through a temporary file of the same directory, renamed
// over path once complete and synced, with mode 0644.
func writeAtomic(path string, data []byte) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	// The textfile collector reads *.prom only: the temporary name does not end so.
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			os.Remove(f.Name())
		}
	}()
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return err
	}
	if d, err := os.Open(dir); err == nil {
		// The rename is durable once the directory is synced; a failure here loses
		// nothing the next run does not write again.
		_ = errors.Join(d.Sync(), d.Close())
	}
	return nil
}
