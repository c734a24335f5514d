rule "restart" {
  when = "load.avg1 > 10"
  exec {
    command = ["systemctl", "restart", "tomcat"]
    shell   = "systemctl restart tomcat"
  }
}
