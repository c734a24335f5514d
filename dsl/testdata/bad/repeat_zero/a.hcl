notifier "console" "ops" {}

rule "overload" {
  when   = "cpu.avg3 > 50"
  repeat = "0s"
  notify "ops" { message = "cpu high" }
}
