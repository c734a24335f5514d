#!/bin/sh
# restarts the application server
systemctl restart tomcat
