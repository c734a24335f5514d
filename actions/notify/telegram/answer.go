package telegram

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/notimon/notimon/actions/notify"
)

// maxAnswer bounds how much of an answer is read: a sendMessage answer is a few KiB.
const maxAnswer = 1 << 20

// maxDescription bounds how much of Telegram's description an error quotes.
const maxDescription = 512

// answer is what the Bot API said to one request, as apiTransport saw it: its HTTP status
// and its description, the reason Telegram gives for an error.
type answer struct {
	status      int
	description string
}

// answerKey is the context key under which send hands apiTransport an *answer to fill in.
type answerKey struct{}

// String is the error text of a Bot API error answer: "HTTP 400: Bad Request: chat not
// found", or the status alone when Telegram gave no description.
func (a answer) String() string {
	if a.description == "" {
		return notify.HTTPStatus(a.status)
	}
	return fmt.Sprintf("HTTP %d: %s", a.status, a.description)
}

// apiTransport reads every answer before go-telegram/bot does. An answer that is not Bot
// API JSON (the HTML page of an nginx in front of the Bot API, a captive portal, a proxy's
// refusal) becomes a *statusError that names the HTTP status only: the library would quote
// the whole body in its error, and from there into the log and the outbox. A Bot API
// answer is handed on unchanged, and its status and description go to the *answer in the
// request's context, for send to report.
type apiTransport struct{ next http.RoundTripper }

func (t apiTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("%s, then reading the answer failed: %w", notify.HTTPStatus(resp.StatusCode), err)
	}
	var api struct {
		OK          *bool  `json:"ok"`
		Description string `json:"description"`
	}
	if len(body) > maxAnswer || json.Unmarshal(body, &api) != nil || api.OK == nil {
		return nil, &statusError{code: resp.StatusCode}
	}
	if a, ok := req.Context().Value(answerKey{}).(*answer); ok {
		a.status, a.description = resp.StatusCode, cleanDescription(api.Description)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	return resp, nil
}

// statusError is an answer that is not Bot API JSON: its status is all that is worth
// reporting.
type statusError struct{ code int }

func (e *statusError) Error() string {
	s := notify.HTTPStatus(e.code)
	switch {
	case e.code >= 500:
		return s
	case e.code >= 200 && e.code < 300:
		return s + ", but the answer is not Bot API JSON (is api_url a Bot API server?)"
	}
	return s + ", and the answer is not Bot API JSON (is api_url a Bot API server? a proxy in the way?)"
}

// retryable reports whether another try may get through: a gateway or server in trouble,
// a timeout, flood control.
func (e *statusError) retryable() bool {
	return e.code >= 500 || e.code == http.StatusRequestTimeout || e.code == http.StatusTooManyRequests
}

// cleanDescription makes Telegram's description one line of at most maxDescription bytes.
func cleanDescription(s string) string { return notify.OneLine(s, maxDescription) }
