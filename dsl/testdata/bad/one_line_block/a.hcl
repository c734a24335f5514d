notifier "console" "ops" {}

rule "overload" {
  when = "cpu.avg3 > 50"
  notify "ops" { message = "cpu high" }
  on_resolve { notify "ops" { message = "cpu ok again" } }
}

rule "memory" {
  when = "mem.real_pct > 90"
  notify "ops" { message = "memory high" }
}

rule "load" {
  when = "load.avg11 > 8"
  notify "ops" { message = "load high" }
}

rule "disk" {
  when = "any(values(disk), .used_pct > 90)"
  notify "ops" { message = "disk almost full" }
}
