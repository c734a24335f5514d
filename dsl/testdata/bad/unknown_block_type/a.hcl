notifier "console" "ops" {}

rules "overload" {
  when = "cpu.avg3 > 50"
}
