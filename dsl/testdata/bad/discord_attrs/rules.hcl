# A discord block without its webhook URL, one with a URL without a scheme, a bad timeout.
notifier "discord" "nourl" {
  timeout = "5s"
}

notifier "discord" "noscheme" {
  url     = "discord.com/api/webhooks/1/x"
  timeout = "1y"
}
