// Package server holds the conformance cases of the server role: the suite plays user agents
// on the target's client listener (client profile, I2: PRIM-PR/1.0 and PRIM-IM/1.0, Decision
// D1) and judges the server's answers against prim-digest §8.
//
// One file per draft section, as h2spec does: framing.go (§8 command structure, start lines,
// headers, request ids), versions.go (§8.2.2), login.go (§10.3.1, §10.3.2, §12.1), session.go
// (PING, LOGOUT, §10.3.3-4), presence.go (§10.1, §11.1), im.go (§10.2, §11.2). Cases are
// ginkgo specs in a non-test package so that cmd/primlab can run them; `go test` runs them
// against the reference server in the simulator.
package server

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/primlab/primlab/reports"
)

// srv completes the metadata of a server-role case on the client profile.
func srv(m reports.CaseMeta) reports.CaseMeta {
	m.Role = "server"
	m.Profile = "client"
	return m
}

// wellFormedXML reports whether body is well-formed XML (PRIM-A14.3-1); validity against a DTD
// is not required (PRIM-A14.3-2).
func wellFormedXML(body []byte) error {
	d := xml.NewDecoder(strings.NewReader(string(body)))
	elements := 0
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			if elements == 0 {
				return errors.New("no element")
			}
			return nil
		}
		if err != nil {
			return err
		}
		if _, ok := tok.(xml.StartElement); ok {
			elements++
		}
	}
}

// tupleDoc is one tuple in PRIM's application/presence format (prim-digest §4.8; the drafts'
// own example, fixtures/examples/prim/C1-publish-leased.c2s.prim).
func tupleDoc(pres, contact, status, note string) []byte {
	return []byte(fmt.Sprintf(`<presence identifier="%s" date="Mon, 26 Feb 2001 09:52:08 +0900">`+"\r\n"+
		`<contact address="%s"><display-name>IM</display-name><status value="%s"/><note>%s</note></contact>`+"\r\n"+
		`</presence>`, pres, contact, status, note))
}
