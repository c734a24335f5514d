# A site, the database it needs, and the application server behind it: depends_on keeps a
# database outage from paging twice, and max_runs keeps a crashing application from being
# restarted every tick.

probe "tcp" "db" { address = "127.0.0.1:5432" }
probe "http" "site" {
  url     = "http://127.0.0.1:8080/health"
  timeout = "5s"
}
probe "process" "app" { match = "^app-server$" }

rule "db_down" {
  when = "!tcp.db.up"
  notify "ops" { message = "database down: {{ tcp.db.error }}" }
  on_resolve {
    notify "ops" { message = "database back after {{ rule.firing_for }}" }
  }
}

# While db_down fires, a site that cannot reach its database is no news: its notifications
# are held back, and sent when the database is back if the site is still down.
rule "site_down" {
  when       = "!http.site.up"
  depends_on = ["db_down"]
  notify "ops" { message = "site down: {{ http.site.error }}" }
  on_resolve {
    notify "ops" { message = "site back after {{ rule.firing_for }}" }
  }
}

rule "site_slow" {
  when = "http.site.up && http.site.latency_ms > 2000"
  notify "ops" { message = "site slow: {{ http.site.latency_ms }} ms" }
  on_resolve {
    notify "ops" { message = "site fast again after {{ rule.firing_for }}" }
  }
}

# Restarting the application server is safe once in a while; a server that crashes again
# and again needs a person: at most 3 restarts in any hour, then one notice says so.
rule "app_down" {
  when = "process.app.count == 0"
  notify "ops" { message = "app-server is not running; restarting it" }
  exec {
    command  = ["systemctl", "restart", "app-server"]
    timeout  = "30s"
    max_runs = "3 per 1h"
  }
}
