package s2s

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"net"
	"strings"

	"github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	. "github.com/primlab/primlab/suite/harness"

	"github.com/primlab/primlab/reference/wire"
	"github.com/primlab/primlab/reports"
)

// ss completes the metadata of a server-server case: role s2s, server profile (Decision D1).
func ss(m reports.CaseMeta) reports.CaseMeta {
	m.Role = RoleS2S
	m.Profile = ProfileServer
	return m
}

// ssDate is a PRIM Date value (prim-digest §4.9), as in the drafts' examples.
const ssDate = "Mon, 26 Feb 2001 09:52:08 +0900"

// Content types of presence data on server-server links (PRIM-S7.1.3-3, PRIM-S10-1).
const (
	ctCPIMPIDF = "application/cpim-pidf+xml"
	ctCPIM     = "message/cpim"
	cpimNS     = "urn:ietf:params:cpim-presence:"
)

// subscribe sends a SUBSCRIBE for watcher (a peer-domain pres: id) to presentity over peer.
// A 402 (the target's default ACL refuses remote watchers, Decision D15) makes the case not
// applicable; anything else is returned unjudged.
func subscribe(h *H, peer *Peer, watcher, presentity, sid, duration string, extra ...string) *wire.Message {
	ginkgo.GinkgoHelper()
	hdrs := append([]string{"From", watcher, "To", presentity, "Duration", duration,
		"Subscription-ID", sid, "Date", ssDate}, extra...)
	resp := peer.Call(peer.Request("SUBSCRIBE", hdrs...))
	if resp.Code == wire.StatusForbidden {
		h.NotApplicable("the target's default ACL refuses remote watchers (402 to SUBSCRIBE; Decision D15)")
	}
	return resp
}

// subscribed places a subscription (200 or 201 expected, PRIM-S7.1.1-9), takes the immediate
// NOTIFY (PRIM-S7.1.1-3) and answers it 200. It returns the response and the NOTIFY.
func subscribed(h *H, peer *Peer, watcher, presentity, sid, duration string) (*wire.Message, *wire.Message) {
	ginkgo.GinkgoHelper()
	resp := subscribe(h, peer, watcher, presentity, sid, duration)
	Expect(resp).To(HaveCode(wire.StatusOK, wire.StatusDurationAdjusted))
	n := awaitNotify(h, peer, watcher)
	return resp, n
}

// awaitNotify waits for the target's NOTIFY to watcher (on the suite's connection or one the
// target opened) and answers it 200 (the watcher's server accepts it).
func awaitNotify(h *H, peer *Peer, watcher string) *wire.Message {
	ginkgo.GinkgoHelper()
	n, on := expectS2S(h, peer, "NOTIFY", "To", watcher)
	on.Respond(n, wire.StatusOK)
	return n
}

// expectS2S waits for the target's request of method whose header name has value, on via or
// a connection the target opened. Requests of that method for something else (NOTIFYs of
// subscriptions an external target keeps from earlier cases, say) are answered 200 and
// skipped by h.ExpectS2SRequest.
func expectS2S(h *H, via *Peer, method, name, value string) (*wire.Message, *Peer) {
	ginkgo.GinkgoHelper()
	return h.ExpectS2SRequest(method, via, HaveHeader(name, value))
}

// settle lets the quiet period pass; h.Wait adopts the connections the target opens towards
// the suite meanwhile and answers their LOGINs, so a request the target sends on a fresh
// connection arrives within the period.
func settle(h *H) { h.Wait(h.Quiet()) }

// notifiesTo lets the quiet period pass and returns every NOTIFY for watcher that arrived on
// any server-server connection (the suite's peers and those the target opened), answering
// each 200.
func notifiesTo(h *H, watcher string, peers ...*Peer) []*wire.Message {
	settle(h)
	var got []*wire.Message
	for _, p := range append(peers, h.Inbound()...) {
		for ev := p.NextWithin(0); ev.Msg != nil; ev = p.NextWithin(0) {
			if ev.Msg.Method == "NOTIFY" && ev.Msg.Value("To") == watcher {
				got = append(got, ev.Msg)
				p.Respond(ev.Msg, wire.StatusOK)
			}
		}
	}
	return got
}

// expectNoLiveNotify fails if a NOTIFY carrying presence (not a final Duration 0 one,
// PRIM-S7.1.3-6) reached watcher.
func expectNoLiveNotify(h *H, watcher, why string, peers ...*Peer) {
	ginkgo.GinkgoHelper()
	for _, n := range notifiesTo(h, watcher, peers...) {
		if n.Value("Duration") == "0" {
			h.Saw("a final NOTIFY with Duration 0 (PRIM-S7.1.3-6)")
			continue
		}
		h.Failf("%s, yet a NOTIFY reached the watcher: %q Subscription-ID %q", why, n.StartLine(), n.Value("Subscription-ID"))
	}
}

// tupleDoc is one tuple in PRIM's application/presence format, the client-link format local
// UAs publish in (prim-digest §4.8, Decision D2).
func tupleDoc(pres, contact, status, note string) []byte {
	return []byte(fmt.Sprintf(`<presence identifier="%s" date="%s">`+"\r\n"+
		`<contact address="%s"><display-name>IM</display-name><status value="%s"/><note>%s</note></contact>`+"\r\n"+
		`</presence>`, pres, ssDate, contact, status, note))
}

// publish has ua publish a permanent tuple for its own presentity (I2 PUBLISH on the client
// link) and expects 200.
func publish(h *H, ua *Peer, tupleID, contact, status, note string) {
	ginkgo.GinkgoHelper()
	pub := ua.Request("PUBLISH", "From", ua.Pres(), "PI-Type", "permanent", "Tuple-ID", tupleID,
		"Content-Type", "application/presence")
	pub.Body = tupleDoc(ua.Pres(), contact, status, note)
	ua.Call(pub, HaveCode(wire.StatusOK))
}

// cpimTuple is one tuple of a CPIM-PIDF document (prim-digest §4.10).
type cpimTuple struct {
	ID      string   `xml:"id,attr"`
	Values  []string `xml:"status>value"`
	Contact string   `xml:"contact"`
	Note    string   `xml:"note"`
}

// cpimDoc is a CPIM-PIDF document as far as the cases look into it.
type cpimDoc struct {
	XMLName    xml.Name
	Presentity struct {
		ID string `xml:"id,attr"`
	} `xml:"presentity"`
	Tuples []cpimTuple `xml:"tuple"`
}

// hasStatus reports whether some tuple has the basic status value (case-insensitive: the
// CPIM-PIDF examples write OPEN).
func (d cpimDoc) hasStatus(v string) bool {
	for _, t := range d.Tuples {
		for _, x := range t.Values {
			if strings.EqualFold(strings.TrimSpace(x), v) {
				return true
			}
		}
	}
	return false
}

// headerBlock splits b at its first empty line (CRLF CRLF, or LF LF) into header lines and
// the rest.
func headerBlock(b []byte) (map[string]string, []byte, bool) {
	i, n := bytes.Index(b, []byte("\r\n\r\n")), 4
	if j := bytes.Index(b, []byte("\n\n")); j >= 0 && (i < 0 || j < i) {
		i, n = j, 2
	}
	if i < 0 {
		return nil, nil, false
	}
	hs := map[string]string{}
	for _, line := range strings.Split(strings.ReplaceAll(string(b[:i]), "\r\n", "\n"), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok {
			hs[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(v)
		}
	}
	return hs, b[i+n:], true
}

// presenceDoc parses the CPIM-PIDF document of a server-server NOTIFY: a bare
// application/cpim-pidf+xml body, or one inside message/cpim (PRIM-S7.1.3-3). It fails the
// case when the body is neither.
func presenceDoc(h *H, n *wire.Message) cpimDoc {
	ginkgo.GinkgoHelper()
	ct := strings.ToLower(n.Value("Content-Type"))
	body := n.Body
	switch {
	case strings.HasPrefix(ct, ctCPIMPIDF):
	case strings.HasPrefix(ct, ctCPIM):
		// message/cpim (prim-digest §5.7): [MIME headers of the outer object, empty line,]
		// message headers, empty line, the encapsulated entity's headers, empty line, content.
		// The outer MIME headers may be taken to be the command's own Content-Type.
		first, rest, ok := headerBlock(body)
		if !ok {
			h.Failf("the message/cpim body of the NOTIFY has no header block: %q", clip(body))
		}
		if strings.HasPrefix(strings.ToLower(first["content-type"]), ctCPIM) {
			if _, rest, ok = headerBlock(rest); !ok {
				h.Failf("the message/cpim body of the NOTIFY has no message headers: %q", clip(body))
			}
		}
		inner, content, ok := headerBlock(rest)
		if !ok || !strings.HasPrefix(strings.ToLower(inner["content-type"]), ctCPIMPIDF) {
			h.Failf("the message/cpim body of the NOTIFY does not contain application/cpim-pidf+xml: %q", clip(body))
		}
		body = content
	default:
		h.Failf("NOTIFY Content-Type %q is neither %s nor %s (PRIM-S7.1.3-3)", n.Value("Content-Type"), ctCPIMPIDF, ctCPIM)
	}
	var d cpimDoc
	if err := xml.Unmarshal(body, &d); err != nil {
		h.Failf("the NOTIFY's CPIM-PIDF document is not well-formed XML: %v: %q", err, clip(body))
	}
	if d.XMLName.Local != "presence" || d.XMLName.Space != cpimNS {
		h.Failf("the NOTIFY's document root is {%s}%s, want {%s}presence (CPIM-PIDF, PRIM-S10-1)", d.XMLName.Space, d.XMLName.Local, cpimNS)
	}
	return d
}

func clip(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "..."
	}
	return string(b)
}

// cpimPIDF builds a CPIM-PIDF document for presentity with one tuple (prim-digest §4.10).
func cpimPIDF(presentity, tupleID, status, contact string) []byte {
	return []byte(`<?xml version="1.0" encoding="UTF-8"?>` + "\r\n" +
		`<presence xmlns="` + cpimNS + `">` + "\r\n" +
		`<presentity id="` + presentity + `"/>` + "\r\n" +
		`<tuple id="` + tupleID + `"><status><value>` + status + `</value></status>` +
		`<contact priority="1">` + contact + `</contact></tuple>` + "\r\n" +
		`</presence>`)
}

// relayed is a subscription a local UA made to a presentity of the peer domain, as the
// target relayed it to the suite: the SS SUBSCRIBE and the connection it arrived on.
type relayed struct {
	ua         *Peer
	uaReq      *wire.Message // the UA's own SUBSCRIBE
	sub        *wire.Message // the target's SS SUBSCRIBE
	on         *Peer
	presentity string
}

// relaySubscribe has the local user name (a logical user) subscribe, on the client link, to a
// presentity of the peer domain, and waits for the target to relay the SUBSCRIBE towards the
// suite (PRIM-S2.2.1-1). The suite has not answered it yet.
func relaySubscribe(h *H, name string) relayed {
	ginkgo.GinkgoHelper()
	ua := h.LoggedIn(name)
	presentity := h.PeerPres(h.Unique("buddy"))
	req := ua.Request("SUBSCRIBE", "From", ua.Pres(), "To", presentity, "Duration", "600")
	ua.Send(req)
	if !h.Simulated() && h.Config().S2SListen == "" {
		h.NotApplicable("the suite cannot accept the target's server-server connections (no --s2s-listen)")
	}
	sub, on := expectS2S(h, nil, "SUBSCRIBE", "To", presentity)
	return relayed{ua: ua, uaReq: req, sub: sub, on: on, presentity: presentity}
}

// accept answers the relayed SUBSCRIBE 200 (echoing its Subscription-ID and Duration) and
// sends the immediate NOTIFY with an open tuple, as the presentity's server would
// (PRIM-S7.1.1-3); it returns the NOTIFY the suite sent.
func (r relayed) accept(h *H) *wire.Message {
	ginkgo.GinkgoHelper()
	resp := &wire.Message{Version: r.sub.Version, ID: r.sub.ID, Code: wire.StatusOK, Phrase: wire.Phrase(wire.StatusOK)}
	for _, name := range []string{"From", "To", "Duration", "Subscription-ID"} {
		if v, ok := r.sub.Get(name); ok {
			resp.Add(name, v)
		}
	}
	r.on.Send(resp)
	return r.notify(h, "open", "")
}

// notify sends the target a NOTIFY for the relayed subscription with a one-tuple CPIM-PIDF
// document (duration "" = no Duration header) and returns it; the caller reads the response.
func (r relayed) notify(h *H, status, duration string) *wire.Message {
	n := r.on.Request("NOTIFY", "From", r.presentity, "To", r.sub.Value("From"),
		"Subscription-ID", r.sub.Value("Subscription-ID"), "Date", ssDate, "Content-Type", ctCPIMPIDF)
	if duration != "" {
		n.Add("Duration", duration)
	}
	n.Body = cpimPIDF(r.presentity, "t1", status, "im:"+strings.TrimPrefix(r.presentity, "pres:"))
	r.on.Send(n)
	return n
}

// ownAddress is the target's server-server address as VERIFYSERVER names it (Server-Address,
// an IP address): the simulated reference server's IP, or the IP literal of --s2s-target.
// The simulator's address is the harness's (suite/harness/transport.go, host "server").
func ownAddress(h *H) string {
	ginkgo.GinkgoHelper()
	if h.Simulated() {
		return "10.0.0.1"
	}
	host, _, err := net.SplitHostPort(h.Config().S2STarget)
	if err != nil || net.ParseIP(host) == nil || net.ParseIP(host).To4() == nil {
		h.NotApplicable("the server-server target %q is not given as an IPv4 address, so the suite cannot name it in Server-Address", h.Config().S2STarget)
	}
	return host
}

// inboundRequests decodes what the target sent on the connections it opened towards the
// suite (from the transcript, so requests the harness already answered, such as LOGIN, are
// included) and returns the requests of method (every request for ""), in order.
func inboundRequests(h *H, method string) []*wire.Message {
	var out []*wire.Message
	eachInbound(h, func(_ string, m *wire.Message) {
		if method == "" || m.Method == method {
			out = append(out, m)
		}
	})
	return out
}

// eachInbound decodes, in transcript order, everything the target sent on the connections it
// opened towards the suite (peers named "inbound#n"; LOGINs the harness answered included) and
// hands each message to f with the connection's name. Shared by inboundRequests and
// gapInboundByConn.
func eachInbound(h *H, f func(peer string, m *wire.Message)) {
	h.Inbound()
	decs := map[string]*wire.Decoder{}
	for _, e := range h.Transcript().Entries {
		if e.Dir != DirIn || !strings.HasPrefix(e.Peer, "inbound#") {
			continue
		}
		d := decs[e.Peer]
		if d == nil {
			d = wire.NewDecoder(wire.DefaultLimits())
			decs[e.Peer] = d
		}
		d.Feed(e.Data)
		for {
			m, err := d.Next()
			if m == nil || err != nil {
				break
			}
			f(e.Peer, m)
		}
	}
}

// splitMechs splits a SASL-Mech value at spaces and commas (Decision D21).
func splitMechs(v string) []string {
	return strings.FieldsFunc(v, func(r rune) bool { return r == ' ' || r == ',' })
}

// rejected are the acceptable answers to a command that is not valid PRIM or lacks what its
// method requires: the drafts name no code (Decisions D18, D44 recommend 400), so any error
// response or dropping the connection is acceptable; processing it is not.
func rejected() []Outcome {
	return []Outcome{
		OneOf("D44: an error response", HaveErrorCode()),
		OneOf("connection closed", BeDisconnected()),
	}
}

// responseOrEnd waits for the response to id, or the end of the connection, on p.
func responseOrEnd(p *Peer, id string) Event {
	for {
		ev := p.Next()
		if ev.Msg == nil || (!ev.Msg.IsRequest() && ev.Msg.ID == id) {
			return ev
		}
		if ev.Msg.IsRequest() && ev.Msg.Method == "NOTIFY" {
			p.Respond(ev.Msg, wire.StatusOK)
		}
	}
}

// inboundNext lets the quiet period pass and returns the first request of one of methods the
// target sent on a connection it opened (or on via), with the connection; nil if none came.
func inboundNext(h *H, via *Peer, methods ...string) (*wire.Message, *Peer) {
	settle(h)
	peers := h.Inbound()
	if via != nil {
		peers = append([]*Peer{via}, peers...)
	}
	for _, p := range peers {
		for ev := p.NextWithin(0); ev.Msg != nil; ev = p.NextWithin(0) {
			for _, m := range methods {
				if ev.Msg.Method == m {
					return ev.Msg, p
				}
			}
		}
	}
	return nil, nil
}

// aclDoc is an I2 ACL document (prim-digest §7.5): one entry per (space-separated targets,
// space-separated rights) pair.
func aclDoc(entries ...[2]string) []byte {
	var b strings.Builder
	b.WriteString("<acl>")
	for _, e := range entries {
		b.WriteString("<entry><target>")
		for _, k := range strings.Fields(e[0]) {
			b.WriteString("<address>" + k + "</address>")
		}
		b.WriteString("</target><allow>")
		for _, r := range strings.Fields(e[1]) {
			b.WriteString("<" + r + "/>")
		}
		b.WriteString("</allow></entry>")
	}
	b.WriteString("</acl>")
	return []byte(b.String())
}

// replaceACL sets the ACL of resource (owner's pres: presentity or im: inbox, in the version
// of its service) to doc for the rest of the case, and puts the ACL GETACL reported back when
// the case ends, so that an external target's later cases see the ACL they would have seen
// (fallback, when GETACL gives no document: the owner keeps everything and "." gets fallback's
// rights, Decision D15's default). A target that manages ACLs only out of band (501) makes the
// case not applicable.
func replaceACL(h *H, owner *Peer, resource, version string, doc []byte, ownerRights, fallback string) {
	ginkgo.GinkgoHelper()
	get := owner.Request("GETACL", "From", resource)
	get.Version = version
	old := owner.Call(get)
	if old.Code == wire.StatusNotImplemented {
		h.NotApplicable("GETACL answered 501: ACLs are not managed by command (PRIM-A13.2.1-1 MAY)")
	}
	bare := resource[strings.IndexByte(resource, ':')+1:]
	restore := aclDoc([2]string{bare, ownerRights}, [2]string{".", fallback})
	if old.Code == wire.StatusOK && len(old.Body) > 0 {
		restore = old.Body
	}
	set := func(body []byte) *wire.Message {
		m := owner.Request("SETACL", "From", resource, "Content-Type", "text/xml")
		m.Version = version
		m.Body = body
		return m
	}
	resp := owner.Call(set(doc))
	if resp.Code == wire.StatusNotImplemented {
		h.NotApplicable("SETACL answered 501: ACLs are not managed by command (PRIM-A13.2.1-1 MAY)")
	}
	Expect(resp).To(HaveCode(wire.StatusOK), "setup: SETACL on %s", resource)
	ginkgo.DeferCleanup(func() {
		m := set(restore)
		owner.Send(m)
		responseOrEnd(owner, m.ID) // best effort: the verdict is already settled
	})
}

// denyPeerDomain sets owner's presentity ACL so that the owner keeps every right and the
// suite's peer domain gets none (an "@domain" entry, PRIM-A13.2.1-4), until the case ends.
func denyPeerDomain(h *H, owner *Peer) {
	ginkgo.GinkgoHelper()
	const rights = "fetch subscribe publish remove"
	bare := strings.TrimPrefix(owner.Pres(), "pres:")
	replaceACL(h, owner, owner.Pres(), wire.VersionPresence,
		aclDoc([2]string{bare, rights}, [2]string{"@" + h.PeerDomain(), ""}), rights, "fetch subscribe")
}
