# Stands in for rules.d/00-notimon.hcl, which declares the "ops" notifier that
# 30-memory-leak.hcl sends through, so that this directory validates and its tests run on
# their own: notimon validate examples/memory-leak; notimon test examples.
# To use the rule, copy only 30-memory-leak.hcl into rules.d.
notifier "console" "ops" {}
