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
