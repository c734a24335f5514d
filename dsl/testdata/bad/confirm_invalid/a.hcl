rule "flappy" {
  when    = "cpu.pct > 90"
  confirm = "3 out of 5"
}
rule "impossible" {
  when    = "cpu.pct > 90"
  confirm = "6 of 5"
}
