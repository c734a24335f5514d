notifier "console" "ops" {}

locals {
  limit = 50
}

rule "overload" {
  when = "cpu.avg3 > ${local.nope}"
  notify "ops" { message = "cpu high" }
}
