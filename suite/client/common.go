package client

import (
	. "github.com/onsi/gomega"

	"github.com/primlab/primlab/reference/wire"
	"github.com/primlab/primlab/suite/harness"
)

// loggedIn starts the user agent and logs it in.
func loggedIn(h *harness.H, opts ...UAOptions) (*Lab, Session) {
	lab := Start(h, opts...)
	return lab, lab.Login()
}

// ok runs a driver command against a suite that answers everything and expects the user
// agent to report success.
func (l *Lab) ok(c Cmd) UAEvent {
	res := l.Result(l.Do(c))
	Expect(res.Error).To(BeEmpty(), "driver command %q failed locally: %s", c.Cmd, res)
	return res
}

// busySession has a logged-in user agent do one of everything a user does, and answer one
// of each request the server sends, with the suite answering all of it. The wire checks run
// over what it sent.
func busySession(h *harness.H) *Lab {
	lab, sess := loggedIn(h)
	lab.AnswerAll()
	if sess.Pres != nil {
		lab.ok(Cmd{Cmd: "subscribe", To: lab.Pres("bob"), Duration: 600})
		n := lab.Notify(lab.Pres("bob"), OpenTuple("t1", lab.IM("bob"), "hello"))
		sess.Pres.Send(n)
		sess.Pres.ExpectResponse(n.ID)
		lab.ok(Cmd{Cmd: "fetch", To: lab.Pres("carol")})
		lab.ok(Cmd{Cmd: "publish", Tuple: "desk", Status: "open", Note: "in the lab"})
		lab.ok(Cmd{Cmd: "publish", Tuple: "desk", Status: "closed", PIType: "leased", Duration: 60})
		lab.ok(Cmd{Cmd: "remove", Tuple: "desk"})
		lab.ok(Cmd{Cmd: "unsubscribe", To: lab.Pres("bob")})
	}
	if sess.IM != nil {
		lab.ok(Cmd{Cmd: "listen"})
		lab.ok(Cmd{Cmd: "send", To: lab.IM("bob"), Body: "héllo ☃ wörld"})
		in := lab.Request("SEND", "From", lab.IM("bob"), "To", lab.Self("im"), "Message-ID", h.Unique("m"),
			"Conversation-ID", h.Unique("conv"), "Content-Type", "text/plain; charset=UTF-8")
		in.Body = []byte("hi alice")
		sess.IM.Send(in)
		sess.IM.ExpectResponse(in.ID)
		lab.ok(Cmd{Cmd: "silence"})
	}
	lab.ok(Cmd{Cmd: "ping"})
	lab.Wait(h.Quiet() / 4)
	return lab
}

// requests returns every request the user agent sent on every connection.
func requests(lab *Lab) []*wire.Message {
	var out []*wire.Message
	for _, c := range lab.Conns() {
		for _, m := range c.Sent() {
			if m.IsRequest() {
				out = append(out, m)
			}
		}
	}
	return out
}

// imTo builds an instant message from bob to the lab's principal.
func imTo(h *harness.H, lab *Lab) *wire.Message {
	m := lab.Request("SEND", "From", lab.IM("bob"), "To", lab.Self("im"), "Message-ID", h.Unique("m"),
		"Conversation-ID", h.Unique("conv"), "Content-Type", "text/plain; charset=UTF-8")
	m.Body = []byte("hi alice")
	return m
}
