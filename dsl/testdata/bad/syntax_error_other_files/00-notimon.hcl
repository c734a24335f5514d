settings { interval = "15s" }

locals { limits { cpu = 50 } }

notifier "console" "ops" {}

template "usage" {
  text = "cpu usage: {{ cpu.avg3 }}%"
}
