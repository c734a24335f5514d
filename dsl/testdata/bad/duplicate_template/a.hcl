template "usage" {
  text = "cpu {{ cpu.avg3 }}%"
}

template "usage" {
  text = "mem {{ mem.real_pct }}%"
}
