notifier "console" {}

rule {
  when = "cpu.avg3 > 50"
}

probe "http" "site" "extra" {
  url = "http://127.0.0.1/"
}
