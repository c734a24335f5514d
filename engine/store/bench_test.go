package store

import (
	"strings"
	"testing"
)

// BenchmarkEnqueueAck measures one notification's trip through the outbox: Enqueue (temp
// file, fsync, rename, directory fsync) and Ack (remove, directory fsync). fsync dominates.
func BenchmarkEnqueueAck(b *testing.B) {
	s := mustOpen(b, stateDir(b), Options{})
	payload := message{Rule: "overload", Text: strings.Repeat("cpu usage: 93.17%\n", 20)}
	b.ReportAllocs()
	for b.Loop() {
		e, err := s.Enqueue("ops", payload)
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Ack(e.ID); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSave measures one tick's state write for 200 rules.
func BenchmarkSave(b *testing.B) {
	s := mustOpen(b, stateDir(b), Options{})
	doc := ruleState{Version: 1, Rules: map[string]ruleEntry{}}
	for i := range 200 {
		doc.Rules[strings.Repeat("r", i%20+1)+string(rune('a'+i%26))+string(rune('0'+i%10))] = ruleEntry{State: "inactive", Since: t0}
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Save(doc); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPending measures reading a backlog of 100 entries (a notifier down for a while).
func BenchmarkPending(b *testing.B) {
	s := mustOpen(b, stateDir(b), Options{})
	for range 100 {
		if _, err := s.Enqueue("ops", message{Text: "disk almost full: /var"}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if got, err := s.Pending(); err != nil || len(got) != 100 {
			b.Fatal(len(got), err)
		}
	}
}
