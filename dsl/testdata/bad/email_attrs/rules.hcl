# email blocks with a mistake in each attribute.
notifier "email" "missing" {
  subject = "{{ rule.name }}"
}

notifier "email" "noport" {
  smtp = "smtp.example.org"
  from = "notimon@example.org"
  to   = ["ops@example.org"]
}

notifier "email" "badfrom" {
  smtp = "smtp.example.org:587"
  from = "notimon"
  to   = ["ops@example.org"]
}

notifier "email" "tostring" {
  smtp = "smtp.example.org:587"
  from = "notimon@example.org"
  to   = "ops@example.org"
}

notifier "email" "badto" {
  smtp = "smtp.example.org:587"
  from = "notimon@example.org"
  to   = ["ops@example.org", "ops at example"]
}

notifier "email" "subject" {
  smtp    = "smtp.example.org:587"
  from    = "notimon@example.org"
  to      = ["ops@example.org"]
  subject = "[{{ host.name }}] {{ rule.nam }}"
}

notifier "email" "html" {
  smtp    = "smtp.example.org:587"
  from    = "notimon@example.org"
  to      = ["ops@example.org"]
  html    = "yes"
  timeout = "30"
}

notifier "email" "plainauth" {
  smtp     = "smtp.example.org:25"
  from     = "notimon@example.org"
  to       = ["ops@example.org"]
  tls      = "none"
  username = "notimon"
  password = "hunter2-secret"
}

notifier "email" "plain" {
  smtp = "smtp.example.org:25"
  from = "notimon@example.org"
  to   = ["ops@example.org"]
  tls  = "plain"
}

notifier "email" "nopassword" {
  smtp     = "smtp.example.org:587"
  from     = "notimon@example.org"
  to       = ["ops@example.org"]
  username = "notimon"
}

notifier "email" "both" {
  smtp          = "smtp.example.org:587"
  from          = "notimon@example.org"
  to            = ["ops@example.org"]
  username      = "notimon"
  password      = "hunter2-secret"
  password_file = "/etc/notimon/smtp"
}

notifier "email" "passwordonly" {
  smtp     = "smtp.example.org:587"
  from     = "notimon@example.org"
  to       = ["ops@example.org"]
  password = "hunter2-secret"
}
