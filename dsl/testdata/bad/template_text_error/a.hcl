notifier "console" "ops" {}

template "usage" {
  text = "cpu {{ cpu.avg3 }}% of ${local.cpu_limit}%"
}

rule "overload" {
  when = "cpu.avg3 > 50"
  notify "ops" { message = "overload\n${template.usage}" }
}
