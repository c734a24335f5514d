notifier "console" "ops" {}

rule "overload" {
  when = "any(values(cpu), # > 50)"
  notify "ops" { message = "cpu high" }
}
