test "half" {
  expect { at = "0" firing = ["overload"] }
}
