# Valid, with one warning: the token comes from a variable no test sets.
notifier "telegram" "tg" {
  token   = env("NOTIMON_FORMAT_TEST_UNSET")
  chat_id = "-1001234567890"
}
notifier "console" "ops" {}

rule "overload" {
  when = "cpu.avg3 > 50"
  for  = "2m"
  notify "ops" { message = "cpu at {{ cpu.avg3 }}% on {{ host.name }}" }
}
