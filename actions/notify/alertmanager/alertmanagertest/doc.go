// Package alertmanagertest is for tests only: it runs a real Alertmanager (Debian's
// prometheus-alertmanager) on a free 127.0.0.1 port for the duration of a test and reads
// its alerts back through the API v2, so that the alertmanager notifier's integration test
// and the engine's end-to-end tests post to the real thing. Tests skip when it is not
// installed (.ci/run installs it). Non-test code must not import it.
package alertmanagertest
