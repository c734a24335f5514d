notifier "console" "ops" {}

rule "disk_full" {
  when       = "any(values(disk), .used_pct > 90)"
  clear_when = "all(values(disk), .usedpct < 85)"
  notify "ops" { message = "disk almost full" }
}
