rule "r" {
  when = "cpu.pct > 90"
}

server {
  tls_cert_file = "/etc/ssl/certs/notimon.pem"
}
