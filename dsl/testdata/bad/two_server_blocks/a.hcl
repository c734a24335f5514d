rule "r" {
  when = "cpu.pct > 90"
}

server {}
