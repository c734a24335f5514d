notifier "console" "ops" {}

rule "overload" {
  when = "cpu.avg3 > 50"
  notify "ops" {
    message = <<-EOT
      cpu: {{ cpu.avg3 }}%
      mem: {{ mem.reel_pct }}%
    EOT
  }
}
