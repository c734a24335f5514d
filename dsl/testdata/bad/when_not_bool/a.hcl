notifier "console" "ops" {}

rule "overload" {
  when = "cpu.avg3 + 1"
  notify "ops" { message = "overload" }
}
