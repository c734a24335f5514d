notifier "telegram" "ops" {
  token   = env("NOTIMON_TELEGRAM_TOKEN")
  chat_id = env("NOTIMON_TELEGRAM_CHAT_ID")
  api_url = "file:///etc/passwd"
}
