rule "overload" {
  when   = "cpu.avg3 > 50 || mem.rael_pct > 50"
  repeat = "1 day"
  notify "opps" { message = "cpu {{ cpu.avg3 }}" }
  exec { command = "systemctl restart tomcat" }
}

rule "site_down" {
  when = "!http.site.up"
  notify "ops" { message = "site down: {{ http.site.statuss }}" }
}
