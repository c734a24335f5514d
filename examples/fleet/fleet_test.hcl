# Tests of 00-fleet.hcl. Run them with: notimon test examples
# (They check the rule's messages; the resends every resend_delay are not messages of the
# rule, so they do not show here.)

test "root disk: over 90% for five minutes fires to the Alertmanager cluster, and resolves" {
  interval = "1m"

  input "disk[\"/\"].used_pct" { values = "80 95x7 70" }
  input "disk[\"/\"].free_bytes" { values = "20e9 5e9x7 30e9" }

  expect {
    at      = "5m"
    pending = ["root_disk_full"]
  }
  expect {
    at     = "6m"
    firing = ["root_disk_full"]
    notify "fleet" {
      text = <<-EOT
        localhost: / is 95% full
        free: 5 GB
      EOT
    }
  }
  expect {
    at       = "9m"
    resolved = ["root_disk_full"]
    notify "fleet" { text = "localhost: / is back to 70% full" }
  }
}
