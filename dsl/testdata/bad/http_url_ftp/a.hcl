probe "http" "site" {
  url = "ftp://ftp.example.com/health"
}
