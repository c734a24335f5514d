test "overload fires after 2m" {
  interval = "1m"
  input "cpu.avg3" { values = "60x4" }

  expect {
    at      = "1m"
    pending = ["overload"]
  }
  expect {
    at     = "2m"
    firing = ["overload"]
    notify "ops" { text = "cpu at 60%" }
    exec { command = ["systemctl", "restart", "tomcat"] }
  }
}

test "wrong: 100% sure it fires at 1m" {
  interval            = "1m"
  expect_nothing_else = true
  input "cpu.avg3" { values = "60x3" }

  expect {
    at     = "1m"
    firing = ["overload"]
  }
  expect {
    at = "2m"
    notify "ops" { text = "cpu at 70%" }
    exec { command = ["systemctl", "restart", "nginx"] }
  }
}

test "invalid: unknown field" {
  input "cpu.avgg" { values = "1" }
  expect {
    at       = "0"
    inactive = ["overload"]
  }
}
