#!/bin/sh
# notimon's prerm (deb: "remove", "upgrade" …) or %preun (rpm: 0 erased, 1 upgraded).
# On removal (not on an upgrade), the daemon is stopped and disabled: its binary is about
# to go.
set -e

case "$1" in
remove | 0)
	if [ -d /run/systemd/system ]; then
		systemctl stop notimon.service >/dev/null 2>&1 || true
	fi
	if command -v systemctl >/dev/null 2>&1; then
		systemctl disable notimon.service >/dev/null 2>&1 || true
	fi
	;;
esac
exit 0
