test "overload: memory over the limit fires" {
  interval = "1m"
  env = {NOTIMON_TELEGRAM_TOKEN="123:test",NOTIMON_TELEGRAM_CHAT_ID="1"}

  input "cpu.avg3"     { values = "12.5x67" }
  input "mem.real_pct" { values = "61.234x64 40x3" }   # 61.23 % until 1h4m, then 40 %

  expect {
      at="2m"
    firing=["overload"]
    notify "ops" {
    state    = "firing"
      contains = ["memory usage is over its limit (50%)",
                  "memory usage: 61.23%"]
    }
  }
}
