package server

import (
	"time"

	"github.com/primlab/primlab/reference/addr"
	"github.com/primlab/primlab/reference/engine"
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
// one, dead on its side, is still open here).
//
// An idle federation stays idle: without relayed subscriptions towards the domain nothing is
// dialled. But while there are some, the renewals owed on the watchers' behalf and the NOTIFYs
// lost with the link are commands still to deliver (§6.2 step 1), and waiting for some other
// request to need the link would leave the watchers stale for as long as the federation
// happens to be quiet (minutes). So after a loss the server retries: it resynchronises the
// domain (which dials) after relinkFirst, then after twice as long each time the attempt fails,
// up to relinkMax, until the link is back or no relayed subscription to the domain is left.
// Each attempt's requests are bounded by the relay timeout (Decision D35).

// Retry delays after a lost server-server link (virtual time in the simulator).
const (
	relinkFirst = 5 * time.Second
	relinkMax   = 30 * time.Second
)

// relink is a pending retry of the link to a domain.
type relink struct {
	timer engine.TimerID
	wait  time.Duration // delay of the next retry
}

// scheduleRelink arms the next retry of the link to domain if relayed subscriptions to it
// are still active and none is armed yet.
func (s *Server) scheduleRelink(domain string) {
	if s.relink == nil {
		s.relink = map[string]*relink{}
	}
	rl := s.relink[domain]
	if rl == nil {
		rl = &relink{wait: relinkFirst}
		s.relink[domain] = rl
	}
	if rl.timer != 0 || !s.needsLink(domain) {
		return
	}
	wait := rl.wait
	rl.wait = min(2*rl.wait, relinkMax)
	rl.timer = s.after(wait, func() {
		rl.timer = 0
		if s.linkLost[domain] && s.needsLink(domain) {
			s.resyncDomain(domain) // dials; a failure comes back through peerLinkLost
		}
	})
}

// stopRelink forgets the retry state of domain once its link is back.
func (s *Server) stopRelink(domain string) {
	if rl := s.relink[domain]; rl != nil {
		s.cancelTimer(rl.timer)
		delete(s.relink, domain)
	}
}

// needsLink reports whether an active relayed subscription to domain could still be renewed.
func (s *Server) needsLink(domain string) bool {
	for _, key := range sortedKeys(s.upstream) {
		us := s.upstream[key]
		if us.active && !us.fetch && us.presentity.DomainKey() == domain {
			until := us.expires
			if us.owed.After(until) {
				until = us.owed
			}
			if until.After(s.now) {
				return true
			}
		}
	}
	return false
}

// armUpSub (re)starts the timer that forgets us when the granted duration d ends; a grant
// settles any renewal owed on the UA's behalf.
func (s *Server) armUpSub(us *upSub, d time.Duration) {
	s.cancelTimer(us.timer)
	us.expires = s.now.Add(d)
	us.owed = time.Time{}
	us.timer = s.after(d, func() { us.timer = 0; s.upSubEnded(us) })
}

// upSubEnded runs when the granted duration of us ends. If a renewal of the UA's was
// swallowed by a lost link and is still owed, the subscription stays until that renewal would
// have ended, so that the link's return renews it (PRIM-A5.5-2) instead of leaving the watcher
// stale until the UA's next renewal; otherwise, or then, it is forgotten.
func (s *Server) upSubEnded(us *upSub) {
	if us.owed.After(s.now) {
		us.timer = s.after(us.owed.Sub(s.now), func() { us.timer = 0; s.dropUpSub(us) })
		return
	}
	s.dropUpSub(us)
}

// peerLinkLost records that the server-server link with domain went away.
func (s *Server) peerLinkLost(domain string) {
	if s.linkLost == nil {
		s.linkLost = map[string]bool{}
	}
	s.linkLost[domain] = true
	s.scheduleRelink(domain)
}

// peerLinkUp is called when a server-server link with domain logged in; replaced says an
// older inbound link from the domain is still open here (the peer lost it without our
// noticing). Either that or a loss recorded earlier resynchronises now.
func (s *Server) peerLinkUp(domain string, replaced bool) {
	s.stopRelink(domain)
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
	until := us.expires
	if us.owed.After(until) {
		until = us.owed // a renewal the lost link swallowed is still owed
	}
	if until.IsZero() || !until.After(s.now) {
		return // ended: the UA renews or lets it go
	}
	// The duration the UA last asked for: a renewal of the UA's that the lost link swallowed
	// is completed on its behalf, so the subscription does not lapse before the UA's next one.
	d := us.want
	if d <= 0 {
		d = until.Sub(s.now).Truncate(time.Second)
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
