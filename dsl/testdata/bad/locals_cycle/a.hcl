locals {
  a = local.b + 1
  b = local.c + 1
  c = local.a + 1
  self = local.self
  # not in a cycle, only depends on one: no error of its own
  d = local.a * 2
  e = 4
}
