notifier "console" "ops" {}

rule "overload" {
  when = "   "
  notify "ops" { message = "cpu high" }
}
