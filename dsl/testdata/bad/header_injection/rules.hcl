# Values that would break out of their header line: a token file's final newline, a value
# with CR LF in it (from a local, as env() could give it), a name that is not a header name.
locals {
  subject = "x\r\nBcc: evil@example.org"
}

notifier "webhook" "hook" {
  url     = "http://127.0.0.1:9/hooks"
  headers = {
    Authorization = "Bearer ${file("token.txt")}"
    X-Subject     = local.subject
  }
}

notifier "alertmanager" "am" {
  url     = "http://127.0.0.1:9093"
  headers = local.headers_for_proxy
}

locals {
  headers_for_proxy = { "X-Scope-OrgID" = "ops\n" }
}

probe "http" "site" {
  url     = "http://127.0.0.1:8080/health"
  headers = { "Bad Header" = "1", Accept = "text/plain" }
}
