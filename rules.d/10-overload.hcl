# rules.d/10-overload.hcl
rule "overload" {
  when     = "cpu.avg3 > ${local.cpu_limit} || mem.real_pct > ${local.mem_limit}"
  for      = "2m" # must hold this long before firing (default 0: fire on first true tick)
  repeat   = "1h" # while still firing, run the notify steps again this often (default: never)
  severity = "critical"
  labels   = { team = "ops" }

  # The fire chain: steps run top to bottom when the rule starts firing.
  notify "ops" {
    message = <<-EOT
      <b>[{{ host.name }} server]</b>
      {{ cpu.avg3 > ${local.cpu_limit} ? "cpu usage is over its limit (${local.cpu_limit}%)" : "" }}
      {{ mem.real_pct > ${local.mem_limit} ? "memory usage is over its limit (${local.mem_limit}%)" : "" }}
      ${template.usage}
    EOT
  }
  # A remediation that is safe on any machine: list the top 5 processes by cpu and by memory
  # (ps's %CPU is over each process's lifetime). To restart a service instead, see
  # examples/10-overload-restart.hcl.
  exec {
    shell   = <<-EOT
      echo "top 5 by cpu:"
      ps -eo pid,user,pcpu,pmem,comm --sort=-pcpu | head -n 6
      echo "top 5 by memory:"
      ps -eo pid,user,pcpu,pmem,comm --sort=-pmem | head -n 6
    EOT
    timeout = "10s"
  }
  renotify "ops" { # re-samples the probes, then sends
    message = <<-EOT
      <b>[{{ host.name }} server]</b> top processes
      ${template.usage}
      <pre>{{ exec.output }}</pre>
      {{ exec.error == "" ? "" : "could not list the processes: " + exec.error }}
    EOT
  }

  on_resolve {
    notify "ops" { message = "[{{ host.name }} server] {{ rule.name }} resolved after {{ rule.firing_for }}" }
  }
}

# A long run queue while overload fires is a consequence of it, not news: depends_on holds
# this rule's notifications back while overload fires, and sends them when overload
# resolves if the load is still high. (A site rule depends on its database's rule the same
# way: depends_on = ["db_down"].) Rules are evaluated parents first, so when both start
# firing on the same tick only overload notifies.
rule "load_high" {
  when       = "load.per_core1 > 4"
  for        = "10m"
  depends_on = ["overload"]
  labels     = { team = "ops" }

  notify "ops" { message = "[{{ host.name }} server] load {{ load.avg1 }} ({{ load.per_core1 }} per core) for 10 minutes" }
  on_resolve {
    notify "ops" { message = "[{{ host.name }} server] load back to {{ load.per_core1 }} per core after {{ rule.firing_for }}" }
  }
}

# A maintenance window holds back the notifications and exec steps of the rules it covers
# while it is open (the rules are still evaluated). Uncomment to keep the nightly backup on
# Sundays from paging anyone:
# maintenance "sunday_backup" {
#   weekly   = ["sun 02:00-04:00"]      # DAYS HH:MM-HH:MM local time: "mon-fri 12:00-12:30", "sat,sun 23:00-01:00"
#   timezone = "Europe/Berlin"          # IANA name; default: the machine's zone
#   rules    = ["overload", "load_*"]   # globs on rule names; and/or labels = { team = "ops" }
#   suppress = ["notify", "exec"]       # the default: both
# }
# A one-off window instead: from = "2026-12-24T22:00:00+01:00", until = "2026-12-25T02:00:00+01:00".
