notifier "console" "ops" {}

rule "overload" {
  when = "cpu.avg3 > 50"
  wait { duration = "-5s" }
}
