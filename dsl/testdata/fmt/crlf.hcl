# Saved on Windows: CRLF line endings, kept.
rule "x" {
      when="cpu.avg3 > 50"
  notify "stdout" {
    message = <<-EOT
      cpu {{ cpu.avg3 }}
    EOT
  }
}
