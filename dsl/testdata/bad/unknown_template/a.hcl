notifier "console" "ops" {}

template "usage" {
  text = "cpu {{ cpu.avg3 }}%"
}

rule "overload" {
  when = "cpu.avg3 > 50"
  notify "ops" { message = "overload\n${template.usgae}" }
}
