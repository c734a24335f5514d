locals {
  limit = 50
}
