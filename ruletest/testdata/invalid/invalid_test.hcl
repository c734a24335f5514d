test "everything wrong" {
  rules    = "../overload"
  interval = "1m"

  input "cpu.avgg"      { values = "10 60x3" }
  input "mem.real_pct"  { values = "30 3O 30" }
  input "http.site.up"  { values = "1 1 2 0" }
  input "http.sitee.up" { values = "1" }
  input "http.site.error" { values = "0 0" }

  expect {
    at     = "90s"
    firing = ["overlaod"]
  }
  expect {
    at = "9m"
    notify "opz" { contains = "x" }
  }
}
