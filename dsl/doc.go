// Package dsl turns a rules.d directory of HCL files into a compiled Config.
//
// Two languages meet here. HCL is the static structure, evaluated once: blocks, locals,
// env() and file(), and ${...} interpolation of locals and template text. expr is what runs
// on every tick: each rule's `when` and `clear_when`, and every {{ ... }} placeholder of a
// message, compiled and type-checked at load against the typed probe environment
// (probes.Schema), so that a typo anywhere is a diagnostic, not a broken alert at 3 a.m.
//
// notifier and probe blocks are checked against their kind's descriptor (a spec.Notifier
// from actions.NotifierKinds, a spec.Probe from probes.Kinds): the attributes it declares,
// their types, which are required, which exclude each other; then the kind's own Decode
// refuses what sampling would. dsl has no list of kinds of its own.
//
// Load never stops at the first problem: every decoder returns what it could decode plus
// hcl.Diagnostics, and an expr error is mapped back through the HCL string (escapes, heredoc
// indentation and ${...} interpolations included) so that its file:line:col points at the
// offending token inside the string.
package dsl
