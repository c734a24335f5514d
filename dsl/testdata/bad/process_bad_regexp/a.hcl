probe "process" "httpd" { match = "(" }
