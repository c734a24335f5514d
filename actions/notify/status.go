package notify

import (
	"fmt"
	"net/http"
)

// HTTPStatus names an HTTP status as errors show it, "HTTP 502 Bad Gateway", from the code
// alone: the reason phrase a server sends is its own text and is not quoted.
func HTTPStatus(code int) string {
	if text := http.StatusText(code); text != "" {
		return fmt.Sprintf("HTTP %d %s", code, text)
	}
	return fmt.Sprintf("HTTP %d", code)
}
