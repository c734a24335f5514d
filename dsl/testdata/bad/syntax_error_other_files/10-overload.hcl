rule "overload" {
  when = "cpu.avg3 > 50"
  notify "ops" { message = "${template.usage}" }
}

rule "typo" {
  when = "mem.real_pct > = 90"
  notify "ops" { message = "memory high" }
}
