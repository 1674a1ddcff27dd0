package sim_test

import (
	"fmt"
	"os"
	"time"

	"github.com/primlab/primlab/sim"
)

// A test plays both ends of a connection with scripted connections, on a 5 ms link, and
// prints the trace.
func Example() {
	w := sim.New(sim.Config{Trace: os.Stdout, Link: &sim.LinkConfig{Latency: 5 * time.Millisecond}})
	w.MustAddHost(sim.HostConfig{Name: "alice", IP: "10.0.0.1"})
	w.MustAddHost(sim.HostConfig{Name: "server", IP: "10.0.0.10"})
	l, _ := w.Listen("server", 7000)

	c := w.Connect("alice", "server:7000")
	c.WriteString("PING PRIM-PR/1.0 - 0\r\n\r\n")
	w.RunUntil(func() bool { return l.Pending() > 0 }, time.Second)
	s := l.Accept()
	w.RunUntil(func() bool { return len(s.Received()) > 0 }, time.Second)
	s.WriteString("NOTIFY PRIM-PR/1.0 - 5\r\nTo: pres:alice@example.com\r\n\r\nhello")
	s.Close()
	w.RunUntil(c.EOF, time.Second)
	fmt.Printf("alice got %d bytes at %v\n", len(c.Received()), w.Now())
	// Output:
	//    0.000000 connect alice:49152>server:7000 #1 server:7000
	//    0.010000 open alice:49152>server:7000 #1
	//    0.015000 accept server:7000>alice:49152 #1
	//    0.015000 prim server:7000>alice:49152 #1 "PING PRIM-PR/1.0 - 0"
	//    0.020000 prim alice:49152>server:7000 #1 "NOTIFY PRIM-PR/1.0 - 5"
	//    0.020000 fin alice:49152>server:7000 #1
	// alice got 59 bytes at 20ms
}
