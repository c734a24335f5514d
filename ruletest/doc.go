// Package ruletest runs rule tests: *_test.hcl files that feed probe values to a rules
// directory tick by tick, on a simulated clock, and check what the rules do.
//
// A test file is parsed once (Parse, LoadFile): HCL structure, durations, and the series
// of each input in promtool's notation ("10 60x4 _ 20"). Runner.Run then loads the test's
// rules with the test's env (nothing of the real environment), checks everything that
// needs them (field paths against the schema, rule and notifier names, `at` on a tick),
// and simulates:
//
//	series ──▶ SamplerFunc: one probes.Snapshot per tick (fields set by reflection through
//	           their expr tags; `_` puts the probe in Snapshot.Errors)
//	                │
//	engine.Tick(t0 + i·interval) ──▶ verdicts, lifecycle, chains (the engine's own code)
//	                │
//	chains ──▶ Notify and Exec recorded, never sent or run; wait steps block on the fake
//	           clock, which moves to the next wake-up once every chain is blocked or done
//
// and compares, at each expect tick, the rules' states and what was sent and run during
// that tick, and at the end that nothing else was (expect_nothing_else). A Result holds
// the differences as unified-diff-like lines and the whole timeline. A simulated day at
// 15 s ticks (5,760 ticks) runs in tens of milliseconds.
//
// ResolveField and Field.Set are also what `notimon explain --at-values` uses to turn
// {"cpu.avg3": 72.5} into a snapshot.
package ruletest
