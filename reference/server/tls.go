package server

import "github.com/primlab/primlab/reference/engine"

// startTLSAction asks the shell to run the TLS handshake as server on c (Decision D32).
func startTLSAction(c *conn) engine.Action { return engine.StartTLS{Conn: c.id, Client: c.outbound} }
