rule "site_down" {
  when = "cpu.pct > 90"
}

maintenance "backup" {
  weekly = ["sun 02:00-04:00"]
  rules  = ["site_*", "sites_down", "db_*"]
}

maintenance "migration" {
  from     = "2026-12-24T22:00:00+01:00"
  until    = "2026-12-25T02:00:00+01:00"
  timezone = "Europe/Berlin"
  rules    = ["site_down"]
}
