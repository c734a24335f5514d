//go:build !linux

package net

import "errors"

// dumpTCP has no netlink to ask outside Linux.
func dumpTCP(states uint32, visit func(state uint8, port uint16)) error {
	return errors.New("sock_diag netlink is Linux's")
}
