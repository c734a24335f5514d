notifier "telegram" "ops" {
  token      = env("NOTIMON_TELEGRAM_TOKEN")
  token_file = "/etc/notimon/telegram-token"
  chat_id    = env("NOTIMON_TELEGRAM_CHAT_ID")
}
