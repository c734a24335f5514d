notifier "console" "ops" {}

rule "overload" {
  when   = "cpu.avgg > 50"
  repeat = "5 minutes"
  notify "opz" { message = "100% <b>busy</b>" }
}
