//go:build !linux

package main

// dropExecutablePages is Linux's: elsewhere the pages stay.
func dropExecutablePages() {}
