#!/bin/sh
# notimon's postinst (deb: "configure" [old version]) or %post (rpm: 1 installed, 2 upgraded).
# It starts nothing the admin did not enable: notimon.service stays disabled and the line in
# /etc/cron.d/notimon commented out until the admin says otherwise. On an upgrade, a daemon
# that is running is restarted (try-restart starts nothing that is stopped), so it runs the
# new binary.
set -e

upgrade=
case "$1" in
configure) [ -n "$2" ] && upgrade=1 ;;
[2-9]) upgrade=1 ;;
esac

if [ -d /run/systemd/system ]; then
	systemctl daemon-reload >/dev/null 2>&1 || true
	if [ -n "$upgrade" ]; then
		systemctl try-restart notimon.service >/dev/null 2>&1 || true
	fi
fi

if [ -z "$upgrade" ]; then
	cat <<'MSG'
notimon is installed; nothing runs yet. Put the Telegram credentials in /etc/notimon/env, then
  notimon validate --env-file /etc/notimon/env /etc/notimon/rules.d
and either  systemctl enable --now notimon  or uncomment the line in /etc/cron.d/notimon.
MSG
fi
exit 0
