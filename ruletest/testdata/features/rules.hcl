settings { host = "web-01" }

notifier "console" "ops" {}
notifier "telegram" "tg" {
  token   = env("TOKEN")
  chat_id = 1
}

probe "http" "site" { url = "http://127.0.0.1:8080/health" }

rule "site_down" {
  when = "!http.site.up || http.site.status >= 500"
  for  = "30s"
  notify "tg" { message = "<b>site down</b>: status {{ http.site.status }}, {{ http.site.error }}" }
  exec {
    command = ["systemctl", "restart", "app"]
    on_failure = "stop"
  }
  notify "ops" { message = "never sent when the restart fails" }
  on_resolve {
    notify "ops" { message = "site back after {{ rule.firing_for }}" }
  }
}

rule "disk_full" {
  when       = "any(values(disk), .used_pct > 90)"
  clear_when = "all(values(disk), .used_pct < 85)"
  notify "ops" { message = "disk almost full: {{ join(map(filter(values(disk), .used_pct > 90), .mount), ', ') }}" }
  exec { command = ["/usr/local/bin/cleanup"] }
  notify "ops" { message = "cleanup: {{ exec.ok ? \"done\" : \"failed: \" + exec.error }}" }
  wait { duration = "10m" }
  renotify "ops" { message = "10 minutes after cleanup: {{ disk[\"/\"].used_pct }}%" }
}

rule "load_trend" {
  when   = "avg_over(\"load.avg1\", \"3m\") > 4"
  repeat = "2m"
  notify "ops" { message = "load {{ load.avg1 }}" }
}
