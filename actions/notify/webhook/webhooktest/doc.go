// Package webhooktest is for tests only: the HTTP harness the webhook and alertmanager
// notifiers' tests share to drive webhook.Sender — a test server that records what it is
// sent and answers with scripted handlers (statuses, dropped connections, hangs, echoes of
// the credentials it received) and an address that refuses connections. Non-test code must
// not import it.
package webhooktest
