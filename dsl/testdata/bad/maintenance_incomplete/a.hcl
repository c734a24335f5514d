rule "site_down" {
  when = "cpu.pct > 90"
}

maintenance "no_window" {
  rules = ["site_down"]
}

maintenance "half" {
  from  = "2026-12-24T22:00:00+01:00"
  rules = ["site_down"]
}

maintenance "no_rules" {
  weekly = ["sun 02:00-04:00"]
}

maintenance "bad_glob" {
  weekly = ["sun 02:00-04:00"]
  rules  = ["site_[down"]
  labels = {}
}

maintenance "no_window" {
  weekly = "sun 02:00-04:00"
  rules  = ["site_down"]
}
