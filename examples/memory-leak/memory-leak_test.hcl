# Tests of 30-memory-leak.hcl. Run them with: notimon test examples
# One tick a minute; swap.used_pct and mem.real_pct are percentages.

test "memory leak: swap rising for half an hour while real memory is high fires; a restart resolves it" {
  interval = "1m"

  input "swap.used_pct" { values = "10+0.5x40 2x5" } # +0.5 point a minute until 40m, then the leaking service restarted
  input "mem.real_pct" { values = "85x40 40x5" }

  expect {
    at      = "30m"
    pending = ["memory_leak_suspected"] # rising since 1m: held 29m of its 30m
  }
  expect {
    at     = "31m"
    firing = ["memory_leak_suspected"]
    notify "ops" {
      text = <<-EOT
        [localhost server] memory leak suspected
        swap used: 25.5%, up 30 points an hour
        real memory used: 85%
        largest processes: ps -eo pid,rss,etime,comm --sort=-rss | head
      EOT
    }
  }
  expect {
    at       = "41m"
    resolved = ["memory_leak_suspected"]
    notify "ops" { text = "[localhost server] memory leak suspected: over after 10m0s (swap 2%, real memory 40%)" }
  }
}

test "memory leak: still leaking two hours later, the notification repeats" {
  interval = "5m"

  input "swap.used_pct" { values = "5+1x40" }
  input "mem.real_pct" { values = "82+0.2x40" }

  expect {
    at     = "35m"
    firing = ["memory_leak_suspected"]
    notify "ops" { contains = ["swap used: 12%, up 12 points an hour", "real memory used: 83.4%"] }
  }
  expect {
    at     = "2h35m" # repeat = "2h"
    firing = ["memory_leak_suspected"]
    notify "ops" { contains = "swap used: 36%" }
  }
}

test "memory leak: swap used once, then flat, is not a leak" {
  interval = "1m"

  input "swap.used_pct" { values = "10 40x90" } # a nightly job pushed idle pages out at 1m
  input "mem.real_pct" { values = "90x91" }

  expect {
    at      = "30m"
    pending = ["memory_leak_suspected"] # 40 % now, 10 % half an hour ago
  }
  expect {
    at       = "31m"
    inactive = ["memory_leak_suspected"] # the 10 % sample left the window: no rise, nothing sent
  }
  expect {
    at       = "1h30m"
    inactive = ["memory_leak_suspected"]
  }
}

test "memory leak: swap rising while real memory is low is not a leak" {
  interval = "1m"

  input "swap.used_pct" { values = "10+0.5x60" } # a backup streaming files through the page cache
  input "mem.real_pct" { values = "60x60" }

  expect {
    at       = "1h"
    inactive = ["memory_leak_suspected"]
  }
}
