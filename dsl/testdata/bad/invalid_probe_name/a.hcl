probe "http" "my-site" {
  url = "http://127.0.0.1:8080/health"
}
