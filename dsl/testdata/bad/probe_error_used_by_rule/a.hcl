notifier "console" "ops" {}

probe "http" "site" {
  url = "127.0.0.1:8080/health"
}

# http.site is declared, if badly: the rule is not told it is undeclared
rule "site_down" {
  when = "!http.site.up"
  notify "ops" { message = "site down: {{ http.site.status }}" }
}
