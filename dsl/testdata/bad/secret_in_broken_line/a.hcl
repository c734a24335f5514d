# A token in a misspelt attribute, in a known one next to a mistake, and after a syntax
# error: diagnostics show where, never the value.
notifier "telegram" "ops" {
  tokn       = "123456:FAKE-TOKEN-FOR-TESTS"
  token      = "123456:FAKE-TOKEN-FOR-TESTS"
  chat_id    = 12345
  parse_mode = "html"
}

notifier "webhook" "hook" {
  url     = "https://hooks.example.com/FAKE-WEBHOOK-PATH"
  headers = { Authorization = "Bearer FAKE-BEARER" }
  bogus   = https://hooks.example.com/FAKE-WEBHOOK-PATH
}
