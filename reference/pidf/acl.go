package pidf

import (
	"fmt"
	"strings"

	"github.com/primlab/primlab/reference/addr"
)

// Right is one operation an ACL grants (prim-digest.md §7.5).
type Right string

// Presentity rights and inbox rights.
const (
	Fetch     Right = "fetch"
	Subscribe Right = "subscribe"
	Publish   Right = "publish"
	Remove    Right = "remove"
	Send      Right = "send"
	Listen    Right = "listen"
	Silence   Right = "silence"
)

// ACLKind tells a presentity ACL from an inbox ACL (their DTDs differ only in <allow>).
type ACLKind int

// The two kinds of ACL.
const (
	PresentityACL ACLKind = iota
	InboxACL
)

// Rights returns the operations an ACL of that kind may grant.
func (k ACLKind) Rights() []Right {
	if k == InboxACL {
		return []Right{Send, Listen, Silence}
	}
	return []Right{Fetch, Subscribe, Publish, Remove}
}

// ACL is an access-control list document (I2 §13.2).
type ACL struct {
	Entries []ACLEntry
}

// ACLEntry grants Allow to every target: identifiers ("user@domain", scheme optional),
// "@domain" patterns, or "." (everybody).
type ACLEntry struct {
	Targets []string
	Allow   []Right
}

// ParseACL parses an <acl> document. I0/I1 spellings are accepted too: root <ACL>, upper-case
// operation elements, and the shorthand <entry key="@badguys.com"/> (a target with no rights).
// Unknown elements inside <allow> are an error: granting something the server does not know
// would be silently wrong.
func ParseACL(b []byte) (ACL, error) {
	root, err := parseTree(b, "acl")
	if err != nil {
		return ACL{}, err
	}
	if !strings.EqualFold(root.name.Local, "acl") {
		return ACL{}, fmt.Errorf("%w: acl: root is <%s>, want <acl>", ErrSyntax, root.name.Local)
	}
	var a ACL
	for _, k := range root.kids {
		if !strings.EqualFold(k.name.Local, "entry") {
			continue
		}
		var e ACLEntry
		if key, ok := k.attrValue("key"); ok {
			e.Targets = append(e.Targets, strings.TrimSpace(key))
		}
		for _, c := range k.kids {
			switch strings.ToLower(c.name.Local) {
			case "target":
				for _, ad := range c.kids {
					if strings.EqualFold(ad.name.Local, "address") {
						e.Targets = append(e.Targets, strings.TrimSpace(ad.Text()))
					}
				}
			case "allow":
				for _, op := range c.kids {
					r := Right(strings.ToLower(op.name.Local))
					if !knownRight(r) {
						return ACL{}, fmt.Errorf("%w: acl: unknown operation <%s> in <allow>", ErrSyntax, op.name.Local)
					}
					e.Allow = append(e.Allow, r)
				}
			}
		}
		if len(e.Targets) == 0 {
			return ACL{}, fmt.Errorf("%w: acl: <entry> without target", ErrSyntax)
		}
		a.Entries = append(a.Entries, e)
	}
	return a, nil
}

func knownRight(r Right) bool {
	switch r {
	case Fetch, Subscribe, Publish, Remove, Send, Listen, Silence:
		return true
	}
	return false
}

// FormatACL renders the ACL as I2 writes it.
func FormatACL(a ACL) []byte {
	var w xmlWriter
	w.open("acl")
	for _, e := range a.Entries {
		w.open("entry")
		w.open("target")
		for _, t := range e.Targets {
			w.elem("address", t)
		}
		w.close("target")
		w.open("allow")
		for _, r := range e.Allow {
			w.empty(string(r))
		}
		w.close("allow")
		w.close("entry")
	}
	w.close("acl")
	return w.b.Bytes()
}

// Validate checks an ACL for SETACL (a failure is 400): every target is an identifier,
// "@domain" or "."; every right belongs to the kind (presentity: fetch subscribe publish
// remove; inbox: send listen silence); no target appears in two entries (by analogy with
// Decision D39 for class tables: one key, one list).
func (a ACL) Validate(kind ACLKind) error {
	seen := map[string]bool{}
	for i, e := range a.Entries {
		for _, t := range e.Targets {
			k, err := EntryKey(t)
			if err != nil {
				return fmt.Errorf("acl entry %d: %w", i, err)
			}
			if seen[k] {
				return fmt.Errorf("%w: acl: target %q appears in more than one entry", ErrSyntax, t)
			}
			seen[k] = true
		}
		for _, r := range e.Allow {
			ok := false
			for _, k := range kind.Rights() {
				ok = ok || k == r
			}
			if !ok {
				return fmt.Errorf("%w: acl entry %d: %q is not a right of this kind of ACL", ErrSyntax, i, r)
			}
		}
	}
	return nil
}

// Lookup returns the rights the ACL gives requester (PRIM-A13.2.1-4): the entry whose target is
// the requester's identifier, else the one for "@" + its domain, else the one for ".", else
// nothing (default deny). Targets compare scheme-less and case-insensitively (Decision D15,
// D22). matched is the target that decided ("" when none did).
func (a ACL) Lookup(requester addr.ID) (rights []Right, matched string) {
	lists := make([][]string, len(a.Entries))
	for i, e := range a.Entries {
		lists[i] = e.Targets
	}
	i, level := bestMatch(lists, requester)
	if i < 0 {
		return nil, ""
	}
	want := map[int]string{MatchExact: requester.BareKey(), MatchDomain: "@" + requester.DomainKey(), MatchEverybody: Everybody}[level]
	for _, t := range a.Entries[i].Targets {
		if k, _ := EntryKey(t); k == want {
			matched = t
			break
		}
	}
	return append([]Right(nil), a.Entries[i].Allow...), matched
}

// Allows reports whether the ACL lets requester perform op.
func (a ACL) Allows(requester addr.ID, op Right) bool {
	rights, _ := a.Lookup(requester)
	for _, r := range rights {
		if r == op {
			return true
		}
	}
	return false
}

// Permitted applies Decision D15 on top of the ACL: the owner (requester equal to the resource
// ignoring scheme) may always do everything on its own resource; anyone else gets what the ACL
// grants.
func Permitted(a ACL, owner, requester addr.ID, op Right) bool {
	if owner.SamePrincipal(requester) {
		return true
	}
	return a.Allows(requester, op)
}

// DefaultACL is the ACL of a resource before its first SETACL (Decision D15): "." may fetch and
// subscribe to a presentity, and send to an inbox.
func DefaultACL(kind ACLKind) ACL {
	if kind == InboxACL {
		return ACL{Entries: []ACLEntry{{Targets: []string{Everybody}, Allow: []Right{Send}}}}
	}
	return ACL{Entries: []ACLEntry{{Targets: []string{Everybody}, Allow: []Right{Fetch, Subscribe}}}}
}
