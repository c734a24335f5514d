# examples/fleet/00-fleet.hcl: what one host of a fleet adds to its rules.d. Every host
# runs notimon with the same files; Prometheus scrapes each one (prometheus.yml), and each
# sends its alerts to the one Alertmanager cluster (alertmanager.yml), which routes,
# groups and deduplicates them. README, "Many servers".

# /metrics, the status page and the API, for Prometheus and for people. Listening beyond
# loopback needs htpasswd_file (bcrypt entries: htpasswd -B). Put the file where the
# service can read it, e.g. htpasswd_file = "/etc/notimon/htpasswd"; a relative path is
# read from this file's directory.
server {
  listen        = "0.0.0.0:9798"
  htpasswd_file = "htpasswd"
}

# Every member of the Alertmanager cluster: each gets every alert (they do not share
# alerts), and an alert is delivered when one of them takes it. While a rule fires, its
# alert is sent again every resend_delay, so Alertmanager never times it out.
notifier "alertmanager" "fleet" {
  urls = [
    "http://alertmanager-1.internal:9093",
    "http://alertmanager-2.internal:9093",
    "http://alertmanager-3.internal:9093",
  ]
  timeout      = "5s" # per member: a member that does not answer costs each delivery this
  resend_delay = "1m" # the default; keep it well below Alertmanager's resolve_timeout (5m)
}

# Labels become Alertmanager labels: route on them (alertmanager.yml routes team = "ops"
# to the ops receiver). Every alert also has alertname (the rule), instance (the host name)
# and severity.
rule "root_disk_full" {
  when     = "disk[\"/\"].used_pct > 90"
  for      = "5m"
  severity = "critical"
  labels   = { team = "ops" }
  notify "fleet" {
    message = <<-EOT
      {{ host.name }}: / is {{ disk["/"].used_pct }}% full
      free: {{ disk["/"].free_bytes / 1e9 }} GB
    EOT
  }
  on_resolve {
    notify "fleet" { message = "{{ host.name }}: / is back to {{ disk[\"/\"].used_pct }}% full" }
  }
}
