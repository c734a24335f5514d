probe "http" "site" { url = "http://127.0.0.1:8080/health" }

rule "site_down" {
  when = "!http.site.up || http.site.status >= 500"
  for  = "30s"
  notify "stdout" { message = "site down: status {{ http.site.status }}, {{ http.site.error }}" }
  on_resolve {
    notify "stdout" { message = "site back after {{ rule.firing_for }}" }
  }
}
