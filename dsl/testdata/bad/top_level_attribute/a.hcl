interval = "15s"

settings {
  host = "web-01"
}
