notifier "slak" "ops" {
  url = "https://hooks.slack.com/services/x"
}

# the notifier's own error is enough: no "unknown notifier" for this step
rule "overload" {
  when = "cpu.avg3 > 50"
  notify "ops" { message = "cpu high" }
}
