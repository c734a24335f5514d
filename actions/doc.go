// Package actions carries out what a rule asks for once its message is rendered: the
// notifiers (one folder per kind under notify/) and, later, the exec, wait and renotify steps.
//
// An action knows nothing about rules beyond the rendered Message and its own settings; the
// engine decides when to act, renders the text (escaping placeholder output with the
// notifier's Escaper) and hands the Message over.
package actions
