notifier "console" "ops" {}

notifier "webhook" "ops" {
  url = "https://hooks.example.com/notimon"
}
