notifier "telegram" "ops" {
  parse_mode = "HTML"
}
