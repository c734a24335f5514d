notifier "console" "ops" {}

probe "http" "site" {
  url     = "file:///var/www/index.html"
  timeout = "3 seconds"
}

probe "proces" "httpd" { match = "^httpd$" }
