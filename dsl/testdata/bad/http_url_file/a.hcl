probe "http" "site" {
  url = "file:///etc/passwd"
}
