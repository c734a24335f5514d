# Tests of the shipped overload rule (10-overload.hcl). Run them with: notimon test rules.d
# Each test feeds values tick by tick on a simulated clock; nothing is sent or executed: an
# exec expectation says what the simulated command prints. host.name is "localhost" here.

test "overload: pending, fires with its message, reports the top processes, resolves" {
  interval = "5s"
  env      = { NOTIMON_TELEGRAM_TOKEN = "123:test", NOTIMON_TELEGRAM_CHAT_ID = "1" }

  input "cpu.avg3" { values = "10 60x24 20x6" } # over the limit from 5s to 2m5s
  input "mem.real_pct" { values = "30x31" }

  expect {
    at      = "5s"
    pending = ["overload"]
  }
  expect {
    at      = "2m"
    pending = ["overload"] # held 1m55s of its 2m
  }
  expect {
    at     = "2m5s"
    firing = ["overload"]
    notify "ops" {
      text = <<-EOT
        <b>[localhost server]</b>
        cpu usage is over its limit (50%)
        cpu usage: 60%
        memory usage: 30%
      EOT
    }
    exec {
      shell  = <<-EOT
        echo "top 5 by cpu:"
        ps -eo pid,user,pcpu,pmem,comm --sort=-pcpu | head -n 6
        echo "top 5 by memory:"
        ps -eo pid,user,pcpu,pmem,comm --sort=-pmem | head -n 6
      EOT
      stdout = "top 5 by cpu:\n  PID USER     %CPU %MEM COMMAND\n 4242 www-data 97.5  3.1 java"
    }
    notify "ops" {
      state = "firing" # the renotify, with what the command printed
      text  = <<-EOT
        <b>[localhost server]</b> top processes
        cpu usage: 60%
        memory usage: 30%
        <pre>top 5 by cpu:
          PID USER     %CPU %MEM COMMAND
         4242 www-data 97.5  3.1 java</pre>
      EOT
    }
  }
  expect {
    at       = "2m10s"
    resolved = ["overload"]
    notify "ops" {
      state = "resolved"
      text  = "[localhost server] overload resolved after 5s"
    }
  }
}

test "overload: memory alone fires it, the notify steps repeat every hour, resolved after 1h3m" {
  interval = "1m"
  env      = { NOTIMON_TELEGRAM_TOKEN = "123:test", NOTIMON_TELEGRAM_CHAT_ID = "1" }

  input "cpu.avg3" { values = "12.5x67" }
  input "mem.real_pct" { values = "61.234x64 40x3" } # 61.23 % until 1h4m, then 40 %

  expect {
    at     = "2m"
    firing = ["overload"]
    notify "ops" {
      state    = "firing"
      contains = ["memory usage is over its limit (50%)", "memory usage: 61.23%"]
    }
    notify "ops" { contains = "top processes" } # the renotify: same tick
    exec { shell = "echo \"top 5 by cpu:\"\nps -eo pid,user,pcpu,pmem,comm --sort=-pcpu | head -n 6\necho \"top 5 by memory:\"\nps -eo pid,user,pcpu,pmem,comm --sort=-pmem | head -n 6\n" }
  }
  expect {
    at     = "1h2m" # repeat = "1h": the notify steps only
    firing = ["overload"]
    notify "ops" { matches = "(?m)^memory usage is over its limit \\(50%\\)$" }
  }
  expect {
    at       = "1h5m"
    resolved = ["overload"]
    notify "ops" { text = "[localhost server] overload resolved after 1h3m0s" }
  }
}

test "overload: a failed cpu reading is unknown, neither firing nor resetting the rule" {
  interval = "1m"
  env      = { NOTIMON_TELEGRAM_TOKEN = "123:test", NOTIMON_TELEGRAM_CHAT_ID = "1" }

  input "cpu.avg3" { values = "10 60 60 _ 60" } # _ = the cpu probe failed at 3m
  input "mem.real_pct" { values = "30x4" }

  expect {
    at      = "3m" # would have fired now (held 2m) if cpu had been read
    pending = ["overload"]
    unknown = ["overload"]
  }
  expect {
    at     = "4m" # still pending since 1m: fires
    firing = ["overload"]
    notify "ops" { contains = "cpu usage is over its limit (50%)" }
    notify "ops" { contains = "top processes" }
    exec { shell = "echo \"top 5 by cpu:\"\nps -eo pid,user,pcpu,pmem,comm --sort=-pcpu | head -n 6\necho \"top 5 by memory:\"\nps -eo pid,user,pcpu,pmem,comm --sort=-pmem | head -n 6\n" }
  }
}

test "overload: when listing the processes fails, the report says why" {
  interval = "1m"
  env      = { NOTIMON_TELEGRAM_TOKEN = "123:test", NOTIMON_TELEGRAM_CHAT_ID = "1" }

  input "cpu.avg3" { values = "90x3" }
  input "mem.real_pct" { values = "30x3" }

  expect {
    at     = "2m"
    firing = ["overload"]
    notify "ops" { contains = "cpu usage is over its limit (50%)" }
    exec {
      shell     = "echo \"top 5 by cpu:\"\nps -eo pid,user,pcpu,pmem,comm --sort=-pcpu | head -n 6\necho \"top 5 by memory:\"\nps -eo pid,user,pcpu,pmem,comm --sort=-pmem | head -n 6\n"
      exit_code = 127
    }
    notify "ops" { contains = "could not list the processes: sh: exit status 127" }
  }
}

test "overload: at the limits exactly, nothing happens" {
  env = { NOTIMON_TELEGRAM_TOKEN = "123:test", NOTIMON_TELEGRAM_CHAT_ID = "1" }

  input "cpu.avg3" { values = "50x40" } # 10 minutes at 15 s ticks
  input "mem.real_pct" { values = "49.99x40" }

  expect {
    at       = "10m"
    inactive = ["overload"]
  }
}

test "load_high depends on overload: held back while overload fires, sent when it resolves and the load is still high" {
  interval = "1m"
  env      = { NOTIMON_TELEGRAM_TOKEN = "123:test", NOTIMON_TELEGRAM_CHAT_ID = "1" }

  input "cpu.avg3" { values = "90x14 10x8" } # over the limit until 14m
  input "mem.real_pct" { values = "30x22" }
  input "load.per_core1" { values = "8x19 1x3" } # a long run queue until 19m
  input "load.avg1" { values = "16x19 2x3" }

  expect {
    at      = "2m"
    firing  = ["overload"]
    pending = ["load_high"]
    notify "ops" { contains = "cpu usage is over its limit (50%)" }
    exec { shell = "echo \"top 5 by cpu:\"\nps -eo pid,user,pcpu,pmem,comm --sort=-pcpu | head -n 6\necho \"top 5 by memory:\"\nps -eo pid,user,pcpu,pmem,comm --sort=-pmem | head -n 6\n" }
    notify "ops" { contains = "top processes" }
  }
  expect {
    at     = "10m" # load_high fires, while overload does: nothing is sent
    firing = ["overload", "load_high"]
  }
  expect {
    at       = "15m" # overload resolves; the load is still high, so load_high speaks now
    firing   = ["load_high"]
    resolved = ["overload"]
    notify "ops" { text = "[localhost server] overload resolved after 13m0s" }
    notify "ops" { text = "still firing after overload resolved\n[localhost server] load 16 (8 per core) for 10 minutes" }
  }
  expect {
    at       = "20m"
    resolved = ["load_high"]
    notify "ops" { text = "[localhost server] load back to 1 per core after 10m0s" }
  }
}
