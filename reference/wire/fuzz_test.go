package wire_test

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/primlab/primlab/reference/wire"
)

// FuzzDecoder feeds arbitrary streams, cut in two at a point the input chooses, and checks that
// the decoder never panics, never holds more than one command under its limits, and that every
// command it returns re-encodes to bytes that decode to the same command and that Validate can
// judge. Seeds: fixtures/fuzz/wire.
func FuzzDecoder(f *testing.F) {
	seeds, err := filepath.Glob(filepath.Join(repoRoot(f), "fixtures", "fuzz", "wire", "*.prim"))
	if err != nil || len(seeds) == 0 {
		f.Fatalf("no seeds in fixtures/fuzz/wire: %v", err)
	}
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, uint16(len(b)/2))
	}
	lim := wire.Limits{MaxStartLine: 256, MaxHeaderLine: 512, MaxHeaders: 16, MaxBody: 4096, MaxIDLen: 16}
	f.Fuzz(func(t *testing.T, data []byte, cut uint16) {
		at := int(cut) % (len(data) + 1)
		whole := decodeAll(data, lim)
		split := decodeChunks([][]byte{data[:at], data[at:]}, lim)
		if len(whole.msgs) != len(split.msgs) || len(whole.errs) != len(split.errs) {
			t.Fatalf("cut at %d changes the result: %d/%d msgs, %d/%d errors",
				at, len(whole.msgs), len(split.msgs), len(whole.errs), len(split.errs))
		}
		for i, m := range whole.msgs {
			if !reflect.DeepEqual(normal(m), normal(split.msgs[i])) {
				t.Fatalf("message %d differs when cut at %d", i, at)
			}
			enc := m.Bytes()
			again := decodeAll(enc, lim)
			if len(again.msgs) != 1 || len(again.errs) != 0 || !bytes.Equal(again.msgs[0].Bytes(), enc) {
				t.Fatalf("%q does not decode back to itself", enc)
			}
			_ = wire.Validate(m, wire.ProfileClient)
			_ = wire.Validate(m, wire.ProfileServer)
		}
		if whole.rest > lim.MaxCommand() || split.rest > lim.MaxCommand() {
			t.Fatalf("decoder holds %d/%d octets, over the one-command limit %d", whole.rest, split.rest, lim.MaxCommand())
		}
	})
}
