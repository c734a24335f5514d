notifier "console" "ops" {}

rule "disk_full" {
  when = "any(values(disk), .used_pct > 90)"
  notify "ops" { message = "full: {{ join(map(filter(values(disk), .used_pct > 90), .mountpoint), ', ') }}" }
}
