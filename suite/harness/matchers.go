package harness

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	gtypes "github.com/onsi/gomega/types"

	"github.com/primlab/primlab/reference/wire"
)

// messageMatcher is a gomega matcher over a *wire.Message (or an Event carrying one) whose
// failure messages show the message's start line and headers, not a Go struct dump.
type messageMatcher struct {
	desc  string
	match func(m *wire.Message) bool
}

var _ gtypes.GomegaMatcher = messageMatcher{}

func toMessage(actual any) (*wire.Message, error) {
	switch a := actual.(type) {
	case *wire.Message:
		if a == nil {
			return nil, fmt.Errorf("no message")
		}
		return a, nil
	case Event:
		if a.Msg == nil {
			return nil, nil
		}
		return a.Msg, nil
	}
	return nil, fmt.Errorf("harness matcher: want *wire.Message or harness.Event, got %T", actual)
}

func (mm messageMatcher) Match(actual any) (bool, error) {
	m, err := toMessage(actual)
	if err != nil || m == nil {
		return false, err
	}
	return mm.match(m), nil
}

func (mm messageMatcher) FailureMessage(actual any) string {
	return fmt.Sprintf("expected %s\nactual:   %s", mm.desc, actualText(actual))
}

func (mm messageMatcher) NegatedFailureMessage(actual any) string {
	return fmt.Sprintf("expected not %s\nactual:   %s", mm.desc, actualText(actual))
}

func actualText(actual any) string {
	switch a := actual.(type) {
	case *wire.Message:
		if a == nil {
			return "no message"
		}
		return describe(a)
	case Event:
		return a.String()
	}
	return fmt.Sprintf("%v", actual)
}

func matcherText(m gtypes.GomegaMatcher) string {
	switch x := m.(type) {
	case messageMatcher:
		return x.desc
	case eventMatcher:
		return x.desc
	}
	return fmt.Sprintf("%T", m)
}

// HaveCode matches a response with one of the status codes.
func HaveCode(codes ...int) gtypes.GomegaMatcher {
	parts := make([]string, len(codes))
	for i, c := range codes {
		parts[i] = fmt.Sprintf("%d %s", c, wire.Phrase(c))
	}
	return messageMatcher{
		desc:  "a response with status " + strings.Join(parts, " or "),
		match: func(m *wire.Message) bool { return !m.IsRequest() && slices.Contains(codes, m.Code) },
	}
}

// HaveErrorCode matches a 4xx or 5xx response.
func HaveErrorCode() gtypes.GomegaMatcher {
	return messageMatcher{
		desc:  "an error response (4xx or 5xx)",
		match: func(m *wire.Message) bool { return !m.IsRequest() && m.Code >= 400 && m.Code <= 599 },
	}
}

// HaveHeader matches a message with the header (names are case-sensitive, PRIM-A8.1.1-1); with
// a value, its first occurrence must equal it.
func HaveHeader(name string, value ...string) gtypes.GomegaMatcher {
	if len(value) > 1 {
		panic("harness: HaveHeader takes at most one value")
	}
	desc := fmt.Sprintf("a header %q", name)
	if len(value) == 1 {
		desc = fmt.Sprintf("header %q with value %q", name, value[0])
	}
	return messageMatcher{desc: desc, match: func(m *wire.Message) bool {
		v, ok := m.Get(name)
		return ok && (len(value) == 0 || v == value[0])
	}}
}

// HaveBody matches a message whose body is exactly body, or, without an argument, any
// message with a non-empty body.
func HaveBody(body ...[]byte) gtypes.GomegaMatcher {
	if len(body) == 1 {
		return messageMatcher{desc: fmt.Sprintf("body %q", body[0]), match: func(m *wire.Message) bool {
			return string(m.Body) == string(body[0])
		}}
	}
	return messageMatcher{desc: "a body", match: func(m *wire.Message) bool { return len(m.Body) > 0 }}
}

// HaveNoBody matches a message with content-length 0.
func HaveNoBody() gtypes.GomegaMatcher {
	return messageMatcher{desc: "no body (content-length 0)", match: func(m *wire.Message) bool { return len(m.Body) == 0 }}
}

// HaveID matches a message with the request id.
func HaveID(id string) gtypes.GomegaMatcher {
	return messageMatcher{desc: fmt.Sprintf("request id %q", id), match: func(m *wire.Message) bool { return m.ID == id }}
}

// HaveVersion matches a message with the version token.
func HaveVersion(v string) gtypes.GomegaMatcher {
	return messageMatcher{desc: fmt.Sprintf("version %q", v), match: func(m *wire.Message) bool { return m.Version == v }}
}

// BeRequest matches a request of the method.
func BeRequest(method string) gtypes.GomegaMatcher {
	return messageMatcher{desc: "a " + method + " request", match: func(m *wire.Message) bool { return m.Method == method }}
}

// HavePositiveDuration matches a message whose Duration header is a positive number of
// seconds.
func HavePositiveDuration() gtypes.GomegaMatcher {
	return messageMatcher{desc: "a positive Duration header", match: func(m *wire.Message) bool {
		n, err := strconv.Atoi(m.Value("Duration"))
		return err == nil && n > 0
	}}
}

// eventMatcher matches an Event that carries no message.
type eventMatcher struct {
	desc  string
	match func(Event) bool
}

func (em eventMatcher) Match(actual any) (bool, error) {
	ev, ok := actual.(Event)
	if !ok {
		if _, isMsg := actual.(*wire.Message); isMsg {
			return false, nil
		}
		return false, fmt.Errorf("harness matcher: want harness.Event, got %T", actual)
	}
	return em.match(ev), nil
}

func (em eventMatcher) FailureMessage(actual any) string {
	return fmt.Sprintf("expected %s\nactual:   %s", em.desc, actualText(actual))
}

func (em eventMatcher) NegatedFailureMessage(actual any) string {
	return fmt.Sprintf("expected not %s\nactual:   %s", em.desc, actualText(actual))
}

// BeDisconnected matches the end of the connection (the target closed or reset it).
func BeDisconnected() gtypes.GomegaMatcher {
	return eventMatcher{desc: "the connection closed", match: func(e Event) bool { return e.Closed && e.Msg == nil }}
}

// BeQuiet matches nothing arriving before the deadline, with the connection still open.
func BeQuiet() gtypes.GomegaMatcher {
	return eventMatcher{desc: "nothing before the deadline", match: func(e Event) bool { return e.Timeout }}
}
