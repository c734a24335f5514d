# Stands in for rules.d/00-notimon.hcl, which declares the "ops" notifier the rules here
# send through, so that this directory validates and its tests run on their own:
# notimon validate examples/maintenance-deps; notimon test examples.
notifier "console" "ops" {}
