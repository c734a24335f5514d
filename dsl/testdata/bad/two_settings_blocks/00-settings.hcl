settings {
  host = "web-01"
}
