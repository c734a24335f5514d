notifier "console" "ops" {}
probe "http" "site" { url = "http://127.0.0.1:9/health" }

rule "site" {
  when       = "!http.site.up || (http.site.status >= 500 && http.site.error != \"\")"
  clear_when = "http.site.up && avg_over(\"http.site.latency_ms\", \"5m\") < 200"
  for        = "1m"
  repeat     = "30m"
  notify "ops" { message = "site down: {{ http.site.error }}" }
}
