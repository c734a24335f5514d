notifier "console" "ops" {}

template "usage" {
  text = <<-EOT
    cpu usage: {{ cpu.avg3 }}%
    memory usage: {{ mem.real_pc }}%
  EOT
}

rule "overload" {
  when = "cpu.avg3 > 50"
  notify "ops" {
    message = <<-EOT
      overload
      ${template.usage}
    EOT
  }
  renotify "ops" { message = "after restart\n${template.usage}" }
}
