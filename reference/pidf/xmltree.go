package pidf

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// ErrSyntax is wrapped by every error about a malformed or invalid document.
var ErrSyntax = errors.New("pidf: invalid document")

// Limits bound what the parsers accept.
type Limits struct {
	MaxBytes    int // whole document; 0 = DefaultLimits
	MaxElements int
	MaxDepth    int
}

// DefaultLimits are used by every Parse function.
var DefaultLimits = Limits{MaxBytes: 1 << 20, MaxElements: 20000, MaxDepth: 64}

// node is one element of a parsed document.
type node struct {
	name xml.Name
	attr []xml.Attr
	kids []*node
	text strings.Builder // character data directly inside this element
}

func (n *node) attrValue(local string) (string, bool) {
	for _, a := range n.attr {
		if a.Name.Local == local && (a.Name.Space == "" || a.Name.Space == n.name.Space) {
			return a.Value, true
		}
	}
	return "", false
}

func (n *node) attrNS(space, local string) (string, bool) {
	for _, a := range n.attr {
		if a.Name.Local == local && a.Name.Space == space {
			return a.Value, true
		}
	}
	return "", false
}

func (n *node) Text() string { return n.text.String() }

// parseTree reads one well-formed XML document into a tree. Only whitespace, comments,
// processing instructions and directives may surround the root element (PRIM-A14.3-1).
func parseTree(b []byte, what string) (*node, error) {
	lim := DefaultLimits
	if len(b) > lim.MaxBytes {
		return nil, fmt.Errorf("%w: %s: %d bytes exceeds the limit of %d", ErrSyntax, what, len(b), lim.MaxBytes)
	}
	if root, ok := fastTree(b, lim); ok {
		resolveNames(root, nil)
		return root, nil
	}
	return slowTree(b, what, lim)
}

// slowTree is parseTree on encoding/xml: every document fastTree declines, and every error.
func slowTree(b []byte, what string, lim Limits) (*node, error) {
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = true
	var root *node
	var stack []*node
	count := 0
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %s: not well-formed XML: %w", ErrSyntax, what, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if root != nil && len(stack) == 0 {
				return nil, fmt.Errorf("%w: %s: more than one root element (second is <%s>)", ErrSyntax, what, t.Name.Local)
			}
			count++
			if count > lim.MaxElements {
				return nil, fmt.Errorf("%w: %s: more than %d elements", ErrSyntax, what, lim.MaxElements)
			}
			if len(stack) >= lim.MaxDepth {
				return nil, fmt.Errorf("%w: %s: nested deeper than %d", ErrSyntax, what, lim.MaxDepth)
			}
			n := &node{name: t.Name, attr: t.Copy().Attr}
			if len(stack) == 0 {
				root = n
			} else {
				p := stack[len(stack)-1]
				p.kids = append(p.kids, n)
			}
			stack = append(stack, n)
		case xml.EndElement:
			if len(stack) == 0 {
				return nil, fmt.Errorf("%w: %s: unexpected </%s>", ErrSyntax, what, t.Name.Local)
			}
			top := stack[len(stack)-1]
			if top.name != t.Name {
				return nil, fmt.Errorf("%w: %s: <%s> closed by </%s>", ErrSyntax, what, top.name.Local, t.Name.Local)
			}
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) == 0 {
				if len(bytes.TrimSpace(t)) != 0 {
					return nil, fmt.Errorf("%w: %s: text %q outside the root element", ErrSyntax, what, clip(string(t)))
				}
				continue
			}
			stack[len(stack)-1].text.Write(t)
		}
	}
	if root == nil {
		return nil, fmt.Errorf("%w: %s: no root element", ErrSyntax, what)
	}
	if len(stack) != 0 {
		return nil, fmt.Errorf("%w: %s: <%s> not closed", ErrSyntax, what, stack[len(stack)-1].name.Local)
	}
	resolveNames(root, nil)
	return root, nil
}

// resolveNames replaces prefixes by namespace URIs (RawToken leaves them unresolved so that we
// keep control of well-formedness checks).
func resolveNames(n *node, outer map[string]string) {
	scope, copied := outer, false
	for _, a := range n.attr {
		if !isXMLNS(a.Name) {
			continue
		}
		if !copied {
			scope = make(map[string]string, len(outer)+1)
			for k, v := range outer {
				scope[k] = v
			}
			copied = true
		}
		if a.Name.Space == "xmlns" {
			scope[a.Name.Local] = a.Value
		} else {
			scope[""] = a.Value
		}
	}
	n.name = resolve(n.name, scope, true)
	attrs := n.attr[:0]
	for _, a := range n.attr {
		if isXMLNS(a.Name) {
			continue
		}
		if a.Name.Space != "" {
			a.Name = resolve(a.Name, scope, false)
		}
		attrs = append(attrs, a)
	}
	n.attr = attrs
	for _, k := range n.kids {
		resolveNames(k, scope)
	}
}

func isXMLNS(n xml.Name) bool { return n.Space == "xmlns" || n.Space == "" && n.Local == "xmlns" }

// xmlNamespace is the fixed namespace of the xml: prefix.
const xmlNamespace = "http://www.w3.org/XML/1998/namespace"

func resolve(name xml.Name, scope map[string]string, element bool) xml.Name {
	switch {
	case name.Space == "xml":
		name.Space = xmlNamespace
	case name.Space != "":
		if u, ok := scope[name.Space]; ok {
			name.Space = u
		} else {
			name.Space = "undeclared-prefix:" + name.Space
		}
	case element:
		name.Space = scope[""]
	}
	return name
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// xmlWriter builds a document without reflection, in a fixed order, so output is stable.
type xmlWriter struct{ b bytes.Buffer }

func (w *xmlWriter) raw(s string) { w.b.WriteString(s) }

func (w *xmlWriter) text(s string) { _ = xml.EscapeText(&w.b, []byte(s)) }

func (w *xmlWriter) open(name string, attrs ...string) {
	w.b.WriteByte('<')
	w.b.WriteString(name)
	for i := 0; i+1 < len(attrs); i += 2 {
		w.b.WriteByte(' ')
		w.b.WriteString(attrs[i])
		w.b.WriteString(`="`)
		w.text(attrs[i+1])
		w.b.WriteByte('"')
	}
	w.b.WriteByte('>')
}

func (w *xmlWriter) empty(name string, attrs ...string) {
	w.open(name, attrs...)
	w.b.Truncate(w.b.Len() - 1)
	w.b.WriteString("/>")
}

func (w *xmlWriter) close(name string) {
	w.b.WriteString("</")
	w.b.WriteString(name)
	w.b.WriteByte('>')
}

func (w *xmlWriter) elem(name, text string, attrs ...string) {
	w.open(name, attrs...)
	w.text(text)
	w.close(name)
}
