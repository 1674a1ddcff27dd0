package sim

// The event queue is a binary min-heap of small keys ordered by (time, sequence); the event
// payloads live in a slab with a free list, so the steady-state loop allocates nothing.

type heapItem struct {
	at   int64  // virtual nanoseconds
	seq  uint64 // insertion order breaks ties: events at the same time run first in, first out
	slot int32  // index into queue.slab
}

type queue struct {
	heap []heapItem
	slab []event
	free []int32
	seq  uint64
}

func (q *queue) less(i, j int) bool {
	a, b := &q.heap[i], &q.heap[j]
	if a.at != b.at {
		return a.at < b.at
	}
	return a.seq < b.seq
}

// push stores ev to run at virtual time at.
func (q *queue) push(at int64, ev event) {
	var slot int32
	if n := len(q.free); n > 0 {
		slot = q.free[n-1]
		q.free = q.free[:n-1]
		q.slab[slot] = ev
	} else {
		slot = int32(len(q.slab))
		q.slab = append(q.slab, ev)
	}
	q.seq++
	q.heap = append(q.heap, heapItem{at: at, seq: q.seq, slot: slot})
	// sift up
	i := len(q.heap) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !q.less(i, p) {
			break
		}
		q.heap[i], q.heap[p] = q.heap[p], q.heap[i]
		i = p
	}
}

// peek returns the time of the earliest event and whether there is one.
func (q *queue) peek() (int64, bool) {
	if len(q.heap) == 0 {
		return 0, false
	}
	return q.heap[0].at, true
}

// pop removes the earliest event and returns its time and payload.
func (q *queue) pop() (int64, event) {
	top := q.heap[0]
	n := len(q.heap) - 1
	q.heap[0] = q.heap[n]
	q.heap = q.heap[:n]
	// sift down
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && q.less(r, l) {
			m = r
		}
		if !q.less(m, i) {
			break
		}
		q.heap[i], q.heap[m] = q.heap[m], q.heap[i]
		i = m
	}
	ev := q.slab[top.slot]
	q.slab[top.slot] = event{} // drop references for the garbage collector
	q.free = append(q.free, top.slot)
	return top.at, ev
}

func (q *queue) len() int { return len(q.heap) }
