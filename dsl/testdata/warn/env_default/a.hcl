# A default silences the warning: only NOTIMON_BOT_API_KEY, read without one, is reported.
notifier "telegram" "ops" {
  token   = env("NOTIMON_TELEGRAM_TOKEN")
  chat_id = env("NOTIMON_TELEGRAM_CHAT_ID")
  api_url = env("NOTIMON_TELEGRAM_API_URL", "https://api.telegram.org")
}

notifier "webhook" "hook" {
  url     = env("NOTIMON_WEBHOOK_URL", "http://127.0.0.1:9000/hook")
  headers = { "X-Api-Key" = env("NOTIMON_BOT_API_KEY") }
}
