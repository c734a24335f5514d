probe "ping" "gateway" {
  address = "192.168.0.1"
}
