probe "http" "site" {
  url = "gopher://127.0.0.1:70/"
}
