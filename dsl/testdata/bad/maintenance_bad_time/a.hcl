rule "site_down" {
  when = "cpu.pct > 90"
}

maintenance "migration" {
  from  = "2026-12-24 22:00"
  until = "2026-12-25T02:00:00"
  rules = ["site_down"]
}
