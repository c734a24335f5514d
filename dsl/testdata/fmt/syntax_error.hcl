rule "x" {
  when = "cpu.avg3 > 50"
  on_resolve { notify "ops" { message = "a" } notify "ops" { message = "b" } }
}
