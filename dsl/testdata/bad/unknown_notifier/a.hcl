notifier "console" "ops" {}

rule "overload" {
  when = "cpu.avg3 > 50"
  notify "opps" { message = "cpu high" }
  renotify "pager" { message = "still high" }

  on_resolve {
    notify "slack" { message = "ok again" }
  }
}
