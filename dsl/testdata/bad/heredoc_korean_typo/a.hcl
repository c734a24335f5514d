notifier "console" "ops" {}

rule "memory" {
  when = "mem.real_pct > 90"
  notify "ops" {
    message = <<-EOT
      [서버 경고]
      메모리 사용률: {{ mem.rael_pct }}%
    EOT
  }
}
