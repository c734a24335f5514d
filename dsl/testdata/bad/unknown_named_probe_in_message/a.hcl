notifier "console" "ops" {}

probe "process" "httpd" { match = "^httpd$" }

rule "httpd_down" {
  when = "process.httpd.count == 0"
  notify "ops" { message = "httpd down, nginx has {{ process.nginx.count }} processes" }
}
