# examples/20-services.hcl — the services part of the DESIGN reference example.
# Copy it into rules.d next to 00-notimon.hcl once the probes point at real services:
# shipped as is, it would report a site that this machine does not run.
probe "process" "httpd" { match = "^httpd$" } # by name, regular expression
probe "http" "site" {
  url     = "http://127.0.0.1:8080/health" # http and https only: file://, gopher:// … are refused
  timeout = "3s"
}
probe "tcp" "db" { address = "127.0.0.1:5432" }
probe "command" "queue" {
  command = ["/usr/local/bin/queue-depth"]
  timeout = "5s"
}
probe "file" "applog" { path = "/var/log/app.log" }

rule "site_down" {
  when = "!http.site.up || http.site.status >= 500"
  for  = "30s"
  notify "ops" { message = "site down: status {{ http.site.status }}, {{ http.site.error }}" }
}

rule "disk_full" {
  when       = "any(values(disk), .used_pct > 90)"
  clear_when = "all(values(disk), .used_pct < 85)" # hysteresis: stays firing until this holds
  notify "ops" { message = "disk almost full: {{ join(map(filter(values(disk), .used_pct > 90), .mount), ', ') }}" }
}
