notifier "console" "ops" {}

rule "overload" {
  whn = "cpu.avg3 > 50"
  notify "ops" { message = "cpu high" }
}
