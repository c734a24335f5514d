notifier "console" "ops" {}
rule "kill_defunct" {
  when = "load.avg1 > 10"
  exec {
    command = ["pkill", "-f", "{{ host.name }}"]
  }
  exec {
    shell = "echo {{ load.avg1 }} >> /tmp/load.log"
  }
}
