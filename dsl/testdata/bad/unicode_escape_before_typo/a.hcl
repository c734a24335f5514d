notifier "console" "ops" {}

rule "overload" {
  when = "cpu.avg3 > 50"
  notify "ops" { message = "\u00e9t\u00e9 \U0001F525 CPU 사용률 {{ cpu.avg4 }}" }
}
