# the same name again, in another file
rule "overload" {
  when = "mem.real_pct > 50"
  notify "ops" { message = "mem" }
}
