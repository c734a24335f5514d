rule "site_down" {
  when = "cpu.pct > 90"
}

maintenance "backup" {
  weekly   = ["sun 02:00-04:00"]
  timezone = "Europe/Berln"
  rules    = ["site_down"]
}

maintenance "abbreviation" {
  weekly   = ["sun 02:00-04:00"]
  timezone = "CET+1"
  rules    = ["site_down"]
}
