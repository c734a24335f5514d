package tcp

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/notimon/notimon/probes/internal/fixture"
)

var now = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func TestSample(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := closed.Addr().String()
	closed.Close()

	for _, tc := range []struct {
		name    string
		address string
		want    Values // LatencyMs is checked separately
	}{
		{"listening port", l.Addr().String(), Values{Up: true}},
		{"closed port", closedAddr, Values{Error: "connection refused"}},
		{"no port", "127.0.0.1", Values{Error: "address 127.0.0.1: missing port in address"}},
		{"bad port", "127.0.0.1:99999", Values{Error: "address 99999: invalid port"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Sample(context.Background(), Config{Address: tc.address, Timeout: 2 * time.Second}, now)
			lat := got.LatencyMs
			got.LatencyMs = 0
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
			if tc.want.Up != (lat > 0) {
				t.Errorf("latency_ms = %v; want > 0 exactly when up", lat)
			}
		})
	}
}

func TestSampleCanceled(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	got := Sample(ctx, Config{Address: l.Addr().String()}, now)
	if got.Up || !strings.HasPrefix(got.Error, "canceled") {
		t.Errorf("got %+v, want down and canceled", got)
	}
}

func TestFromAttrs(t *testing.T) {
	for _, tc := range []struct {
		name    string
		attrs   map[string]any
		want    Config
		wantErr string
	}{
		{"defaults", map[string]any{"address": "127.0.0.1:5432"}, Config{Address: "127.0.0.1:5432", Timeout: DefaultTimeout}, ""},
		{"timeout", map[string]any{"address": "db:5432", "timeout": time.Second}, Config{Address: "db:5432", Timeout: time.Second}, ""},
		{"ipv6", map[string]any{"address": "[::1]:22"}, Config{Address: "[::1]:22", Timeout: DefaultTimeout}, ""},
		{"zero timeout", map[string]any{"address": "db:1", "timeout": time.Duration(0)}, Config{Address: "db:1", Timeout: DefaultTimeout}, ""},
		{"missing", map[string]any{}, Config{}, "address is missing"},
		{"no port", map[string]any{"address": "db"}, Config{}, `address "db" is not host:port`},
		{"ipv6 without brackets", map[string]any{"address": "::1:22"}, Config{}, "is not host:port"},
		{"no host", map[string]any{"address": ":5432"}, Config{}, `address ":5432" has no host; write 127.0.0.1:5432`},
		{"port 0", map[string]any{"address": "db:0"}, Config{}, `port "0" is not a number from 1 to 65535`},
		{"named port", map[string]any{"address": "db:postgres"}, Config{}, `port "postgres" is not a number`},
		{"wrong type", map[string]any{"address": 5432}, Config{}, "attribute address: want string, got int"},
		{"unknown", map[string]any{"address": "db:1", "port": 1.0}, Config{}, `unknown attribute "port"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := FromAttrs(tc.attrs)
			if fixture.WantError(t, err, tc.wantErr) {
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}
