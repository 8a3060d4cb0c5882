package smtp

// Named reasons. The same word appears in the mail log, in added headers and
// in the web UI, so one thing is called one name everywhere.
const (
	ReasonRelayDenied    = "relay_denied"
	ReasonAccessMap      = "access_map"
	ReasonBlocked        = "blocked"
	ReasonDNSBL          = "dnsbl"
	ReasonRateLimit      = "rate_limit"
	ReasonAuthFailed     = "auth_failed"
	ReasonAuthThrottled  = "auth_throttled"
	ReasonTooManyConns   = "too_many_connections"
	ReasonProtocol       = "protocol_error"
	ReasonSyntax         = "syntax_error"
	ReasonBareLF         = "bare_lf"
	ReasonTooBig         = "message_too_big"
	ReasonTooManyRcpts   = "too_many_recipients"
	ReasonLoop           = "mail_loop"
	ReasonVirus          = "virus"
	ReasonSpam           = "spam"
	ReasonScannerFailed  = "scanner_failed"
	ReasonRule           = "rule"
	ReasonDiskFull       = "disk_full"
	ReasonLocalError     = "local_error"
	ReasonUnknownRcpt    = "unknown_recipient"
	ReasonShuttingDown   = "shutting_down"
	ReasonAmbiguousMIME  = "ambiguous_mime"
	ReasonEarlyTalker    = "early_talker"
	ReasonLimitsExceeded = "limits_exceeded"
	ReasonEncrypted      = "encrypted"
)

// Common replies. Callers copy them with Wrap or WithText.
var (
	ErrRelayDenied  = New(550, EnhancedCode{5, 7, 1}, ReasonRelayDenied, "Relay access denied")
	ErrTempLocal    = New(451, EnhancedCode{4, 3, 0}, ReasonLocalError, "Local error in processing, try again later")
	ErrDiskFull     = New(452, EnhancedCode{4, 3, 1}, ReasonDiskFull, "Insufficient system storage")
	ErrTooBig       = New(552, EnhancedCode{5, 3, 4}, ReasonTooBig, "Message size exceeds fixed limit")
	ErrTooManyRcpts = New(452, EnhancedCode{4, 5, 3}, ReasonTooManyRcpts, "Too many recipients")
	ErrBareLF       = New(550, EnhancedCode{5, 5, 2}, ReasonBareLF, "Bare CR or LF in message; line endings must be CRLF")
	ErrLoop         = New(554, EnhancedCode{5, 4, 6}, ReasonLoop, "Too many hops, mail loop detected")
	ErrScannerFail  = New(451, EnhancedCode{4, 7, 1}, ReasonScannerFailed, "Message could not be scanned, try again later")
	ErrShutdown     = New(421, EnhancedCode{4, 3, 2}, ReasonShuttingDown, "Service shutting down")
	ErrRateLimit    = New(451, EnhancedCode{4, 7, 1}, ReasonRateLimit, "Sending rate limit exceeded, try again later")
)
