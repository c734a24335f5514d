// Package spec holds what a probe kind or a notifier kind tells the rest of notimon about
// itself: one descriptor per kind, declared in the kind's own folder (probes/http.Kind,
// actions/notify/telegram.Kind) and listed once in a registry (probes/registry.go,
// actions/registry.go).
//
//	probes/<kind>, actions/notify/<kind> ──Kind (a spec.Probe or spec.Notifier)──▶ registry
//	     registry ──▶ dsl: checks each block's attributes against the Block (types,
//	                  required, one-of), then asks Decode what only the kind can check
//	     registry ──▶ probes.System and the engine: construct and sample, or build a notifier
//
// A descriptor says: the kind's name, its block's attributes (Block, checked and typed by
// the dsl), how the decoded attributes become the kind's typed Config, and how the kind is
// constructed (a probe's Sample, a notifier's New and Escape). Each kind's attributes are
// declared once, in its Block; the decoding helpers here (Block.Each, As, Duration) refuse an
// attribute the Block does not declare, so the list cannot drift from the decoding.
//
// spec imports only actions/notify (the Notifier contract) and the standard library, so
// every kind folder can import it without an arrow pointing up.
package spec
