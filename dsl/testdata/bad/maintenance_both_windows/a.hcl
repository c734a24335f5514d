rule "site_down" {
  when = "cpu.pct > 90"
}

maintenance "confused" {
  from   = "2026-12-24T22:00:00+01:00"
  until  = "2026-12-25T02:00:00+01:00"
  weekly = ["sun 02:00-04:00"]
  rules  = ["site_down"]
}
