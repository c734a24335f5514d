# Probes whose values are the same on every machine: commands that print fixed text.
notifier "console" "ops" {}

probe "command" "queue" { command = ["echo", "42"] }
probe "command" "word" { command = ["echo", "abc"] }

rule "queue_deep" {
  when = "command.queue.value > 10"
  notify "ops" { message = "<b>queue</b> at {{ command.queue.value }} & rising" }
  exec { command = ["/usr/local/bin/drain-queue", "--all"] }
  wait { duration = "1d" }
  renotify "ops" { message = "after draining: {{ command.queue.value }}" }
}

rule "queue_empty" {
  when = "command.queue.value < 1"
  for  = "5m"
  notify "ops" { message = "queue empty" }
}

rule "word_count" {
  when = "int(command.word.output) > 1"
  notify "ops" { message = "x" }
}
