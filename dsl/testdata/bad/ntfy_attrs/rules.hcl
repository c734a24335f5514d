# ntfy blocks with a mistake in each attribute: no url, a url without a topic, a token
# with a final newline, a title reading an unknown field, tags that are not a list, an
# empty tag, an empty tag list, a bad timeout.
notifier "ntfy" "nourl" {
  title = "{{ rule.name }}"
}

notifier "ntfy" "notopic" {
  url = "https://ntfy.sh/"
}

notifier "ntfy" "token" {
  url   = "https://ntfy.sh/alerts"
  token = "tk_abc\n"
}

notifier "ntfy" "title" {
  url   = "https://ntfy.sh/alerts"
  title = "{{ host.nme }} {{ rule.state }}"
}

notifier "ntfy" "tags" {
  url     = "https://ntfy.sh/alerts"
  tags    = "warning"
  timeout = "soon"
}

notifier "ntfy" "emptytag" {
  url  = "https://ntfy.sh/alerts"
  tags = ["ok", ""]
}

notifier "ntfy" "notags" {
  url  = "https://ntfy.sh/alerts"
  tags = []
}
