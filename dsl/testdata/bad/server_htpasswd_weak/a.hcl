rule "r" {
  when = "cpu.pct > 90"
}

server {
  listen        = "0.0.0.0:9798"
  htpasswd_file = "users.htpasswd"
}
