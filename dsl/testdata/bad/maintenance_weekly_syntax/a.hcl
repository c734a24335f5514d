rule "site_down" {
  when = "cpu.pct > 90"
}

maintenance "backup" {
  weekly = [
    "sun 02:00-04:00",
    "mon-fry 12:00-12:30",
    "sat 25:00-26:00",
    "daily",
    "tue 10:00",
    "wed 03:00-03:00",
    "thu 3pm-4pm",
  ]
  rules = ["site_down"]
}
