// Package metrics exposes what notimon sees and does in the Prometheus exposition format:
// every numeric probe field the rules read, the rules' states, tick durations, deliveries,
// the outbox and reloads (README, "Metrics", lists them all).
//
// Data flow: the engine calls the hooks of Observer (engine.Options.Observer) after each
// tick, delivery attempt and reload. A tick's hook only keeps a pointer to its report;
// probe values and rule states are turned into samples when someone asks, by a custom
// Collector reading that latest report (no per-tick registry churn), and the outbox is read
// from the state directory then too. Deliveries, reloads and tick durations are ordinary
// client_golang counters and histograms. Handler serves the registry over HTTP (the
// server mounts it at /metrics); WriteTextfile writes the same families for node_exporter's
// textfile collector (`notimon run --once --metrics-file`).
package metrics
