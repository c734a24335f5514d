package engine

import (
	"testing"

	"github.com/notimon/notimon/dsl"
)

func TestStatusLink(t *testing.T) {
	for _, tc := range []struct {
		server *dsl.Server
		want   string
	}{
		{nil, ""},
		{&dsl.Server{Listen: "127.0.0.1:9798"}, "http://127.0.0.1:9798/#rule-disk%20full"},
		{&dsl.Server{Listen: "0.0.0.0:9798"}, "http://web-01:9798/#rule-disk%20full"},
		{&dsl.Server{Listen: ":9798", TLSCertFile: "/etc/notimon/cert.pem"}, "https://web-01:9798/#rule-disk%20full"},
		{&dsl.Server{Listen: "[::]:9798"}, "http://web-01:9798/#rule-disk%20full"},
		{&dsl.Server{Listen: "[fd00::7]:9798"}, "http://[fd00::7]:9798/#rule-disk%20full"},
		{&dsl.Server{Listen: "status.web-01.example.org:443", TLSCertFile: "c"}, "https://status.web-01.example.org:443/#rule-disk%20full"},
	} {
		if got := statusLink(tc.server, "web-01", "disk full"); got != tc.want {
			t.Errorf("statusLink(%+v) = %q, want %q", tc.server, got, tc.want)
		}
	}
}
