notifier "console" "ops" {}

rule "overload" {
  when   = "cpu.avg3 > 50"
  labels = { team = { name = "web" } }
  notify "ops" { message = "cpu high" }
}
