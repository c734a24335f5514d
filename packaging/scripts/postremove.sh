#!/bin/sh
# notimon's postrm (deb: "remove", "purge", "upgrade" …) or %postun (rpm: 0 erased,
# 1 upgraded). dpkg removes the conffiles (/etc/notimon/rules.d/*, /etc/notimon/env,
# /etc/cron.d/notimon) on purge; the purge also removes the state directory: the rules'
# states and the outbox of messages not delivered yet.
set -e

if [ -d /run/systemd/system ]; then
	systemctl daemon-reload >/dev/null 2>&1 || true
fi
if [ "$1" = purge ]; then
	rm -rf /var/lib/notimon
fi
exit 0
