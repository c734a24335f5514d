probe "tcp" "db" { address = "127.0.0.1" }
probe "file" "applog" { path = "var/log/app.log" }
probe "http" "site" {
  url        = "http://127.0.0.1:8080/health"
  method     = "HEAD"
  body_match = "^ok$"
}
