package dsl

import (
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/notimon/notimon/probes"
)

// Config is a loaded, compiled rules directory. It is immutable once Load returns and may be
// shared by concurrent ticks.
type Config struct {
	Settings  Settings
	Notifiers []*Notifier
	Templates []*Template
	Probes    []*Probe
	// Rules are in dependency order: a rule's depends_on parents come before it, and
	// otherwise rules keep the order of the files.
	Rules []*Rule
	// Maintenance are the maintenance blocks, in file order.
	Maintenance []*Maintenance
	// Server is the server block; nil when there is none (no listener).
	Server *Server

	// Schema is the typed expression environment every program was compiled against.
	Schema *probes.Schema
	// Refs is every probe some rule or message reads, in registry order.
	Refs []probes.Ref
	// Windows are the time windows some rule or message reads, each once.
	Windows []Window
	// Fields are the probe fields some rule or message reads as a whole, sorted: cpu.avg3,
	// net.ports.8080.close_wait, or net.ports when a key is computed (net.ports[p],
	// values(net.ports)) and so every port is read. A probe can leave out what no rule
	// reads: net counts sockets only by the states and ports named here.
	Fields []string
	// Files are the sources, by file name, for rendering diagnostics: their Bytes (the
	// syntax trees are dropped once the configuration is compiled).
	Files map[string]*hcl.File
	// Secrets are the values of the attributes a kind marks secret (a Telegram token, a
	// webhook URL and headers), wherever they came from: Redact hides them.
	Secrets []string
	// SecretEnv names the environment variables secrets were read from (directly, or through
	// a local): exec steps and command probes never see them.
	SecretEnv []string
}

// Redact replaces every secret value in s with "***".
func (c *Config) Redact(s string) string {
	if c == nil {
		return s
	}
	for _, sec := range c.Secrets {
		if len(sec) >= 4 { // shorter "secrets" would mangle ordinary text
			s = strings.ReplaceAll(s, sec, "***")
		}
	}
	return s
}

// Notifier returns the notifier called name, or nil.
func (c *Config) Notifier(name string) *Notifier {
	for _, n := range c.Notifiers {
		if n.Name == name {
			return n
		}
	}
	return nil
}

// Settings is the `settings` block.
type Settings struct {
	Host     string        // "" means the machine's hostname
	Interval time.Duration // daemon tick
	// ChainTimeout bounds how long `run --once` waits for the chains it started.
	ChainTimeout time.Duration
	// OutboxMaxAge is how long an undeliverable notification is kept and retried.
	OutboxMaxAge time.Duration
	// DeliveryBudget bounds the delivery work of one `run --once`, all attempts together.
	DeliveryBudget time.Duration
	// NotifierAlertAfter is how long a notifier may fail, or reloads of the daemon fail,
	// before notimon tells the other notifiers (a self-alert).
	NotifierAlertAfter time.Duration
	Range              hcl.Range
}

// Defaults of the settings block.
const (
	DefaultInterval     = 15 * time.Second
	DefaultChainTimeout = 10 * time.Minute
	DefaultOutboxMaxAge = 24 * time.Hour
	// DefaultDeliveryBudget keeps a cron run well under a minute when a service hangs.
	DefaultDeliveryBudget = 30 * time.Second
	// DefaultNotifierAlertAfter is long enough to ride out a short outage of one service.
	DefaultNotifierAlertAfter = 15 * time.Minute
)

// Notifier is a `notifier "<kind>" "<name>"` block. Attrs holds the decoded attributes by
// name, typed per the kind's attributes, spec.Attr (string, float64, bool, time.Duration,
// map[string]string, []string).
type Notifier struct {
	Kind  string
	Name  string
	Attrs map[string]any
	// Title is the kind's title template (spec.TypeTemplate: an email's subject, an ntfy
	// title), compiled like a message, or its default when the block does not set it; nil
	// for kinds without one.
	Title *Message
	Range hcl.Range

	titleSrc *sourceString
}

// Template is a `template "<name>"` block; its text is spliced into messages with
// ${template.<name>} and may contain {{ }} placeholders.
type Template struct {
	Name  string
	Text  string
	Range hcl.Range
}

// Probe is a `probe "<kind>" ["<name>"]` block: a declaration of a named probe, or the
// tuning of a built-in one.
type Probe struct {
	Ref   probes.Ref
	Attrs map[string]any
	Range hcl.Range
}

// Rule is a `rule "<name>"` block.
type Rule struct {
	Name      string
	When      *Program
	ClearWhen *Program // nil when not given
	For       time.Duration
	Repeat    time.Duration // 0: never
	// Confirm and Window: the rule counts as holding when `when` was true on at least
	// Confirm of the last Window ticks (confirm = "3 of 5"); both 0 when not set.
	Confirm, Window int
	Severity        string
	Labels          map[string]string
	// DependsOn names the rule's parents (depends_on): while one of them fires, this rule's
	// notifications are held back. DependsOnRange is the attribute's value.
	DependsOn      []string
	DependsOnRange hcl.Range
	Fire           []*Step // the fire chain, in source order
	Resolve        []*Step // the on_resolve chain, in source order
	// Refs is every probe the rule's conditions and messages read.
	Refs  []probes.Ref
	Range hcl.Range
}

// DefaultSeverity is a rule's severity when it does not set one.
const DefaultSeverity = "warning"

// StepKind says what a step of an action chain does.
type StepKind int

const (
	StepNotify   StepKind = iota // render the message and send it through Notifier
	StepExec                     // run Command
	StepWait                     // wait Duration
	StepRenotify                 // re-sample the probes the message reads, then send it
)

func (k StepKind) String() string {
	switch k {
	case StepNotify:
		return "notify"
	case StepExec:
		return "exec"
	case StepWait:
		return "wait"
	case StepRenotify:
		return "renotify"
	}
	return "unknown"
}

// Step is one step of an action chain.
type Step struct {
	Kind     StepKind
	Notifier string            // notify, renotify
	Message  *Message          // notify, renotify
	Command  []string          // exec: argv, no shell
	Shell    string            // exec: a /bin/sh -c script, the explicit alternative to Command
	Env      map[string]string // exec: added to the environment
	Timeout  time.Duration     // exec
	// InheritEnv (exec inherit_env = true) passes notimon's whole environment to the
	// command, minus the variables secrets were read from (Config.SecretEnv).
	InheritEnv bool
	// StopOnFailure (exec on_failure = "stop") ends the chain when the command fails;
	// by default the chain continues, so the operator still hears what happened.
	StopOnFailure bool
	// MaxRuns and MaxRunsPer (exec max_runs = "3 per 1h"): once the step has run MaxRuns
	// times within the last MaxRunsPer, it is skipped until the oldest run ages out. Without
	// max_runs: DefaultMaxRuns; both 0 ("unlimited"): no limit.
	MaxRuns    int
	MaxRunsPer time.Duration
	// MaxRunsDefault: the step does not set max_runs; MaxRuns/MaxRunsPer are DefaultMaxRuns.
	MaxRunsDefault bool
	Duration       time.Duration // wait
	Range          hcl.Range
}

// ExecInfo is what messages read as `exec.<field>`: the result of the chain's latest exec
// step (all zero before one ran).
type ExecInfo struct {
	ExitCode  int           `expr:"exit_code" json:"exit_code"`
	Output    string        `expr:"output" json:"output"` // standard output, bounded
	Stderr    string        `expr:"stderr" json:"stderr"` // standard error, bounded
	Error     string        `expr:"error" json:"error"`   // "" when the command succeeded
	Duration  time.Duration `expr:"duration" json:"duration"`
	TimedOut  bool          `expr:"timed_out" json:"timed_out"`
	Command   string        `expr:"command" json:"command"`
	Succeeded bool          `expr:"ok" json:"ok"`
}
