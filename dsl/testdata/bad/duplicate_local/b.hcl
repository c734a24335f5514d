locals {
  limit = 60
}
