# Tests of the rules of this directory. Run them with: notimon test examples
# tcp.db.up and http.site.up are 1 (up) or 0 (down).

test "depends_on: the database going down pages once; the site speaks when the database is back and it is still down" {
  interval = "1m"
  only     = ["db_down", "site_down"]

  input "tcp.db.up" { values = "1 0x2 1x2" }    # down from 1m to 3m
  input "http.site.up" { values = "1 0x3 1x1" } # down from 1m to 4m
  input "tcp.db.error" { values = ["", "connection refused", "connection refused", "connection refused", "", "", ""] }
  input "http.site.error" { values = ["", "status 502", "status 502", "status 502", "status 503", "", ""] }

  expect {
    at     = "1m" # both start firing: db_down is evaluated first, so only it notifies
    firing = ["db_down", "site_down"]
    notify "ops" { text = "database down: connection refused" }
    suppressed "ops" { rule = "site_down" }
  }
  expect {
    at     = "3m"
    firing = ["db_down", "site_down"]
  }
  expect {
    at       = "4m" # the database is back, the site still down: it speaks now
    firing   = ["site_down"]
    resolved = ["db_down"]
    notify "ops" { text = "database back after 3m0s" }
    notify "ops" {
      rule = "site_down"
      text = "still firing after db_down resolved\nsite down: status 503"
    }
  }
  expect {
    at       = "5m"
    resolved = ["site_down"]
    notify "ops" { text = "site back after 4m0s" }
  }
}

test "depends_on: a site down on its own pages; a site down only while the database is says nothing" {
  interval = "1m"
  only     = ["db_down", "site_down"]

  input "tcp.db.up" { values = "1x3 0x1 1" }        # down at 4m and 5m
  input "http.site.up" { values = "1 0 1x1 0 1x1" } # down at 1m, and at 4m with the database
  input "http.site.error" { values = ["", "timeout", "", "", "connection refused", ""] }
  input "tcp.db.error" { values = ["", "", "", "", "timeout", "timeout", ""] }

  expect {
    at     = "1m"
    firing = ["site_down"]
    notify "ops" { text = "site down: timeout" }
  }
  expect {
    at       = "2m"
    resolved = ["site_down"]
    notify "ops" { text = "site back after 1m0s" }
  }
  expect {
    at     = "4m"
    firing = ["db_down", "site_down"]
    notify "ops" { text = "database down: timeout" }
    suppressed "ops" { rule = "site_down" }
  }
  expect {
    at       = "5m" # the site recovered before the database: its outage was never announced, nor is its end
    firing   = ["db_down"]
    resolved = ["site_down"]
  }
  expect {
    at       = "6m"
    resolved = ["db_down"]
    notify "ops" { text = "database back after 2m0s" }
  }
}

# 29 March 2026: at 02:00 CET the clocks in Berlin jump to 03:00 CEST. The window
# "sun 02:00-04:00" opens at the jump (01:00 UTC) and closes at 04:00 CEST (02:00 UTC).
test "maintenance: the Sunday window on the spring DST change in Europe/Berlin" {
  interval = "15m"
  start    = "2026-03-29T00:00:00+01:00" # tick 0 is midnight in Berlin
  only     = ["site_slow"]

  input "http.site.up" { values = "1x16" }
  # Slow at 01:45 CET (before the window), then from 03:15 to 04:15 CEST (in it, and after).
  input "http.site.latency_ms" { values = "100x6 3000 100 3000x4 100x2" }

  expect {
    at     = "1h45m" # 01:45 CET: no window yet
    firing = ["site_slow"]
    notify "ops" { text = "site slow: 3000 ms" }
  }
  expect {
    at       = "2h" # 03:00 CEST: the window is open, but this incident was announced
    resolved = ["site_slow"]
    notify "ops" { text = "site fast again after 15m0s" }
  }
  expect {
    at     = "2h15m" # 03:15 CEST: in the window, nothing is sent
    firing = ["site_slow"]
    suppressed "ops" { rule = "site_slow" }
  }
  expect {
    at     = "2h45m" # 03:45 CEST
    firing = ["site_slow"]
  }
  expect {
    at     = "3h" # 04:00 CEST: the window closed, the site is still slow
    firing = ["site_slow"]
    notify "ops" { text = "still firing after the maintenance window \"sunday_backup\"\nsite slow: 3000 ms" }
  }
  expect {
    at       = "3h30m"
    resolved = ["site_slow"]
    notify "ops" { text = "site fast again after 1h15m0s" }
  }
}

# 25 October 2026: at 03:00 CEST the clocks in Berlin go back to 02:00 CET, so 02:00-03:00
# happens twice. The window opens at the first 02:00 (00:00 UTC) and closes at 04:00 CET
# (03:00 UTC): three hours, the repeated hour included.
test "maintenance: the Sunday window on the autumn DST change in Europe/Berlin" {
  interval = "15m"
  start    = "2026-10-25T00:00:00+02:00" # tick 0 is midnight in Berlin
  only     = ["site_slow"]

  input "http.site.up" { values = "1x24" }
  # Slow at 01:45 CEST (before the window), then from 02:15 CEST to 04:00 CET.
  input "http.site.latency_ms" { values = "100x6 3000 100 3000x11 100x3" }

  expect {
    at     = "1h45m" # 01:45 CEST
    firing = ["site_slow"]
    notify "ops" { text = "site slow: 3000 ms" }
  }
  expect {
    at       = "2h" # 02:00 CEST, the window opens; the announced incident's end is sent
    resolved = ["site_slow"]
    notify "ops" { text = "site fast again after 15m0s" }
  }
  expect {
    at     = "2h15m" # 02:15 CEST: in the window
    firing = ["site_slow"]
    suppressed "ops" { rule = "site_slow" }
  }
  expect {
    at     = "3h15m" # 02:15 CET, the second time the clock shows it: still in the window
    firing = ["site_slow"]
  }
  expect {
    at     = "4h45m" # 03:45 CET
    firing = ["site_slow"]
  }
  expect {
    at     = "5h" # 04:00 CET: closed
    firing = ["site_slow"]
    notify "ops" { text = "still firing after the maintenance window \"sunday_backup\"\nsite slow: 3000 ms" }
  }
  expect {
    at       = "5h15m"
    resolved = ["site_slow"]
    notify "ops" { text = "site fast again after 3h0m0s" }
  }
}

test "maintenance: the one-off database migration holds back both outages, and a site still down after it speaks" {
  interval = "30m"
  start    = "2026-06-14T21:00:00+02:00"
  only     = ["db_down", "site_down"]

  input "tcp.db.up" { values = "1x1 0x1 1x5" }  # down at 22:00 and 22:30
  input "http.site.up" { values = "1x1 0x6 1" } # down from 22:00, still at 01:00
  input "tcp.db.error" { values = ["", "", "migrating", "migrating", "", "", "", "", "", ""] }
  input "http.site.error" { values = ["", "", "status 503", "status 503", "status 503", "status 503", "status 503", "status 503", "status 503", ""] }

  expect {
    at     = "1h" # 22:00, the window opens: nothing is sent
    firing = ["db_down", "site_down"]
    suppressed "ops" { rule = "db_down" }
    suppressed "ops" { rule = "site_down" }
  }
  expect {
    at       = "2h" # 23:00: the database is back; its outage was never announced
    firing   = ["site_down"]
    resolved = ["db_down"]
  }
  expect {
    at     = "4h" # 01:00, the window closed: the site is still down
    firing = ["site_down"]
    notify "ops" { text = "still firing after the maintenance window \"db_migration\"\nsite down: status 503" }
  }
  expect {
    at       = "4h30m"
    resolved = ["site_down"]
    notify "ops" { text = "site back after 3h30m0s" }
  }
}

test "max_runs: a crashing app-server is restarted at most 3 times an hour, then one notice says remediation is suspended" {
  interval = "5m"
  only     = ["app_down"]

  # The server crashes every ten minutes: the rule fires at 0, 10m, 20m … 1h.
  input "process.app.count" { values = "0 1 0 1 0 1 0 1 0 1 0 1 0" }

  expect {
    at     = "0"
    firing = ["app_down"]
    notify "ops" { text = "app-server is not running; restarting it" }
    exec { command = ["systemctl", "restart", "app-server"] }
  }
  expect {
    at     = "10m"
    firing = ["app_down"]
    notify "ops" { text = "app-server is not running; restarting it" }
    exec { command = ["systemctl", "restart", "app-server"] }
  }
  expect {
    at     = "20m"
    firing = ["app_down"]
    notify "ops" { text = "app-server is not running; restarting it" }
    exec { command = ["systemctl", "restart", "app-server"] }
  }
  expect {
    at     = "30m" # the fourth time in the hour: not restarted, and the notice
    firing = ["app_down"]
    notify "ops" { text = "app-server is not running; restarting it" }
    notify "ops" { contains = ["app_down: remediation suspended", "ran 3 times in the last 1h", "not run again until 2026-01-01T01:00:00Z"] }
  }
  expect {
    at     = "40m" # still suspended: no second notice
    firing = ["app_down"]
    notify "ops" { text = "app-server is not running; restarting it" }
  }
  expect {
    at     = "50m"
    firing = ["app_down"]
    notify "ops" { text = "app-server is not running; restarting it" }
  }
  expect {
    at     = "1h" # the first restart is an hour old: one more is allowed
    firing = ["app_down"]
    notify "ops" { text = "app-server is not running; restarting it" }
    exec { command = ["systemctl", "restart", "app-server"] }
  }
}
