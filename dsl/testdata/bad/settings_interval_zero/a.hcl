settings {
  interval = "0s"
}
