# A rules file as people type it: indentation, spacing and alignment all over the place.
settings {
host = "web-01"
    interval="15s"      # daemon tick
}

locals {
  cpu_limit=50
  mem_limit    =    50
  mounts = ["/",   "/var",
    "/home"]
}

notifier "telegram" "ops" {
	token = env("NOTIMON_TELEGRAM_TOKEN")
	chat_id = env("NOTIMON_TELEGRAM_CHAT_ID")
	parse_mode   = "HTML"
}
notifier "console"   "stdout"   {   }

template "usage" {
  text = <<-EOT
    cpu usage: {{ cpu.avg3 }}%
      memory usage:   {{ mem.real_pct }}%
  EOT
}

rule "overload" {
      when = "cpu.avg3 > ${local.cpu_limit} || mem.real_pct > ${ local.mem_limit }"
  for = "2m"     # must hold this long
  repeat= "1h"
  labels = {team="web", "tier"  =  "front"}

  notify "ops" {message = "overload on {{ host.name }}"}
  exec {
      command = ["systemctl",   "restart","tomcat"]
      timeout="60s"
    }
  wait {duration="5s"}
  renotify "ops" {                                   # re-samples the probes, then sends
    message = "after restart\n${template.usage}"
  }

  on_resolve {
  notify "ops" { message = "resolved after {{ rule.firing_for }}" }
  }
}



