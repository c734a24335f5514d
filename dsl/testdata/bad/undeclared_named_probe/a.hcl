notifier "console" "ops" {}

rule "site_down" {
  when = "!http.nope.up"
  notify "ops" { message = "site down" }
}
