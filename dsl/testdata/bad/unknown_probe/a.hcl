notifier "console" "ops" {}

rule "foo" {
  when = "foo.bar > 1"
  notify "ops" { message = "foo" }
}
