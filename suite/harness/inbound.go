package harness

import (
	"fmt"
	"strings"

	"github.com/onsi/ginkgo/v2"
	gtypes "github.com/onsi/gomega/types"

	"github.com/primlab/primlab/reference/wire"
)

// The target's outgoing server-server connections to the peer domain the suite plays
// (DESIGN.md "S2S role: ... accepts the target's outgoing server-server connections").

// pollInbound adopts new inbound connections as peers and answers their LOGINs.
func (h *H) pollInbound() {
	for _, s := range h.tr.Accepted() {
		name := fmt.Sprintf("inbound#%d", len(h.inbound)+1)
		h.note(name, "the target connected to the suite's server-server listener")
		h.inbound = append(h.inbound, &Peer{h: h, name: name, stream: s, dec: wire.NewDecoder(wire.DefaultLimits()),
			version: wire.VersionServer})
	}
	for _, p := range h.inbound {
		p.pump()
		p.serveLogin()
	}
}

// Inbound returns the connections the target opened towards the suite so far.
func (h *H) Inbound() []*Peer {
	h.pollInbound()
	return h.inbound
}

// serveLogin answers the target's LOGIN requests as a lenient peer server would: the initial
// LOGIN gets 100 with the first mechanism offered (and a challenge for CRAM-MD5), the
// continuing LOGIN gets 200. The suite does not judge the target's credentials here; cases
// that do read the LOGIN themselves before it is answered.
func (p *Peer) serveLogin() {
	var keep []*wire.Message
	for _, m := range p.backlog {
		if m.Method != "LOGIN" {
			keep = append(keep, m)
			continue
		}
		resp := &wire.Message{Version: m.Version, ID: m.ID}
		if v, ok := m.Get("Domain"); ok {
			resp.Add("Domain", v)
		}
		resp.Add("Auth-State", m.Value("Auth-State"))
		if m.Value("Auth-State") == "init" {
			mechs := strings.FieldsFunc(m.Value("SASL-Mech"), func(r rune) bool { return r == ' ' || r == ',' })
			mech := "ANONYMOUS"
			if len(mechs) > 0 {
				mech = mechs[0]
			}
			resp.Code = wire.StatusAuthContinued
			resp.Add("SASL-Mech", mech)
			if strings.EqualFold(mech, "CRAM-MD5") {
				resp.Add("Content-Type", "text/plain")
				resp.Body = []byte("<4711.1@" + p.h.cfg.PeerDomain + ">")
			}
		} else {
			resp.Code = wire.StatusOK
			resp.Add("SASL-Mech", m.Value("SASL-Mech"))
		}
		resp.Phrase = wire.Phrase(resp.Code)
		if m.ID != wire.NoResponse {
			p.Send(resp)
		}
	}
	p.backlog = keep
}

// ExpectS2SRequest waits for a request of method that the target sends to the peer domain,
// either on via (a server-server connection the suite opened; may be nil) or on a connection
// the target opened towards the suite (PRIM connections may be reused in either direction,
// prim-digest §6.2), and returns it with the peer it arrived on so the case can answer there.
// Which path the target took is recorded with Saw.
//
// The matchers select as well as judge: a request of method that does not match them (a
// NOTIFY for a subscription an external target keeps from an earlier case, say) is answered
// 200, noted in the transcript and skipped. When no request matches before the deadline but
// some were skipped, the case fails on the first of them, with the matchers' message.
func (h *H) ExpectS2SRequest(method string, via *Peer, matchers ...any) (*wire.Message, *Peer) {
	ginkgo.GinkgoHelper()
	for _, x := range matchers {
		if _, ok := x.(gtypes.GomegaMatcher); !ok {
			panic(fmt.Sprintf("harness: %T is not a gomega matcher", x))
		}
	}
	var got, skipped *wire.Message
	var on *Peer
	find := func(p *Peer) bool {
		for i := 0; i < len(p.backlog); i++ {
			m := p.backlog[i]
			if m.Method != method {
				continue
			}
			p.backlog = append(p.backlog[:i], p.backlog[i+1:]...)
			i--
			if matchesAll(m, matchers) {
				got, on = m, p
				return true
			}
			if skipped == nil {
				skipped = m
			}
			h.note(p.name, "skipped (does not match what the case waits for): "+describe(m))
			if m.ID != wire.NoResponse {
				p.Respond(m, wire.StatusOK)
			}
		}
		return false
	}
	h.tr.Wait(func() bool {
		if via != nil {
			via.pump()
			if find(via) {
				return true
			}
		}
		h.pollInbound()
		for _, p := range h.inbound {
			if find(p) {
				return true
			}
		}
		return false
	}, h.cfg.Timeout)
	if got == nil && skipped != nil {
		h.assert(skipped, matchers) // fails, saying which matcher the request missed
	}
	if got == nil {
		where := "on the suite's connection"
		if h.tr.Inbound() {
			where += " or on a connection to the suite's server-server listener"
		} else {
			where += " (no --s2s-listen: the target cannot connect back)"
		}
		h.Errorf("no %s request from the target within %v %s", method, h.cfg.Timeout, where)
	}
	if on == via {
		h.Saw("%s arrived on the connection the suite opened", method)
	} else {
		h.Saw("%s arrived on a connection the target opened (%s)", method, on.name)
	}
	return got, on
}

// matchesAll reports whether m satisfies every matcher.
func matchesAll(m *wire.Message, matchers []any) bool {
	for _, x := range matchers {
		ok, err := x.(gtypes.GomegaMatcher).Match(m)
		if err != nil || !ok {
			return false
		}
	}
	return true
}
