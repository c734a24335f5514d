notifier "telegram" "ops" {
  token   = env("NOTIMON_TELEGRAM_TOKEN", "", "fallback")
  chat_id = env("NOTIMON_TELEGRAM_CHAT_ID", ["-100777"])
  api_url = env()
}
