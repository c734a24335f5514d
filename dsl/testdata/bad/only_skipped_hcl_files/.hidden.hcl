rule "x" { when = "true" }
