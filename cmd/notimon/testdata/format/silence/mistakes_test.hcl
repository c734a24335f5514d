# Every mistake a silence, an ack or a suppressed expectation can hold.
test "silence and ack mistakes" {
  interval = "1m"
  input "http.site.up" { values = "0x10" }

  silence {
    for = "10m"
  }
  silence {
    rules = ["web["]
    for   = "0s"
  }
  silence {
    labels  = { team = "web" }
    from    = "soon"
    for     = "1h"
    no_exec = "yes"
  }
  silence {
    rules = ["web_down"]
  }
  silence {
    rules  = ["db_*", "web_dwon"]
    labels = { "te am" = "web" }
    for    = "1h"
  }
  ack "web_dwn" { at = "2m" }
  ack "web_down" { at = "90s" }
  ack "web_down" {}

  expect {
    at = "5m"
    suppressed "opz" { rule = "web_down" }
    suppressed "ops" { rule = "nope" }
  }
}
