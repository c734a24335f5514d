notifier "console" "ops" {}

probe "process" "httpd" { match = "^httpd$" }
probe "process" "java" { cmdline = "tomcat" }

rule "process_down" {
  when = "any(values(process), .cont == 0)"
  notify "ops" { message = "a process is down" }
}
