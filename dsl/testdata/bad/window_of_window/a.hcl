# A window's field is a probe field, not another window: the inner window would never be
# computed (only windows written in conditions and messages are), so the outer one would
# never read a value of it. It is refused where it is written.
rule "nested" {
  when = "avg_over(\"avg_over(\\\"cpu.pct\\\", \\\"1m\\\")\", \"5m\") > 50"
}
