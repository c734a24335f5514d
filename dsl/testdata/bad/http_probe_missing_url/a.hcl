probe "http" "site" {
  timeout = "3s"
}
