// Package engine runs ticks: sample the probes the rules read, evaluate every rule on that
// snapshot, and carry out the steps of the rules that hold.
//
// Time and the probe source are parameters (Tick takes now; the Sampler is injected), so the
// same code serves a cron run, a daemon, recorded-value tests and benchmarks. One rule's
// failure never stops the others: it is reported in its Verdict with the rule's name and
// position, and the tick goes on.
//
// This version evaluates and notifies on every tick where a rule's condition holds; the rule
// lifecycle (for, repeat, clear_when, resolve), exec, wait and renotify, and state that
// survives runs come with the lifecycle work, and are reported as not available until then.
package engine
