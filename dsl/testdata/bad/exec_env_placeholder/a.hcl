notifier "console" "stdout" {}

rule "disk" {
  when = "cpu.pct > 90"
  exec {
    command = ["/usr/local/bin/cleanup"]
    env     = { TARGET = "{{ host.name }}" }
  }
}
