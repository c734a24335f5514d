probe "cpu" "main" {
  samples = 3
}
