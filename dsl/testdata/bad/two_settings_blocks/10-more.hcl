settings {
  interval = "30s"
}
