# examples/memory-leak/30-memory-leak.hcl: "memory leak suspected".
#
# A process that leaks grows until the kernel pushes other pages out to swap, and then keeps
# growing: swap use rises for as long as the leak runs, while real memory use (mem.real_pct,
# what `free` calls used) stays high. Either alone is normal: a machine swaps idle pages out
# once and stays there, and a busy one can run at 85 % for months. Together, for half an
# hour, they point at a leak, well before the OOM killer picks a victim.
#
# Copy this file into rules.d, next to 00-notimon.hcl (which declares the "ops" notifier).
# It needs swap: without any, swap.used_pct stays 0 and the rule never fires (watch
# rate_over("mem.real_pct", "1h") there instead). Its tests: memory-leak_test.hcl.
rule "memory_leak_suspected" {
  # rate_over: the change per second from the first to the last sample of the last 30
  # minutes, so "> 0" means swap use is higher now than half an hour ago. `for` as long as
  # the window: a single swap-out (swap jumps once, then stays) keeps that rate above 0 for
  # 30 minutes at most and never fires; a leak keeps it there.
  when     = "rate_over(\"swap.used_pct\", \"30m\") > 0 && mem.real_pct > 80"
  for      = "30m"
  repeat   = "2h"
  severity = "warning"
  labels   = { kind = "memory" }

  notify "ops" {
    message = <<-EOT
      [{{ host.name }} server] memory leak suspected
      swap used: {{ swap.used_pct }}%, up {{ rate_over("swap.used_pct", "30m") * 3600 }} points an hour
      real memory used: {{ mem.real_pct }}%
      largest processes: ps -eo pid,rss,etime,comm --sort=-rss | head
    EOT
  }
  on_resolve {
    notify "ops" { message = "[{{ host.name }} server] memory leak suspected: over after {{ rule.firing_for }} (swap {{ swap.used_pct }}%, real memory {{ mem.real_pct }}%)" }
  }
}
