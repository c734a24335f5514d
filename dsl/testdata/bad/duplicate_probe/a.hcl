probe "process" "httpd" { match = "^httpd$" }

probe "process" "httpd" { match = "^apache2$" }
