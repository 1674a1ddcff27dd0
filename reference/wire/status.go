package wire

// Status codes (prim-digest.md §3.11, with the Appendix A phrases of Decision D4).
const (
	StatusAuthContinued        = 100 // Authentication Continued (final answer to one LOGIN step)
	StatusUnknownDelivery      = 101 // Unknown Delivery Status (final answer to SEND)
	StatusOK                   = 200
	StatusDurationAdjusted     = 201
	StatusRedirect             = 300
	StatusBadRequest           = 400
	StatusUnauthorized         = 401
	StatusForbidden            = 402
	StatusResourceNotFound     = 403
	StatusSubscriptionNotFound = 404
	StatusAuthFailed           = 406
	StatusTimeout              = 407
	StatusInboxClosed          = 408
	StatusAlreadyAuthenticated = 409
	StatusAStrengthTooWeak     = 410
	StatusInternalError        = 500
	StatusNotImplemented       = 501
	StatusBadGateway           = 502 // server profile only
	StatusVersionNotSupported  = 503
	StatusGatewayTimeout       = 504 // server profile only
	StatusTooManySubscriptions = 505
)

var phrases = map[int]string{
	StatusAuthContinued:        "Authentication Continued",
	StatusUnknownDelivery:      "Unknown Delivery Status",
	StatusOK:                   "OK",
	StatusDurationAdjusted:     "Duration Adjusted",
	StatusRedirect:             "Redirect",
	StatusBadRequest:           "Bad Request",
	StatusUnauthorized:         "Unauthorized",
	StatusForbidden:            "Forbidden",
	StatusResourceNotFound:     "Resource Not Found",
	StatusSubscriptionNotFound: "Subscription Not Found",
	StatusAuthFailed:           "Authentication Failed", // Decision D4, not "Authorization Failed"
	StatusTimeout:              "Timeout",
	StatusInboxClosed:          "Inbox Is Closed",
	StatusAlreadyAuthenticated: "Already Authenticated",
	StatusAStrengthTooWeak:     "Astrength Too Weak", // Decision D4: the Appendix A spelling
	StatusInternalError:        "Internal Server Error",
	StatusNotImplemented:       "Not Implemented",
	StatusBadGateway:           "Bad Gateway",
	StatusVersionNotSupported:  "Version Not Supported", // Decision D4: 503, not 505
	StatusGatewayTimeout:       "Gateway Timeout",
	StatusTooManySubscriptions: "Too Many Subscriptions",
}

// Phrase returns the response phrase for code, or "" for a code PRIM does not define.
// Receivers key on the code only and ignore the phrase (Decision D4).
func Phrase(code int) string { return phrases[code] }

// Known reports whether code is one of the codes of §3.11 (either profile).
func Known(code int) bool { _, ok := phrases[code]; return ok }

// ServerOnly reports whether code exists only in the server profile (502 and 504, SS §8).
func ServerOnly(code int) bool { return code == StatusBadGateway || code == StatusGatewayTimeout }

// KnownIn reports whether code is defined for profile p.
func KnownIn(p Profile, code int) bool {
	return Known(code) && (p == ProfileServer || !ServerOnly(code))
}

// Codes returns every defined code in ascending order.
func Codes() []int {
	return []int{100, 101, 200, 201, 300, 400, 401, 402, 403, 404, 406, 407, 408, 409, 410,
		500, 501, 502, 503, 504, 505}
}

// CodeClass returns the code's class digit (1 to 5), as HTTP/1.1 classes them (PRIM-A18-6).
func CodeClass(code int) int { return code / 100 }
