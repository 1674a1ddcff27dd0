package pidf

import (
	"sort"
	"time"

	"github.com/primlab/primlab/reference/addr"
)

// Status is the basic status of a tuple.
type Status string

// Basic status values (PRIM-A14.4.4-1; RFC 3863 <basic>; CPIM-PIDF basic value type).
const (
	Open    Status = "open"
	Closed  Status = "closed"
	Unknown Status = "" // no basic status given (RFC 3863 allows status with extensions only)
)

// Priority ranks a tuple's contact: lower Rank is preferred; an unset Priority ranks below
// every set one (PRIM-A14.4.7-2, RFC 3863 §4.1.5). Rank uses PRIM's scale (<preference value>,
// unsigned, < 2^32); the other formats map onto it:
//
//	CPIM-PIDF priority 0..255 (lower = higher)  = Rank, clamped to 255 on output (Decision D2)
//	RFC 3863 qvalue 0..1 (higher = preferred)    q = (1000 - min(Rank, 1000)) / 1000
//
// The RFC 3863 mapping is this package's choice (no decision covers it): it keeps ranks 0..1000
// exact in both directions.
type Priority struct {
	Set  bool
	Rank uint32
}

// Pref returns a set Priority of the given rank.
func Pref(rank uint32) Priority { return Priority{Set: true, Rank: rank} }

// Less reports whether p is preferred over q.
func (p Priority) Less(q Priority) bool {
	if p.Set != q.Set {
		return p.Set
	}
	return p.Set && p.Rank < q.Rank
}

// Tuple is one unit of presence information.
type Tuple struct {
	ID          string    // Tuple-ID (PRIM), tuple/@id (CPIM-PIDF, RFC 3863)
	Status      Status    //
	Detail      string    // PRIM status/@detail, e.g. "deferred"; PRIM only
	Contact     string    // contact URL
	DisplayName string    // PRIM contact display-name; PRIM only
	Priority    Priority  //
	Note        string    //
	OtherMarkup string    // PRIM other-markup; PRIM only
	Timestamp   time.Time // PRIM presence/@date, <timestamp> elsewhere; zero = unknown
}

// Presence is the presence information of one presentity.
type Presence struct {
	Entity      string  // presentity identifier, a pres: URL
	DisplayName string  // PRIM presentity display-name; PRIM only
	Note        string  // presentity note
	OtherMarkup string  // PRIM presentity other-markup; PRIM only
	Tuples      []Tuple //
	// Ignored lists elements the parser skipped because they were not understood but carried
	// mustUnderstand (RFC 3863 §4.3.3). Informational; Equal ignores it.
	Ignored []string
}

// Tuple returns the tuple with the given id.
func (p *Presence) Tuple(id string) (Tuple, bool) {
	for _, t := range p.Tuples {
		if t.ID == id {
			return t, true
		}
	}
	return Tuple{}, false
}

// Equal compares two presence models by meaning, not bytes: the entity by identifier
// equivalence (PRIM-A7.1-3), tuples by id regardless of order, timestamps as instants.
func Equal(a, b Presence) bool {
	if !sameEntity(a.Entity, b.Entity) || a.DisplayName != b.DisplayName || a.Note != b.Note ||
		a.OtherMarkup != b.OtherMarkup || len(a.Tuples) != len(b.Tuples) {
		return false
	}
	at, bt := sortedTuples(a.Tuples), sortedTuples(b.Tuples)
	for i := range at {
		if !tupleEqual(at[i], bt[i]) {
			return false
		}
	}
	return true
}

func tupleEqual(x, y Tuple) bool {
	return x.ID == y.ID && x.Status == y.Status && x.Detail == y.Detail && x.Contact == y.Contact &&
		x.DisplayName == y.DisplayName && x.Priority == y.Priority && x.Note == y.Note &&
		x.OtherMarkup == y.OtherMarkup && x.Timestamp.Equal(y.Timestamp)
}

func sameEntity(a, b string) bool {
	if a == b {
		return true
	}
	x, err1 := addr.ParseMode(a, addr.Loose)
	y, err2 := addr.ParseMode(b, addr.Loose)
	return err1 == nil && err2 == nil && x.Equal(y)
}

func sortedTuples(ts []Tuple) []Tuple {
	out := append([]Tuple(nil), ts...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Common strips p to what all three formats carry, so that a model converted through any
// format compares Equal to the original's Common (Decision D2): entity, presentity note (the
// display name stands in when there is no note), and per tuple id, status, contact, priority
// clamped to 0..255, note and timestamp truncated to the second.
func Common(p Presence) Presence {
	c := Presence{Entity: p.Entity, Note: p.Note}
	if c.Note == "" {
		c.Note = p.DisplayName
	}
	for _, t := range p.Tuples {
		pr := t.Priority
		if pr.Set && pr.Rank > 255 {
			pr.Rank = 255
		}
		c.Tuples = append(c.Tuples, Tuple{ID: t.ID, Status: t.Status, Contact: t.Contact, Priority: pr,
			Note: t.Note, Timestamp: t.Timestamp.Truncate(time.Second)})
	}
	return c
}

// Visible returns the tuples ordered by preference (PRIM-A14.4.7-2), ties by id: what a user
// agent lists first.
func (p Presence) Visible() []Tuple {
	out := sortedTuples(p.Tuples)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Priority.Less(out[j].Priority) })
	return out
}
