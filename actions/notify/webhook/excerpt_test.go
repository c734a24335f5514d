package webhook

import (
	"context"
	"strings"
	"testing"

	"github.com/notimon/notimon/actions/notify/webhook/webhooktest"
)

// nginxPage is the page nginx serves for a 502.
const nginxPage = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"

func TestExcerpt(t *testing.T) {
	for _, tc := range []struct {
		name, contentType, body, want string
	}{
		{"empty", "", " \r\n", ""},
		{"an HTML page", "text/html", nginxPage, ""},
		{"an HTML page sent as text/plain", "text/plain", "\n  <!DOCTYPE html><html>…", ""},
		{"an HTML page with no content type", "", nginxPage, ""},
		{"XHTML", "application/xhtml+xml; charset=utf-8", "?", ""},
		{"a JSON string (Alertmanager)", "application/json", `"invalid label set: invalid name \"a-b\""` + "\n", `invalid label set: invalid name "a-b"`},
		{"JSON is compacted", "application/json", "{\n  \"error\": \"bad token\",\n  \"code\": 401\n}\n", `{"error":"bad token","code":401}`},
		{"text becomes one line", "text/plain", "line one\r\n\tline two\x1b[31m red\x00", "line one line two [31m red"},
		{"invalid UTF-8", "", "bad \xff byte", "bad \uFFFD byte"},
		{"long text is cut", "", strings.Repeat("ab ", 100), strings.TrimSpace(strings.Repeat("ab ", 67))[:bodyExcerpt] + "…"},
		{"a cut never splits a character", "", strings.Repeat("a", bodyExcerpt-1) + "블록", strings.Repeat("a", bodyExcerpt-1) + "…"},
	} {
		if got := excerpt(tc.contentType, []byte(tc.body)); got != tc.want {
			t.Errorf("%s: excerpt = %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestErrorPagesAreNotQuoted: a 502 page from a proxy in front of the receiver reads
// "HTTP 502 Bad Gateway" in the error, and nothing of the page.
func TestErrorPagesAreNotQuoted(t *testing.T) {
	srv := webhooktest.NewServer(t, webhooktest.Status(502, nginxPage, "Content-Type", "text/html"))
	w, err := New("oncall", Config{URL: srv.URL + "/hook"})
	if err != nil {
		t.Fatal(err)
	}
	retryable, err := w.Notify(context.Background(), firing)
	want := "webhook: POST " + srv.URL + "/***: HTTP 502 Bad Gateway"
	if err == nil || err.Error() != want || !retryable {
		t.Errorf("Notify = %v, %v; want true, %q", retryable, err, want)
	}
}
