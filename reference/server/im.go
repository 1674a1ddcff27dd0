package server

import (
	"github.com/primlab/primlab/reference/addr"
	"github.com/primlab/primlab/reference/engine"
	"github.com/primlab/primlab/reference/pidf"
	"github.com/primlab/primlab/reference/wire"
)

// inbox is one local instant inbox: its ACL and the connections listening on it (§5.1).
type inbox struct {
	local     string
	id        addr.ID
	acl       *acl
	listeners map[engine.ConnID]bool
}

func (s *Server) inboxOf(id addr.ID) *inbox {
	if !s.hasAccount(id) {
		return nil
	}
	k := canonLocal(id.Local)
	ib := s.inboxes[k]
	if ib == nil {
		ib = &inbox{local: k, id: addr.ID{Scheme: addr.SchemeIM, Local: k, Domain: s.domainKey},
			acl: defaultACL(pidf.InboxACL, s.cfg.DenyByDefault), listeners: map[engine.ConnID]bool{}}
		s.inboxes[k] = ib
	}
	return ib
}

// listen handles LISTEN and SILENCE (I2 §11.2): per connection (PRIM-A11.2.2-1).
func (s *Server) listen(c *conn, m *wire.Message, from addr.ID) {
	ib := s.inboxOf(from)
	if ib == nil {
		s.fail(c, m, wire.StatusResourceNotFound, "no such inbox")
		return
	}
	op := pidf.Listen
	if m.Method == "SILENCE" {
		op = pidf.Silence
	}
	if !ib.acl.permits(from, s.principal(c, addr.SchemeIM), op) {
		s.fail(c, m, wire.StatusForbidden, string(op)+" not allowed by the ACL")
		return
	}
	if m.Method == "LISTEN" {
		ib.listeners[c.id] = true // a repeated LISTEN is a no-op 200 (§5.1)
		put(&c.listening, ib.local, true)
	} else {
		if !ib.listeners[c.id] {
			s.fail(c, m, wire.StatusInboxClosed, "SILENCE from a connection not listening") // PRIM-A11.2.2-3
			return
		}
		delete(ib.listeners, c.id)
		delete(c.listening, ib.local)
	}
	s.respond(c, reply(m, wire.StatusOK, "From"))
}

// sendFromClient routes a UA's SEND: to local listeners, or to the inbox's domain.
func (s *Server) sendFromClient(c *conn, m *wire.Message, from, to addr.ID) {
	done := func(code int) {
		if code == wire.StatusBadGateway || code == wire.StatusGatewayTimeout {
			code = wire.StatusTimeout // client profile has no 502/504 (Decision D35)
		}
		s.respond(c, reply(m, code, "From", "To", "Message-ID", "Conversation-ID"))
		s.observe(IMResponse{Conn: c.id, From: from.String(), Inbox: to.String(), MessageID: m.Value("Message-ID"), Code: code})
	}
	if s.isLocal(to) {
		s.deliver(m, from, to, uaStrength(m, c), done)
		return
	}
	s.relaySend(c, m, to, done)
}

// sendRank orders SEND outcomes, most positive first (Decision D43): 200, 101, 408, 402, then
// anything else (lowest code first).
func sendRank(code int) int {
	switch code {
	case wire.StatusOK:
		return 0
	case wire.StatusUnknownDelivery:
		return 1
	case wire.StatusInboxClosed:
		return 2
	case wire.StatusForbidden:
		return 3
	}
	return 4 + code
}

// deliver hands a SEND to every connection listening on a local inbox and calls done exactly
// once with the most positive answer (PRIM-A10.2.1-2, Decision D43): when all listeners have
// answered, or at the relay timeout (Decision D35).
func (s *Server) deliver(m *wire.Message, from, to addr.ID, strength string, done func(int)) {
	ib := s.inboxOf(to)
	if ib == nil {
		done(wire.StatusInboxClosed) // no such inbox: nobody can be listening
		return
	}
	if !ib.acl.permits(ib.id, from, pidf.Send) {
		done(wire.StatusForbidden) // §5.2: checked at the inbox's home server
		return
	}
	best := -1
	outstanding := 0
	finished := false
	var timer engine.TimerID
	record := func(code int) {
		if best < 0 || sendRank(code) < sendRank(best) {
			best = code
		}
	}
	finish := func() {
		if finished {
			return
		}
		finished = true
		s.cancelTimer(timer)
		if best < 0 {
			best = wire.StatusInboxClosed // nobody listening (§5.2)
		}
		done(best)
	}
	for _, id := range sortedConnIDs(ib.listeners) {
		lc := s.conns[id]
		if lc == nil || !lc.authed[wire.ServiceIM] {
			continue
		}
		// PRIM-A15-5/6, Decision D17: the IM and its end-to-end headers go unchanged; only the
		// hop-by-hop AStrength is set (PRIM-A9.1.7-4).
		fw := &wire.Message{Method: "SEND", Version: wire.VersionIM, Body: m.Body}
		for _, h := range m.Headers {
			if h.Name != "AStrength" {
				fw.Add(h.Name, h.Value)
			}
		}
		fw.Add("AStrength", strength)
		outstanding++
		ok := s.sendRequest(lc, fw, &outReq{
			onResp: func(r *wire.Message) {
				record(r.Code)
				outstanding--
				if outstanding == 0 {
					finish()
				}
			},
			onLost: func() {
				// The listener went away before answering: it may have shown the IM.
				record(wire.StatusUnknownDelivery)
				outstanding--
				if outstanding == 0 {
					finish()
				}
			},
		})
		if !ok {
			// Decision D28: too large for this UA's Max-Content-Length counts as refused.
			outstanding--
			record(wire.StatusInboxClosed)
			continue
		}
		s.observe(IMDelivered{To: lc.id.String(), From: from.String(), Inbox: to.String(), MessageID: m.Value("Message-ID")})
	}
	if outstanding == 0 {
		finish()
		return
	}
	timer = s.after(s.lim.RelayTimeout, func() {
		timer = 0
		if finished {
			return
		}
		record(wire.StatusTimeout)
		finish()
		s.observe(RelayTimeout{Method: "SEND", To: to.String(), Code: best})
	})
}

// uaStrength is the AStrength a server passes on for a command its user agent sent: the server
// rates the UA's connection itself where the UA sent none (PRIM-A9.1.7-3), and otherwise the
// weaker of that rating and the value received (PRIM-A9.1.7-4: a relay never strengthens it).
func uaStrength(m *wire.Message, c *conn) string {
	if v, ok := m.Get("AStrength"); ok {
		return weaker(v, c.strength)
	}
	return c.strength
}
