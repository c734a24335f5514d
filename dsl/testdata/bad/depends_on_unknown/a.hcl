rule "db_down" {
  when = "cpu.pct > 90"
}

rule "site_down" {
  when       = "cpu.pct > 80"
  depends_on = ["db_dwon", "db_down", "db_down", "cache_down"]
}
