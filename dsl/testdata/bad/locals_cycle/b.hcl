notifier "console" "ops" {}

# uses of the broken locals are not reported again
rule "overload" {
  when = "cpu.avg3 > ${local.d} && mem.real_pct > ${local.e}"
  for  = "${local.a}m"
  notify "ops" { message = "cpu over ${local.d}" }
}
