// Package probes is the registry of probe kinds and the boundary between the engine and
// the machine: the engine asks a Sampler for the probes its rules reference and gets back
// a Snapshot of typed values (plus one error per probe that could not be read), which
// Schema turns into the environment rules and message placeholders are evaluated against.
//
// Each kind describes itself in its own folder (probes/http.Kind, a spec.Probe: name,
// block attributes, Values type, decoding and sampling); registry.go lists them, one line
// each, and is the only place that names them all. The dsl checks probe blocks against
// those descriptors, Schema builds the expression environment from their Values types, and
// System samples named kinds and simple built-in ones through them.
//
// Data moves one way:
//
//	/proc (an fs.FS) ──▶ probes/<kind> parse and compute ──▶ System.Sample ──▶ Snapshot ──▶ Schema.Env
//	                                   ▲                            │
//	                 System.Restore ───┘                            └──▶ System.State (state store)
//
// Each kind lives in its own package (probes/cpu, probes/mem …) with its descriptor, its
// Values type, its code and recorded /proc fixtures. System is the real Sampler; it reads a
// file only when a referenced probe needs it, and for the built-in kinds it samples itself
// (host, cpu, mem, swap, load, disk, net) shares a read between probes that need the same
// file (stat for cpu, host and load; meminfo for mem and swap). cpu, swap, net and process
// cpu_pct report changes between samples, so System keeps their previous counters; State
// and Restore let a cron run pick up where the previous run stopped. SetInterval (the
// engine calls it with settings.interval) makes every such rate span at least half a tick
// interval, and Peek samples between ticks (a renotify) without moving the readings the
// next tick measures from. A built-in kind that keeps nothing between samples needs none
// of that: its descriptor's Sample reads its files (spec.Builtin).
//
// Tests and `notimon test` replace the machine with a SamplerFunc of recorded values, or
// System with an fs.FS of recorded /proc files and a Wait that does not sleep.
package probes
