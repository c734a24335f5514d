notifier "console" "ops" {}

rule "overload" {
  when = "cpu.avg3 > 50"
  for  = "5"
  notify "ops" { message = "cpu high" }
}
