package metrics

import (
	"sort"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/notimon/notimon/dsl"
	"github.com/notimon/notimon/engine"
	"github.com/notimon/notimon/probes"
)

// sample is one gauge sample whose label pairs are built beforehand: the collector's
// series are mostly per rule and per named probe, whose labels are the same at every
// scrape, so they are built once per configuration (labelsOf) rather than at every scrape
// as prometheus.MustNewConstMetric would; that halves what a scrape allocates.
type sample struct {
	desc   *prometheus.Desc
	labels []*dto.LabelPair // sorted by name, never changed once built
	value  float64
}

func (s *sample) Desc() *prometheus.Desc { return s.desc }

func (s *sample) Write(m *dto.Metric) error {
	v := s.value
	m.Label = s.labels
	m.Gauge = &dto.Gauge{Value: &v}
	return nil
}

// pairs builds label pairs from names and values (name, value, name, value …), sorted by
// name as the exposition wants them.
func pairs(kv ...string) []*dto.LabelPair {
	out := make([]*dto.LabelPair, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		name, value := kv[i], kv[i+1]
		out = append(out, &dto.LabelPair{Name: &name, Value: &value})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].GetName() < out[j].GetName() })
	return out
}

// cfgLabels are the label pairs of one configuration's rules and probes.
type cfgLabels struct {
	rules  []ruleLabels // by index in the configuration's rules
	probes map[probes.Ref]probeLabels
}

type ruleLabels struct {
	name    string
	state   map[engine.State][]*dto.LabelPair // notimon_rule_state, by state
	unknown []*dto.LabelPair                  // notimon_rule_unknown
}

type probeLabels struct {
	sampled []*dto.LabelPair // kind and name: notimon_probe_sampled
	name    []*dto.LabelPair // name, for a named probe's values
}

// ruleLabelsOf builds the label pairs of r's series.
func ruleLabelsOf(r *dsl.Rule) ruleLabels {
	rl := ruleLabels{name: r.Name, state: map[engine.State][]*dto.LabelPair{}, unknown: pairs("rule", r.Name)}
	for _, s := range []engine.State{engine.Inactive, engine.Pending, engine.Firing} {
		rl.state[s] = pairs("rule", r.Name, "severity", r.Severity, "state", s.String())
	}
	return rl
}

// labelsOf builds the label pairs of cfg.
func labelsOf(cfg *dsl.Config) *cfgLabels {
	l := &cfgLabels{probes: map[probes.Ref]probeLabels{}}
	for _, r := range cfg.Rules {
		l.rules = append(l.rules, ruleLabelsOf(r))
	}
	for _, ref := range append([]probes.Ref{{Kind: "host"}}, cfg.Refs...) {
		l.probes[ref] = probeLabels{sampled: pairs("kind", ref.Kind, "name", ref.Name), name: pairs("name", ref.Name)}
	}
	return l
}
