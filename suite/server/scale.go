package server

import (
	"bytes"
	"fmt"
	"time"

	. "github.com/onsi/gomega"

	. "github.com/primlab/primlab/suite/harness"

	"github.com/primlab/primlab/reference/wire"
	"github.com/primlab/primlab/reports"
)

// Scale and speed as RFC 2779 §2.2 and §3.4 ask, under §4 (one server holding many
// connections and subscriptions). Hundreds of distinct principals come from the peer domain
// the suite plays, so the cases need no more than the three accounts of a target file; the
// simulator makes them cheap (against an external target they make a few hundred requests).

const scCount = 300 // RFC 2779 2.2.4/2.2.5: "hundreds"

const scDate = "Mon, 26 Feb 2001 09:52:08 +0900"

// scCollect gathers requests of method from the target on via and on every connection the
// target opened to the suite, until want(m) has been true for n of them or d passes without
// anything new, and returns those n (or fewer). Every request is answered: by answer when
// given (for the wanted method), else 200.
func scCollect(h *H, via *Peer, method string, n int, d time.Duration, want func(*wire.Message) bool,
	answer func(p *Peer, m *wire.Message)) []*wire.Message {
	var got []*wire.Message
	take := func(p *Peer, wait time.Duration) bool {
		ev := p.NextWithin(wait)
		if ev.Msg == nil {
			return false
		}
		m := ev.Msg
		switch {
		case answer != nil && m.IsRequest() && m.Method == method:
			answer(p, m)
		case m.IsRequest() && m.ID != wire.NoResponse:
			p.Respond(m, wire.StatusOK)
		}
		if m.IsRequest() && m.Method == method && want(m) {
			got = append(got, m)
		}
		return true
	}
	for idle := 0; len(got) < n && idle < 4; {
		progress := false
		if via != nil {
			for take(via, 0) {
				progress = true
			}
		}
		for _, p := range h.Inbound() {
			if via != nil && p.Name() == via.Name() {
				continue
			}
			for take(p, 0) {
				progress = true
			}
		}
		if progress {
			idle = 0
			continue
		}
		idle++
		if via != nil && take(via, d/4) {
			idle = 0
		} else if via == nil {
			h.Wait(d / 4)
		}
	}
	return got
}

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/4/6", Section: "4", Level: reports.LevelMust,
	Requirement: "Hundreds of subscribers to one presentity: 300 watchers of another domain subscribe, and one change is notified to every one of them.",
	Statements:  []string{"PRIM-A10.1.4-2", "PRIM-A10.1.1-1"},
	RFC2779:     []string{"2.2.5", "3.2.3"},
	Decisions:   []string{"D12", "D25"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	remote := h.S2SLoggedIn("remote")
	var batch []byte
	var ids []string
	for i := 1; i <= scCount; i++ {
		req := remote.Request("SUBSCRIBE", "From", h.PeerPres(fmt.Sprintf("w%03d", i)), "To", alice.Pres(), "Duration", "600",
			"Subscription-ID", fmt.Sprintf("s%03d", i), "Date", scDate)
		ids = append(ids, req.ID)
		batch = wire.Append(batch, req)
	}
	remote.SendRaw(batch)
	// RFC 2779 lets a deployment set a limit (505, PRIM-A18-5), but "hundreds" means at least
	// 200 watchers must be admitted.
	admitted := map[string]bool{}
	limited := 0
	for i, id := range ids {
		resp := remote.ExpectResponse(id, HaveCode(wire.StatusOK, wire.StatusDurationAdjusted, wire.StatusTooManySubscriptions))
		if resp.Code == wire.StatusTooManySubscriptions {
			limited++
			continue
		}
		admitted[h.PeerPres(fmt.Sprintf("w%03d", i+1))] = true
	}
	if limited > 0 {
		h.Saw("505 Too Many Subscriptions after %d admitted watchers", len(admitted))
	}
	Expect(len(admitted)).To(BeNumerically(">=", 200), "watchers admitted to one presentity (hundreds, RFC 2779 2.2.5)")
	// Initial NOTIFYs (server profile: one follows each SUBSCRIBE) are answered and skipped.
	scCollect(h, remote, "NOTIFY", len(admitted), h.Quiet(), func(*wire.Message) bool { return true }, nil)
	tag := h.Unique("crowd")
	publishPerm(h, alice, h.Unique("t"), tag)
	// Only this case's watchers count: against an external target, watchers of alice that
	// earlier cases subscribed are notified of the change too.
	got := scCollect(h, remote, "NOTIFY", len(admitted), h.Timeout(), func(m *wire.Message) bool {
		return bytes.Contains(m.Body, []byte(tag)) && admitted[m.Value("To")]
	}, nil)
	seen := map[string]bool{}
	for _, m := range got {
		seen[m.Value("To")] = true
	}
	Expect(seen).To(Equal(admitted), "watchers notified of the change")
})

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/4/7", Section: "4", Level: reports.LevelMust,
	Requirement: "A subscriber with subscriptions to hundreds of presentities: one UA subscribes to 300 presentities of another domain, every SUBSCRIBE succeeds and a change of each reaches it.",
	Statements:  []string{"PRIM-A10.1.1-1", "PRIM-A10.1.4-1"},
	RFC2779:     []string{"2.2.4", "2.4.2"},
	Decisions:   []string{"D2", "D25"},
}), func(h *H) {
	cxNeedsPeerListener(h)
	alice := h.LoggedIn("alice")
	var batch []byte
	var ids []string
	for i := 1; i <= scCount; i++ {
		req := h.Request("SUBSCRIBE", "From", alice.Pres(), "To", h.PeerPres(fmt.Sprintf("p%03d", i)), "Duration", "600")
		ids = append(ids, req.ID)
		batch = wire.Append(batch, req)
	}
	alice.SendRaw(batch)
	// Play the peer domain: accept every relayed SUBSCRIBE and send the presentity's current
	// presence at once (server profile: the NOTIFY that follows a SUBSCRIBE, Decision D25;
	// I2-style links: the presence in the 200), then change each presentity.
	type upstream struct {
		on  *Peer
		sub *wire.Message
	}
	var subs []upstream
	scCollect(h, nil, "SUBSCRIBE", scCount, h.Timeout(), func(*wire.Message) bool { return true }, func(on *Peer, m *wire.Message) {
		resp := &wire.Message{Version: m.Version, ID: m.ID, Code: wire.StatusOK, Phrase: wire.Phrase(wire.StatusOK)}
		for _, name := range []string{"From", "To", "Duration", "Subscription-ID"} {
			if v, ok := m.Get(name); ok {
				resp.Add(name, v)
			}
		}
		if m.Version != wire.VersionServer {
			resp.Add("Content-Type", "application/presence")
			resp.Body = tupleDoc(m.Value("To"), "im:"+bare(m.Value("To")), "open", "initial")
		}
		on.Send(resp)
		if m.Version == wire.VersionServer {
			gapNotify(on, m, "initial")
		}
		subs = append(subs, upstream{on, m})
	})
	// A deployment limit (505, PRIM-A18-5) is allowed past "hundreds": at least 200.
	admitted := map[string]bool{}
	for i, id := range ids {
		resp := alice.ExpectResponse(id, HaveCode(wire.StatusOK, wire.StatusDurationAdjusted, wire.StatusTooManySubscriptions))
		if resp.Code != wire.StatusTooManySubscriptions {
			admitted[h.PeerPres(fmt.Sprintf("p%03d", i+1))] = true
		}
	}
	if len(admitted) < scCount {
		h.Saw("505 Too Many Subscriptions after %d admitted subscriptions", len(admitted))
	}
	Expect(len(admitted)).To(BeNumerically(">=", 200), "subscriptions admitted for one watcher (hundreds, RFC 2779 2.2.4)")
	tag := h.Unique("far")
	for _, s := range subs {
		if admitted[s.sub.Value("To")] {
			gapNotify(s.on, s.sub, noteMark(tag))
		}
	}
	got := scCollect(h, alice, "NOTIFY", len(admitted), h.Timeout(), func(m *wire.Message) bool { return showsTag(m, tag) }, nil)
	seen := map[string]bool{}
	for _, m := range got {
		seen[m.Value("From")] = true
	}
	Expect(seen).To(Equal(admitted), "presentities whose change reached the subscriber")
})

// scSentAt and scArrivedAt read the transcript: when the suite last wrote on peer, and when
// the first bytes containing marker arrived on peer after entry from.
func scSentAt(h *H, peer string) (time.Duration, int) {
	es := h.Transcript().Entries
	for i := len(es) - 1; i >= 0; i-- {
		if es[i].Peer == peer && es[i].Dir == DirOut {
			return es[i].At, i
		}
	}
	return 0, len(es)
}

func scArrivedAt(h *H, peer string, from int, marker string) (time.Duration, bool) {
	es := h.Transcript().Entries
	for i := from; i < len(es); i++ {
		if es[i].Peer == peer && es[i].Dir == DirIn && bytes.Contains(es[i].Data, []byte(marker)) {
			return es[i].At, true
		}
	}
	return 0, false
}

var _ = Case(srv(reports.CaseMeta{
	ID: "prim/server/4/8", Section: "4", Level: reports.LevelMust,
	Requirement: "Subscribers are notified at least as fast as IMs are delivered: on the same server, PUBLISH-to-NOTIFY takes no longer than SEND-to-delivery (within a tolerance of twice the IM time plus 50 ms).",
	Statements:  []string{"PRIM-A10.1.4-2"},
	RFC2779:     []string{"3.4.1", "4.3.1"},
}), func(h *H) {
	alice := h.LoggedIn("alice")
	openPresence(h, alice)
	aliceIM := h.LoggedIn("alice", wire.VersionIM)
	bob := h.LoggedIn("bob")
	bobIM := h.LoggedIn("bob", wire.VersionIM)
	cxOpenInbox(h, bobIM)
	subscribeTo(h, bob, alice.Pres(), 600)

	msg := cxSend(h, aliceIM.IM(), bobIM.IM(), "speed")
	aliceIM.Send(msg)
	imSent, imFrom := scSentAt(h, aliceIM.Name())
	got := cxAwaitSend(h, bobIM, msg.Value("Message-ID"))
	Expect(got).NotTo(BeNil(), "the SEND was not delivered")
	imAt, ok := scArrivedAt(h, bobIM.Name(), imFrom, msg.Value("Message-ID"))
	Expect(ok).To(BeTrue())
	bobIM.Respond(got, wire.StatusOK)
	aliceIM.ExpectResponse(msg.ID, HaveCode(wire.StatusOK))

	tag := h.Unique("speed")
	pub := pubReq(h, alice.Pres(), "permanent", h.Unique("t"), tupleBody(alice.Pres(), tag, "open"))
	alice.Send(pub)
	pubSent, pubFrom := scSentAt(h, alice.Name())
	notifyShowing(h, bob, tag)
	nAt, ok := scArrivedAt(h, bob.Name(), pubFrom, noteMark(tag))
	Expect(ok).To(BeTrue())
	alice.ExpectResponse(pub.ID, HaveCode(wire.StatusOK))

	imLat, nLat := imAt-imSent, nAt-pubSent
	h.Saw("IM delivered in %v, NOTIFY in %v", imLat, nLat)
	Expect(nLat).To(BeNumerically("<=", 2*imLat+50*time.Millisecond), "NOTIFY latency against IM latency %v", imLat)
})
