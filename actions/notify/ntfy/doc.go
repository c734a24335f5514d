// Package ntfy is the notifier that pushes each message to an ntfy topic (ntfy.sh or a
// self-hosted server), and from there to phones and desktops:
//
//	notifier "ntfy" "phone" {
//	  url     = "https://ntfy.sh/notimon-web-01-3f9a"  # the server and the topic
//	  token   = env("NTFY_TOKEN")                      # an access token (tk_…), sent as Bearer
//	  title   = "[{{ host.name }}] {{ rule.name }} {{ rule.state }}"  # the default
//	  tags    = ["computer"]                           # emoji short codes or plain tags
//	  timeout = "5s"                                   # per attempt (one request); default 10s
//	}
//
// Each message is one POST of ntfy's JSON form to the server's root (the url without its
// last segment, so a server under a path prefix works):
//
//	{"topic": "notimon-web-01-3f9a", "message": "<message, plain text>",
//	 "title": "[web-01] overload firing", "tags": ["computer"], "priority": 5}
//
// The title is a template like a message, rendered without escaping and made one line
// (notify.HeaderValue). The priority follows the rule's severity: critical 5 (urgent),
// warning 4 (high), info and any other 3 (default); a resolve is always 3, so that it does
// not ring like the alert it ends. ntfy keeps at most 4096 bytes of a message (it turns a
// longer one into an attachment, or refuses it); notimon cuts a longer message first, at a
// line break where it can, on a character boundary, and ends it with a marker.
//
// On ntfy.sh the topic name is the only protection of a topic without a token, so it is
// treated as a secret: it is in the body, never in a URL an error shows, and the token is
// redacted from every error. A 429 waits for its Retry-After, 5xx and network errors are
// retried with the outbox's backoff, other refusals (401, 403, 413) are final.
package ntfy
