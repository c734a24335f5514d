# Telegram commands: bad allowed_users items, a bad commands value, allowed_users without
# commands, an empty list, a single user not in a list.
notifier "telegram" "ops" {
  token         = "123:abc"
  chat_id       = -1001234567890
  commands      = true
  allowed_users = [123456789, "alice", -1001234567890, 12.5, "@bob_the_admin", "42", "@x"]
}

notifier "telegram" "typo" {
  token    = "123:abc"
  chat_id  = 1
  commands = "yes"
}

notifier "telegram" "nocommands" {
  token         = "123:abc"
  chat_id       = 1
  allowed_users = ["@alice_ops"]
}

notifier "telegram" "empty" {
  token         = "123:abc"
  chat_id       = 1
  commands      = true
  allowed_users = []
}

notifier "telegram" "single" {
  token         = "123:abc"
  chat_id       = 1
  commands      = true
  allowed_users = "@alice_ops"
}
