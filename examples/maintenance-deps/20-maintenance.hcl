# The Sunday night backup slows the site down: nobody needs to hear about it. The window is
# in Berlin time whatever the server's zone, and follows daylight saving time.
maintenance "sunday_backup" {
  weekly   = ["sun 02:00-04:00"]
  timezone = "Europe/Berlin"
  rules    = ["site_slow"]
}

# The database migration: the database and the site may go down, and nothing restarts
# anything meanwhile (suppress defaults to ["notify", "exec"]).
maintenance "db_migration" {
  from  = "2026-06-14T22:00:00+02:00"
  until = "2026-06-15T01:00:00+02:00"
  rules = ["db_down", "site_*"]
}
