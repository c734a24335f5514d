notifier "console" "ops" {}

rule "overload" {
  when   = "cpu.avg3 > 50"
  repeat = "1d"
  notify "ops" { message = "cpu high" }
}
