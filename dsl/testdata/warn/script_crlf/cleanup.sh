#!/bin/bash
# removes stale lock files
rm -f /var/lock/app/*.lock
