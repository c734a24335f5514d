notifier "console" "ops" {}
rule "typo" {
  when = "avg_over(\"cpu.pctt\", \"5m\") > 50"
}
rule "not_a_number" {
  when = "max_over(\"host.name\", \"5m\") > 50"
}
rule "bad_window" {
  when = "rate_over(\"swap.out_per_s\", \"5\") > 50"
}
rule "ok" {
  when = "avg_over(\"cpu.pct\", \"5m\") > 50"
  notify "ops" { message = "5m avg {{ avg_over(\"cpu.pct\", \"5m\") }}, max {{ max_over(\"cpu.pct\", \"1h\") }}, {{ min_over(cpu.pct, \"1h\") }}" }
}
