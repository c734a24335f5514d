notifier "console" "ops" {}

probe "http" "site" { url = "http://127.0.0.1:8080/health" }
probe "http" "api" { url = "https://api.example.com/health" }

rule "site_down" {
  when = "!http.site.up || !http.nope.up"
  notify "ops" { message = "site down" }
}
