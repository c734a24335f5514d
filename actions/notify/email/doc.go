// Package email is the notifier that sends each message as one email through an SMTP
// server:
//
//	notifier "email" "mail" {
//	  smtp          = "smtp.example.org:587"
//	  from          = "notimon <notimon@example.org>"
//	  to            = ["ops@example.org"]
//	  subject       = "[{{ host.name }}] {{ rule.name }} {{ rule.state }}"  # the default
//	  username      = "notimon"
//	  password_file = "/etc/notimon/smtp-password"
//	  tls           = "starttls"  # default; "tls" for port 465; "none" for a loopback relay
//	}
//
// The message is RFC 5322 with MIME: UTF-8 text, quoted-printable, Date, Message-ID; with
// html = true, multipart/alternative with a plain-text part. The subject is the kind's
// title template (spec.TypeTemplate), rendered by the engine into notify.Message.Title
// and put into the header through notify.HeaderValue and RFC 2047 encoding. Every message
// of one incident of a rule refers to one Message-ID (IncidentID) in In-Reply-To and
// References, so a firing and its resolve form a thread.
//
// It is built on net/smtp: one transaction per attempt (EHLO, STARTTLS, AUTH PLAIN, MAIL,
// RCPT for each recipient, DATA). A 4xx reply or a network error is retryable; a 5xx
// reply, a certificate that does not verify or a server without STARTTLS is final. The
// password is redacted from every error.
package email
