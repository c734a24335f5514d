test "site down: HTML escaping, a failing restart stops the chain, resolve" {
  interval = "15s"
  only     = ["site_down"]

  input "http.site.up"     { values = "1 0x2 1" }
  input "http.site.status" { values = "200 502x2 200" }
  input "http.site.error"  { values = ["", "status 502", "status 502", "<Bad Gateway> & co", ""] }

  expect {
    at      = "15s"
    pending = ["site_down"]
  }
  expect {
    at     = "45s"
    firing = ["site_down"]
    notify "tg" { text = "<b>site down</b>: status 502, &lt;Bad Gateway&gt; &amp; co" }
    exec {
      command   = ["systemctl", "restart", "app"]
      exit_code = 5
      stderr    = "Unit app.service not found."
    }
  }
  expect {
    at       = "1m"
    resolved = ["site_down"]
    notify "ops" {
      rule  = "site_down"
      state = "resolved"
      text  = "site back after 15s"
    }
  }
}

test "disk: map fields, clear_when hysteresis, a wait longer than the interval" {
  interval = "1m"
  only     = ["disk_full"]

  input "disk[\"/\"].used_pct"    { values = "50 95 88x13 80" }
  input "disk[\"/var\"].used_pct" { values = "10x15" }

  expect {
    at     = "1m"
    firing = ["disk_full"]
    notify "ops" { text = "disk almost full: /" }
    exec {
      command   = ["/usr/local/bin/cleanup"]
      exit_code = 1
    }
    notify "ops" { text = "cleanup: failed: cleanup: exit status 1" }
  }
  expect {
    at     = "11m"
    firing = ["disk_full"]     # 88 %: not below 85, so still firing
    notify "ops" { text = "10 minutes after cleanup: 88%" }
  }
  expect {
    at     = "15m"
    firing = ["disk_full"]
  }
  expect {
    at       = "16m"
    resolved = ["disk_full"]
  }
}

test "time windows and repeat" {
  interval = "1m"
  only     = ["load_trend"]

  input "load.avg1" { values = "1 7x5 1x3" }

  expect {
    at      = "2m"                 # avg of 1, 7, 7 over 3m = 5
    firing  = ["load_trend"]
    notify "ops" { text = "load 7" }
  }
  expect {
    at     = "4m"
    firing = ["load_trend"]
    notify "ops" { text = "load 7" }
  }
  expect {
    at     = "6m"
    firing = ["load_trend"]
    notify "ops" { text = "load 7" }
  }
  expect {
    at       = "8m"                # 7, 7, 1, 1 over the last 3m: 4, not above
    resolved = ["load_trend"]
  }
}
