# alertmanager: url and urls both, neither, a member URL without a scheme, a member twice,
# an empty list, a zero resend_delay.
notifier "alertmanager" "both" {
  url  = "http://am-1:9093"
  urls = ["http://am-1:9093", "http://am-2:9093"]
}

notifier "alertmanager" "neither" {
  timeout = "5s"
}

notifier "alertmanager" "noscheme" {
  urls = [
    "http://am-1:9093",
    "am-2:9093",
  ]
}

notifier "alertmanager" "twice" {
  urls = ["http://am-1:9093", "http://am-2:9093", "http://am-1:9093"]
}

notifier "alertmanager" "empty" {
  urls = []
}

notifier "alertmanager" "single" {
  urls = "http://am-1:9093"
}

notifier "alertmanager" "never" {
  url          = "http://am-1:9093"
  resend_delay = "0s"
}
