notifier "console" "ops" {}

rule "overload" {
  when = "cpu.avg3 > 50"
  for  = "2m"
  notify "ops" { message = "cpu at {{ cpu.avg3 }}%" }
  exec { command = ["systemctl", "restart", "tomcat"] }
}
