package server

import (
	"strings"

	"github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	. "github.com/primlab/primlab/suite/harness"

	"github.com/primlab/primlab/reference/wire"
)

// Helpers shared by the cases of several files: each was once written privately in two or
// more case files under different names, and is merged here into one.

// aclXML is an ACL document (I2 §13.2.3; prim-digest §7.5): one entry per pair, the key
// (".", "@domain" or a scheme-less identifier; several keys separated by spaces share the
// entry) and the space-separated rights, in the order given. It serves inbox and presentity
// ACLs alike (formerly also aclDoc, which took one key per entry).
func aclXML(entries ...[2]string) []byte {
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

// bare is the scheme-less form Class Table and ACL entries use (Decision D22)
// (formerly also bareID).
func bare(id string) string {
	if i := strings.IndexByte(id, ':'); i >= 0 {
		return id[i+1:]
	}
	return id
}

// imListen makes p LISTEN on its own inbox: 200 without a body (PRIM-A11.2.1-1, -2)
// (formerly also listenInbox).
func imListen(h *H, p *Peer) {
	ginkgo.GinkgoHelper()
	p.Call(p.Request("LISTEN", "From", p.IM()), HaveCode(wire.StatusOK), HaveNoBody())
}

// putACL replaces the ACL of the owner's resource. ACL management by command is a MAY
// (PRIM-A13.2.1-1): 501 makes the case not applicable. It serves inboxes and presentities
// alike (formerly also setACL, for presentities).
func putACL(h *H, owner *Peer, resource string, doc []byte) {
	ginkgo.GinkgoHelper()
	resp := owner.Call(setACLReq(h, resource, doc))
	if resp.Code == wire.StatusNotImplemented {
		h.NotApplicable("SETACL answered 501: ACLs are not managed by command (PRIM-A13.2.1-1 MAY)")
	}
	Expect(resp).To(HaveCode(wire.StatusOK), "setup: SETACL on the owner's own resource %s", resource)
}

// setACLReq builds a SETACL for resource (an im: inbox or a pres: presentity) in the version
// of the service the resource belongs to (a general method takes either, PRIM-A8.2-1).
func setACLReq(h *H, resource string, doc []byte) *wire.Message {
	m := h.Request("SETACL", "From", resource, "Content-Type", "text/xml")
	m.Version = serviceVersion(resource)
	m.Body = doc
	return m
}

func serviceVersion(resource string) string {
	if strings.HasPrefix(resource, "im:") {
		return wire.VersionIM
	}
	return wire.VersionPresence
}

// imMsg builds a SEND from → to with a fresh Message-ID and Conversation-ID, a text/plain
// UTF-8 body, and extra headers (name, value pairs) after the required ones (formerly also
// newSend; cxSend wraps it).
func imMsg(h *H, from, to string, body []byte, extra ...string) *wire.Message {
	hs := []string{"From", from, "To", to, "Message-ID", h.Unique("msg"), "Conversation-ID", h.Unique("conv")}
	if !hasPair(extra, "Content-Type") {
		hs = append(hs, "Content-Type", "text/plain; charset=UTF-8")
	}
	m := h.Request("SEND", append(hs, extra...)...)
	m.Body = body
	return m
}

func hasPair(pairs []string, name string) bool {
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i] == name {
			return true
		}
	}
	return false
}

// gapNotify sends the watcher's server (the target) a NOTIFY for a relayed subscription, as
// the presentity's server would, in the format of the link (CPIM-PIDF on SS links, PRIM's
// application/presence on I2-style ones). Shared by gaps.go and scale.go (formerly also a
// closure there).
func gapNotify(on *Peer, sub *wire.Message, note string) {
	presentity, watcher := sub.Value("To"), sub.Value("From")
	var n *wire.Message
	if sub.Version == wire.VersionServer {
		n = on.Request("NOTIFY", "From", presentity, "To", watcher, "Subscription-ID", sub.Value("Subscription-ID"),
			"Date", scDate, "Content-Type", "application/cpim-pidf+xml")
		n.Body = []byte(`<presence xmlns="urn:ietf:params:cpim-presence:"><presentity id="` + presentity + `"/>` +
			`<tuple id="t1"><status><value>open</value></status><note>` + note + `</note></tuple></presence>`)
	} else {
		n = on.Request("NOTIFY", "From", presentity, "To", watcher, "Content-Type", "application/presence")
		n.Version = wire.VersionPresence
		n.Body = tupleDoc(presentity, "im:"+bare(presentity), "open", note)
	}
	on.Send(n)
}
