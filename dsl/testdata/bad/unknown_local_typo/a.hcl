notifier "console" "ops" {}

locals {
  cpu_limit = 50
  mem_limit = 50
}

rule "overload" {
  when = "cpu.avg3 > ${local.cpu_limt}"
  notify "ops" { message = "cpu over ${local.cpu_limit}%" }
}
