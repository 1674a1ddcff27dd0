package server

import (
	"time"

	"github.com/primlab/primlab/reference/addr"
	"github.com/primlab/primlab/reference/wire"
)

// Resynchronising relayed subscriptions after a server-server link comes back.
//
// A NOTIFY the presentity's server sends while the link to the watcher's domain is down is
// lost, and a restarted server has forgotten the subscriptions it held: without help the
// watcher would see stale presence until the UA renews. So the watcher's home server, which
// may renew on the watcher's behalf (PRIM-A5.5-2), re-sends the SS SUBSCRIBE of every active
// relayed subscription to that domain, with the same Subscription-ID and the duration the UA
// last asked for (its renewal may have been lost with the link), as
// soon as the link is usable again; the peer answers with an immediate NOTIFY carrying the
// current presence (PRIM-S7.1.1-3), which goes to the watcher's connections as any NOTIFY.
//
// "Usable again" is noticed two ways: our outbound link to the domain logs in again after a
// loss, or the domain logs in to us on a new inbound link after losing one (or while an older
// one, dead on its side, is still open here). The server never dials just to find out: it
// resynchronises when the link is back anyway, so an idle federation stays idle.

// armUpSub (re)starts the timer that forgets us when the granted duration d ends.
func (s *Server) armUpSub(us *upSub, d time.Duration) {
	s.cancelTimer(us.timer)
	us.expires = s.now.Add(d)
	us.timer = s.after(d, func() { us.timer = 0; s.dropUpSub(us) })
}

// peerLinkLost records that the server-server link with domain went away.
func (s *Server) peerLinkLost(domain string) {
	if s.linkLost == nil {
		s.linkLost = map[string]bool{}
	}
	s.linkLost[domain] = true
}

// peerLinkUp is called when a server-server link with domain logged in; replaced says an
// older inbound link from the domain is still open here (the peer lost it without our
// noticing). Either that or a loss recorded earlier resynchronises now.
func (s *Server) peerLinkUp(domain string, replaced bool) {
	if !s.linkLost[domain] && !replaced {
		return
	}
	s.resyncDomain(domain)
}

// otherInbound reports whether an authenticated inbound link from domain other than c is open.
func (s *Server) otherInbound(c *conn, domain string) bool {
	for id, o := range s.conns { // existence only: the order does not matter
		if id != c.id && !o.outbound && o.role == RoleS2S && o.s2sAuthed && o.domain == domain && !o.closing {
			return true
		}
	}
	return false
}

// resyncDomain re-sends the SS SUBSCRIBE of every active relayed subscription to domain, in
// key order.
func (s *Server) resyncDomain(domain string) {
	delete(s.linkLost, domain)
	for _, key := range sortedKeys(s.upstream) {
		us := s.upstream[key]
		if us.active && !us.fetch && us.presentity.DomainKey() == domain {
			s.resubscribe(us, domain)
		}
	}
}

// resubscribe renews us upstream on the watcher's behalf (PRIM-A5.5-2). A refusal ends it
// towards the watcher's connections as a Duration 0 NOTIFY would (§4.4); a lost request waits
// for the next time the link comes back; any other answer leaves it to the UA's renewal.
func (s *Server) resubscribe(us *upSub, domain string) {
	if us.expires.IsZero() || !us.expires.After(s.now) {
		return // ended: the UA renews or lets it go
	}
	// The duration the UA last asked for: a renewal of the UA's that the lost link swallowed
	// is completed on its behalf, so the subscription does not lapse before the UA's next one.
	d := us.want
	if d <= 0 {
		d = us.expires.Sub(s.now).Truncate(time.Second)
	}
	fw := &wire.Message{Method: "SUBSCRIBE", Version: wire.VersionServer}
	fw.Add("From", us.watcher.String())
	fw.Add("To", us.presentity.String())
	fw.Add("Duration", seconds(d))
	fw.Add("Subscription-ID", us.subID)
	fw.Add("Date", s.dateHeader())
	fw.Add("AStrength", orNone(us.strength)) // PRIM-S6.1.8-1
	_ = s.sendToDomain(domain, fw, &outReq{
		onResp: func(r *wire.Message) {
			if s.upstream[us.key] != us {
				return // ended meanwhile
			}
			switch r.Code {
			case wire.StatusOK, wire.StatusDurationAdjusted:
				if d, ok := parseDuration(r.Value("Duration")); ok && d > 0 {
					s.armUpSub(us, d)
				}
			case wire.StatusForbidden, wire.StatusResourceNotFound:
				s.cancelUpSub(us)
			}
		},
		onLost: func() {
			if s.upstream[us.key] == us {
				s.peerLinkLost(domain)
			}
		},
	}) // an error (no route any more) leaves it to the UA's renewal
}

// cancelUpSub tells the watcher's connections that the relayed subscription ended
// (CANCELSUBSCRIPTION, §4.4, PRIM-A10.1.5-1) and forgets it.
func (s *Server) cancelUpSub(us *upSub) {
	for _, id := range sortedConnIDs(us.conns) {
		if lc := s.conns[id]; lc != nil {
			s.sendCancel(lc, us.presentity, us.watcher)
		}
	}
	s.dropUpSub(us)
}

// sendCancel writes CANCELSUBSCRIPTION for watcher's subscription to presentity on lc.
func (s *Server) sendCancel(lc *conn, presentity, watcher addr.ID) {
	cm := &wire.Message{Method: "CANCELSUBSCRIPTION", Version: wire.VersionPresence}
	cm.Add("From", presentity.String())
	cm.Add("To", watcher.String())
	s.sendRequest(lc, cm, nil)
	s.observe(CancelSent{To: lc.id.String(), Watcher: watcher.String(), Presentity: presentity.String()})
}
