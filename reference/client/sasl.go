package client

import (
	"fmt"
	"strings"

	"github.com/primlab/primlab/reference/sasl"
)

// supportedMech reports whether the client can produce data for mech.
func supportedMech(mech string) bool {
	switch strings.ToUpper(mech) {
	case sasl.Plain, sasl.CRAMMD5, sasl.Anonymous, sasl.External:
		return true
	}
	return false
}

// mechBody returns the body of the LOGIN Auth-State continue for mech, in PRIM's formats
// (I2 §12.1, Decision D10(d)): user is user@domain without scheme, as in the I2 examples;
// challenge is the 100 response body, angle brackets included.
func mechBody(mech, user, password string, challenge []byte) ([]byte, error) {
	var c sasl.Client
	switch strings.ToUpper(mech) {
	case sasl.Plain:
		c = sasl.NewPlainClient(user, password) // PRIM-A12.1-17
	case sasl.CRAMMD5:
		c = sasl.NewCRAMMD5Client(user, password) // PRIM-A12.1-16
	case sasl.Anonymous:
		c = sasl.NewAnonymousClient(user)
	case sasl.External:
		c = sasl.NewExternalClient() // PRIM-A12.1-18
	default:
		return nil, fmt.Errorf("mechanism %q not supported", mech)
	}
	// The init LOGIN went out with an empty body (two steps, Decision D10(a)).
	if _, _, err := c.Step(nil); err != nil {
		return nil, fmt.Errorf("%s init: %w", mech, err)
	}
	body, _, err := c.Step(challenge)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", mech, err)
	}
	return body, nil
}
