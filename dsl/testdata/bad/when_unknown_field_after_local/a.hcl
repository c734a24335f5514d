notifier "console" "ops" {}

locals {
  limit = 50
}

rule "overload" {
  when = "cpu.avg3 > ${local.limit} || mem.rael_pct > ${local.limit}"
  notify "ops" { message = "overload" }
}
