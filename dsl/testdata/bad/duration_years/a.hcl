notifier "console" "ops" {}

rule "cert_renewal" {
  when   = "cpu.avg3 > 50"
  for    = "1w2d"
  repeat = "1y"
  notify "ops" { message = "cpu high" }
  wait { duration = "5 days" }
}
