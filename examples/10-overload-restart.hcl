# examples/10-overload-restart.hcl — the seed recipe's remediation, as in the DESIGN's
# reference example: restart tomcat when the machine is overloaded, wait 5 s, report again.
# Only for a machine that runs tomcat (under systemd): copy it over rules.d/10-overload.hcl
# (it declares the same rule), change the service, and adapt rules.d/overload_test.hcl.
rule "overload" {
  when     = "cpu.avg3 > ${local.cpu_limit} || mem.real_pct > ${local.mem_limit}"
  for      = "2m" # must hold this long before firing (default 0: fire on first true tick)
  repeat   = "1h" # while still firing, run the notify steps again this often (default: never)
  severity = "critical"
  labels   = { team = "web" }

  # The fire chain: steps run top to bottom when the rule starts firing.
  notify "ops" {
    message = <<-EOT
      <b>[{{ host.name }} server]</b>
      {{ cpu.avg3 > ${local.cpu_limit} ? "cpu usage is over its limit (${local.cpu_limit}%)" : "" }}
      {{ mem.real_pct > ${local.mem_limit} ? "memory usage is over its limit (${local.mem_limit}%)" : "" }}
      ${template.usage}
      restarting tomcat
    EOT
  }
  exec {
    command = ["systemctl", "restart", "tomcat"] # argv, no shell
    timeout = "60s"
  }
  wait { duration = "5s" }
  renotify "ops" { # re-samples the probes, then sends
    message = "[{{ host.name }} server] after restart\n${template.usage}"
  }

  on_resolve {
    notify "ops" { message = "[{{ host.name }} server] {{ rule.name }} resolved after {{ rule.firing_for }}" }
  }
}
