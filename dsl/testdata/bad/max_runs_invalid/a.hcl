rule "overload" {
  when = "cpu.pct > 90"
  exec {
    command  = ["systemctl", "restart", "tomcat"]
    max_runs = "3 times per hour"
  }
  exec {
    command  = ["systemctl", "restart", "httpd"]
    max_runs = "0 per 1h"
  }
  exec {
    command  = ["systemctl", "restart", "nginx"]
    max_runs = "3 per 1 hour"
  }
  exec {
    command  = ["systemctl", "restart", "php-fpm"]
    max_runs = 3
  }
}
