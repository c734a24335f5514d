# rules.d/00-notimon.hcl
settings {
  # host   = "web-01"   # default: the machine's hostname
  interval = "15s" # daemon tick; a one-shot run is one tick
}

locals {
  cpu_limit = 50
  mem_limit = 50
}

# The credentials come from the environment: systemd's EnvironmentFile=/etc/notimon/env, or
# `--env-file /etc/notimon/env` on the cron line. Or read them from files of their own:
#   token_file = "/etc/notimon/telegram-token"
# api_url is the public Bot API unless NOTIMON_TELEGRAM_API_URL names a server of your own.
notifier "telegram" "ops" {
  token      = env("NOTIMON_TELEGRAM_TOKEN")
  chat_id    = env("NOTIMON_TELEGRAM_CHAT_ID")
  parse_mode = "HTML"
  api_url    = env("NOTIMON_TELEGRAM_API_URL", "https://api.telegram.org")
  # commands = true # answer /status, /silence, /ack … from chat_id; Ack/Silence buttons on alerts
}

notifier "console" "stdout" {} # prints to standard output; needs no credentials

template "usage" {
  text = <<-EOT
    cpu usage: {{ cpu.avg3 }}%
    memory usage: {{ mem.real_pct }}%
  EOT
}
