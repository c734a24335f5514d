probe "process" "httpd" {}
