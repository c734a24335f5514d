test "a silence holds repeats back; its end sends one catch-up, then repeats resume" {
  interval = "1m"
  input "http.site.up" { values = "0x44" }

  silence {
    rules   = ["web_*"]
    from    = "5m"
    for     = "20m"
    comment = "deploy"
  }

  expect {
    at     = "0s"
    firing = ["web_down"]
    notify "ops" { text = "web down" }
    exec { command = ["systemctl", "restart", "nginx"] }
  }
  expect {
    at     = "10m"
    firing = ["web_down"]
    suppressed "ops" { rule = "web_down" }
  }
  expect {
    at = "20m"
    suppressed "ops" {}
  }
  expect {
    at = "25m" # the silence ended: one catch-up
    notify "ops" { text = "still firing after the silence\nweb down" }
  }
  expect {
    at = "35m" # 10m after the catch-up
    notify "ops" { text = "web down" }
  }
}

test "a rule firing under a silence runs its exec steps; its resolve is held back too" {
  interval = "1m"
  input "http.site.up" { values = "0x5 1x3" }

  silence {
    labels = { team = "web" }
    for    = "1h"
  }

  expect {
    at = "0s"
    suppressed "ops" { rule = "web_down" }
    exec { command = ["systemctl", "restart", "nginx"] }
  }
  expect {
    at       = "6m"
    resolved = ["web_down"]
    suppressed "ops" {}
  }
}

test "no_exec holds remediation back too" {
  interval = "1m"
  input "http.site.up" { values = "0x3" }

  silence {
    rules   = ["web_down"]
    for     = "1h"
    no_exec = true
  }

  expect {
    at     = "0s"
    firing = ["web_down"]
    suppressed "ops" {}
  }
}

test "a resolve during a silence is sent when the firing was" {
  interval = "1m"
  input "http.site.up" { values = "0x5 1" }

  silence {
    rules = ["web_down"]
    from  = "2m"
    for   = "1h"
  }

  expect {
    at = "0s"
    notify "ops" { text = "web down" }
    exec { command = ["systemctl", "restart", "nginx"] }
  }
  expect {
    at = "6m"
    notify "ops" { text = "web up (during a silence)" }
  }
}

test "an ack stops the repeats until the rule resolves" {
  interval = "1m"
  input "http.site.up" { values = "0x24 1 0x12" }

  ack "web_down" {
    at      = "3m"
    by      = "alice"
    comment = "on it"
  }

  expect {
    at = "0s"
    notify "ops" { text = "web down" }
    exec { command = ["systemctl", "restart", "nginx"] }
  }
  expect {
    at     = "10m" # no repeat while acknowledged
    firing = ["web_down"]
  }
  expect {
    at       = "25m"
    resolved = ["web_down"]
    notify "ops" { text = "web up" }
  }
  expect {
    at = "26m" # a new incident: the ack is gone
    notify "ops" { text = "web down" }
    exec { command = ["systemctl", "restart", "nginx"] }
  }
  expect {
    at = "36m"
    notify "ops" { text = "web down" }
  }
}
