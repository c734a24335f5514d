rule "r" {
  when = "cpu.pct > 90"
}

server {
  htpasswd_file = "/nonexistent/notimon.htpasswd"
}
