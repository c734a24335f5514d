rule "site_down" {
  when = "cpu.pct > 90"
}

maintenance "migration" {
  from  = "2026-12-25T02:00:00+01:00"
  until = "2026-12-24T22:00:00+01:00"
  rules = ["site_down"]
}

maintenance "instant" {
  from  = "2026-12-24T22:00:00+01:00"
  until = "2026-12-24T21:00:00Z"
  rules = ["site_down"]
}
