notifier "console" "ops" {}

rule "web_down" {
  when   = "http.site.up == false"
  repeat = "10m"
  labels = { team = "web" }
  notify "ops" { message = "web down{{ rule.acked ? ' (acked by ' + rule.acked_by + ')' : '' }}" }
  exec { command = ["systemctl", "restart", "nginx"] }
  on_resolve {
    notify "ops" { message = "web up{{ rule.silenced ? ' (during a silence)' : '' }}" }
  }
}

probe "http" "site" { url = "http://127.0.0.1:8080/health" }
