probe "http" "site" {
  url = "example.com/health"
}
