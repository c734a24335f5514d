# Expectations a run does not meet.
test "wrong silence expectations" {
  interval = "1m"
  input "http.site.up" { values = "1 0x10" }

  ack "web_down" { at = "0s" } # not firing yet
  silence {
    rules = ["web_down"]
    from  = "5m"
    for   = "1h"
  }

  expect {
    at = "1m" # before the silence: sent, not held back
    suppressed "ops" {}
    exec { command = ["systemctl", "restart", "nginx"] }
  }
  expect {
    at = "11m"
    suppressed "ops" { rule = "web_down" }
  }
}
