package pidf

import (
	"fmt"
	"strings"

	"github.com/primlab/primlab/reference/addr"
)

// Everybody is the class-table and ACL key that matches every watcher or requester (I0/I1
// class tables, I2 ACLs; Decision D39).
const Everybody = "."

// ClassTable is a presentity's Class Table (prim-digest.md §4.7, I2 §13.1): named classes of
// watchers. Watchers listed nowhere are in the implicit default class (PRIM-A5.3-2).
type ClassTable struct {
	Classes []Class
}

// Class is one class of a Class Table.
type Class struct {
	Name     string
	Watchers []string // "user@domain" (scheme optional), "@domain", or "."
}

// ParseClassTable parses a <classtable> document (I0/I1's <CLASSTABLE> root and element names
// in upper case are accepted too). It checks the document's shape; Validate checks the rules.
func ParseClassTable(b []byte) (ClassTable, error) {
	root, err := parseTree(b, "classtable")
	if err != nil {
		return ClassTable{}, err
	}
	if !strings.EqualFold(root.name.Local, "classtable") {
		return ClassTable{}, fmt.Errorf("%w: classtable: root is <%s>, want <classtable>", ErrSyntax, root.name.Local)
	}
	var ct ClassTable
	for _, k := range root.kids {
		if !strings.EqualFold(k.name.Local, "class") {
			continue
		}
		name, ok := k.attrValue("name")
		if !ok {
			name, ok = k.attrValue("NAME")
		}
		if !ok || name == "" {
			return ClassTable{}, fmt.Errorf("%w: classtable: <class> without name", ErrSyntax)
		}
		c := Class{Name: name}
		for _, w := range k.kids {
			if strings.EqualFold(w.name.Local, "watcher") {
				c.Watchers = append(c.Watchers, strings.TrimSpace(w.Text()))
			}
		}
		ct.Classes = append(ct.Classes, c)
	}
	return ct, nil
}

// FormatClassTable renders the table as I2 writes it.
func FormatClassTable(ct ClassTable) []byte {
	var w xmlWriter
	w.open("classtable")
	for _, c := range ct.Classes {
		w.open("class", "name", c.Name)
		for _, x := range c.Watchers {
			w.elem("watcher", x)
		}
		w.close("class")
	}
	w.close("classtable")
	return w.b.Bytes()
}

// Validate checks what a server must refuse in SETCLASSTABLE (400, Decision D39): class names
// must be 1*(unreserved / escaped) and unique; every entry must be an identifier, "@domain" or
// "."; and an identifier, a domain or "." may appear in only one class (a watcher belongs to
// exactly one class, PRIM-A5.3-1). Entries compare as in matching: scheme-less and
// case-insensitively (Decision D22).
func (ct ClassTable) Validate() error {
	names := map[string]bool{}
	where := map[string]string{}
	for _, c := range ct.Classes {
		if !validToken(c.Name) {
			return fmt.Errorf("%w: class name %q is not 1*(unreserved / escaped)", ErrSyntax, c.Name)
		}
		if names[c.Name] {
			return fmt.Errorf("%w: class %q defined twice", ErrSyntax, c.Name)
		}
		names[c.Name] = true
		for _, w := range c.Watchers {
			key, err := EntryKey(w)
			if err != nil {
				return fmt.Errorf("class %q: %w", c.Name, err)
			}
			if other, dup := where[key]; dup {
				return fmt.Errorf("%w: watcher entry %q is in class %q and class %q (Decision D39)", ErrSyntax, w, other, c.Name)
			}
			where[key] = c.Name
		}
	}
	return nil
}

// HasClass reports whether the table defines the class (PRIM-A11.1.1-3; unknown → 400, D14).
func (ct ClassTable) HasClass(name string) bool {
	for _, c := range ct.Classes {
		if c.Name == name {
			return true
		}
	}
	return false
}

// ClassOf returns the class the watcher belongs to, most specific entry first: the exact
// identifier, then "@domain", then "." (PRIM-A13.1.2-1, Decision D39); ok=false means the
// default class (PRIM-A5.3-2). The scheme is ignored and the comparison is case-insensitive
// (Decision D22).
func (ct ClassTable) ClassOf(watcher addr.ID) (name string, ok bool) {
	lists := make([][]string, len(ct.Classes))
	for i, c := range ct.Classes {
		lists[i] = c.Watchers
	}
	if i, _ := bestMatch(lists, watcher); i >= 0 {
		return ct.Classes[i].Name, true
	}
	return "", false
}

// Match levels, most specific first.
const (
	MatchNone = iota
	MatchEverybody
	MatchDomain
	MatchExact
)

// bestMatch returns the index of the list holding the most specific entry matching id (the
// first such list on ties) and the level, or -1.
func bestMatch(lists [][]string, id addr.ID) (int, int) {
	exact, domain := id.BareKey(), "@"+id.DomainKey()
	best, level := -1, MatchNone
	for i, l := range lists {
		for _, e := range l {
			k, err := EntryKey(e)
			if err != nil {
				continue
			}
			lv := MatchNone
			switch {
			case k == exact:
				lv = MatchExact
			case k == domain:
				lv = MatchDomain
			case k == Everybody:
				lv = MatchEverybody
			}
			if lv > level {
				best, level = i, lv
			}
		}
	}
	return best, level
}

// EntryKey returns the canonical form of a Class Table or ACL entry: "." for everybody,
// "@" + canonical domain for a domain entry, else the canonical scheme-less identifier. Keys
// are told apart by their first character (prim-digest.md §7.5).
func EntryKey(entry string) (string, error) {
	e := strings.TrimSpace(entry)
	switch {
	case e == Everybody:
		return Everybody, nil
	case strings.HasPrefix(e, "@"):
		d, err := addr.ParseDomain(e[1:])
		if err != nil {
			return "", fmt.Errorf("entry %q: %w", entry, err)
		}
		return "@" + addr.CanonicalDomain(d), nil
	}
	id, err := addr.ParseUser(e, "")
	if err != nil {
		return "", fmt.Errorf("entry %q: %w", entry, err)
	}
	return id.BareKey(), nil
}

func validToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '%' {
			if i+2 >= len(s) || !isHexDigit(s[i+1]) || !isHexDigit(s[i+2]) {
				return false
			}
			i += 2
			continue
		}
		if !addr.IsUnreserved(c) {
			return false
		}
	}
	return true
}

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
