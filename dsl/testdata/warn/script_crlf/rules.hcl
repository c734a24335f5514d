# Scripts saved with Windows line endings (CRLF) next to one saved with LF (fine.sh). Their
# paths are relative to the working directory, as commands run them: the dsl package's.
notifier "console" "ops" {}

probe "command" "queue" {
  command = ["testdata/warn/script_crlf/queue-depth.sh"]
}

rule "overload" {
  when = "cpu.avg3 > 50 || command.queue.value > 100"
  exec {
    command = ["testdata/warn/script_crlf/restart.sh", "--now"]
  }
  exec {
    command = ["bash", "-e", "testdata/warn/script_crlf/cleanup.sh"]
  }
  exec {
    shell = "testdata/warn/script_crlf/restart.sh 2>&1 | logger -t restart"
  }
  exec {
    command = ["testdata/warn/script_crlf/fine.sh"]
  }
  on_resolve {
    exec { command = ["sh", "testdata/warn/script_crlf/cleanup.sh"] }
  }
}
