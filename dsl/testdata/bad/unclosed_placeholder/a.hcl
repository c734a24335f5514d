notifier "console" "ops" {}

rule "overload" {
  when = "cpu.avg3 > 50"
  notify "ops" { message = "cpu {{ cpu.avg3 is high" }
}
