#!/bin/sh
ls /var/spool/queue | wc -l
