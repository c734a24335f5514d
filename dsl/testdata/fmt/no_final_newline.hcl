notifier "console" "stdout" {}
rule "x" {
  when = "cpu.avg3 > 50"
  notify "stdout" { message = "x" }
}