notifier "console" "ops" {}

rule "overload" {
  when   = "cpu.avg3 > 50"
  labels = ["team", "web"]
  notify "ops" { message = "cpu high" }
}
