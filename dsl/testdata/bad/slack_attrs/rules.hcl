# A slack block without its webhook URL, one with a URL that is not http(s), a bad timeout.
notifier "slack" "nourl" {
  timeout = "5s"
}

notifier "slack" "ftp" {
  url     = "ftp://hooks.slack.com/services/T/B/x"
  timeout = "5"
}
