notifier "console" "ops" {}

rule "overload" {
  when       = "cpu.avg3 > 50"
  clear_when = "  cpu.avg3 - 10  "
  notify "ops" { message = "cpu high" }
}
