rule "site_down" {
  when = "cpu.pct > 90"
}

maintenance "backup" {
  weekly   = ["sun 02:00-04:00"]
  rules    = ["site_down"]
  suppress = ["notify", "exce", "renotify"]
}
