// Package actions carries out what a rule asks for once its message is rendered. It holds
// the notifier registry (registry.go: one descriptor per kind, each declared in its folder
// under notify/) and exec/, the process runner of exec steps; the engine runs the steps
// (notify, exec, wait, renotify) and decides when.
//
// An action knows nothing about rules beyond the rendered Message and its own settings; the
// engine renders the text (escaping placeholder output with the notifier's Escaper) and
// hands the Message over.
package actions
