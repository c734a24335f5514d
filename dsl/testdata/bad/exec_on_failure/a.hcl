rule "restart" {
  when = "load.avg1 > 10"
  exec {
    command    = ["systemctl", "restart", "tomcat"]
    on_failure = "abort"
    env        = { LEVEL = 3, NAMES = ["a"] }
  }
}
