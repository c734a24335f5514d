test "wrong expectations" {
  interval = "1m"
  only     = ["overload"]

  input "cpu.avg3"     { values = "10 60x3 20" }
  input "mem.real_pct" { values = "30x5" }

  expect {
    at     = "2m"
    firing = ["overload"]
  }
  expect {
    at     = "3m"
    firing = ["overload"]
    notify "ops" {
      text = <<-EOT
        <b>[web-01 server]</b>
        memory usage is over its limit (50%)
        cpu usage: 60%
        memory usage: 30%
        restarting tomcat
      EOT
    }
    exec { command = ["systemctl", "restart", "nginx"] }
  }
}
