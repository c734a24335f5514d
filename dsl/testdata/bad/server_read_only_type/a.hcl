rule "r" {
  when = "cpu.pct > 90"
}

server {
  read_only = "yes"
}
