// Package engine runs ticks: sample the probes the rules read, evaluate every rule on that
// snapshot, move each rule through its lifecycle, and carry out the chains the transitions
// call for.
//
// Time and the probe source are parameters (Tick takes now; the Sampler, clock, the wait
// steps' SleepUntil and the command runner are injected), so the same code serves a cron
// run, the daemon, recorded-value tests, `notimon test` and benchmarks. One rule's failure
// never stops the others: it is reported in its Verdict with the rule's name and position,
// and the tick goes on; a failed step is a *StepError in Errs.
//
// The engine owns its run protocols. RunOnce is a cron run: one tick, its chains within
// settings.chain_timeout, the outbox, the state saved (run.go). RunDaemon ticks every
// interval, reloads the rules when RuleSource finds they changed (rules.go; the last
// reload's outcome is kept in the state), and ends like RunOnce (daemon.go). WaitIdle says
// when every chain waits or is done (idle.go): `notimon test` moves its simulated clock
// then. Outlook reads a transition for `notimon explain` (lifecycle.go).
//
// Data flow: Tick → Evaluate (conditions in batches) → next (the lifecycle, lifecycle.go)
// → chains queued per rule (chain.go), run in the background with their cursor saved at
// every step → notify steps write to the outbox of the state directory (deliver.go), and
// one background loop delivers it, in order per notifier. persist.go keeps rule states,
// cursors, probe counters and time-window history in engine/store between runs.
//
// Operators talk back through suppress.go: each tick reads the silences and acks of
// engine/control (Options.Control), and one list of suppressors decides what is held back
// for a rule. Held-back notify steps are logged and counted in the rule's state (Held); once
// nothing holds the firing rule back, one catch-up chain (ChainCatchUp) says so. An ack of
// the current incident skips its repeats and is cleared when the rule resolves.
package engine
