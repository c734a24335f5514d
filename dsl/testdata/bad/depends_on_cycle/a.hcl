rule "a" {
  when       = "cpu.pct > 90"
  depends_on = ["c"]
}

rule "b" {
  when       = "cpu.pct > 90"
  depends_on = ["a"]
}

rule "c" {
  when       = "cpu.pct > 90"
  depends_on = ["b"]
}

rule "self" {
  when       = "cpu.pct > 90"
  depends_on = ["self"]
}

rule "fine" {
  when       = "cpu.pct > 90"
  depends_on = ["a"]
}
