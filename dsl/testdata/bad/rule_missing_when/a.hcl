notifier "console" "ops" {}

rule "overload" {
  for = "2m"
  notify "ops" { message = "cpu high" }
}
