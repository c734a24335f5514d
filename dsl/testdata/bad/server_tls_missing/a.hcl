rule "r" {
  when = "cpu.pct > 90"
}

server {
  tls_cert_file = "cert.pem"
  tls_key_file  = "key.pem"
}
